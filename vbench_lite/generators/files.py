"""``files``: the in-memory generator ``eval`` scores existing videos with.

It is built with a mapping case id -> path (``vbench_lite.runners.evaluate`` makes
the cases and the mapping from the paths the user gives) and reads each case's file;
it is not registered, since it cannot be made from a name. Its fingerprint is the
files' content hash, so replacing a video is a new run, never a resume.
"""

from __future__ import annotations

from pathlib import Path

from vbench_lite.errors import UserError
from vbench_lite.generators.base import Capabilities, Generator
from vbench_lite.io import VideoFile, content_fingerprint, read_video


class FilesGenerator(Generator):
    """Reads the file mapped to each case; a bad file fails its item alone."""

    name = "files"
    settings = {"fps": 0.0}

    def __init__(self, paths: dict[str, Path]):
        super().__init__()
        self.paths = paths

    @property
    def capabilities(self):
        return Capabilities(text=True, max_batch=4)

    def fingerprint(self, settings):
        return content_fingerprint(self.paths)

    def video_file(self, case, settings) -> VideoFile | None:
        path = self.paths.get(case.case_id)
        return None if path is None else VideoFile(path, settings["fps"] or None)

    def generate(self, cases, settings):
        out = []
        for c in cases:
            try:
                out.append(read_video(self.paths[c.case_id], fps=settings["fps"] or None))
            except UserError as exc:
                out.append(exc)
        return out
