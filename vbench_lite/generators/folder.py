"""``folder``: videos made elsewhere, mapped to the cases of a suite.

Mapping, in order: a manifest (CSV with columns ``case_id,path[,seed]`` or JSON, a list
of such objects or a ``{case_id: path}`` dict; relative paths are relative to the
manifest), else file names: ``<case_id>__s<seed>.<ext>``, then ``<case_id>.<ext>``
(any seed), where a folder ``<case_id>/`` of frames also counts. A case with no file
fails alone with a clear reason; files that match no case are listed as a warning.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from vbench_lite.errors import GeneratorError, UserError
from vbench_lite.generators.base import Capabilities, Generator
from vbench_lite.case import PROTOCOL
from vbench_lite.io import (
    ARRAY_EXTS, IMAGE_EXTS, VIDEO_EXTS, VideoFile, content_fingerprint, is_video_path, read_video, shown,
)


class FolderGenerator(Generator):
    name = "folder"
    settings = {"root": "", "manifest": "", "fps": 0.0, "height": 0, "width": 0, "frames": 0}
    settings_help = {
        "root": "folder of videos named after the cases (naming rules: the notes); or give manifest",
        "manifest": "CSV (case_id,path[,seed]) or JSON mapping cases to video files; paths relative to it",
        "fps": "frame rate the videos are read and scored at, and the suite is built for (0 = each file's own)",
        "height": f"frame height the suite's cases are built for, with width (0 = {PROTOCOL.height})",
        "width": f"frame width the suite's cases are built for, with height (0 = {PROTOCOL.width})",
        "frames": f"frame count the suite's cases are built for (0 = {PROTOCOL.num_frames})",
    }
    usage_notes = (
        "Files in root are named <case_id>__s<seed>.<ext> or <case_id>.<ext>, or are frame folders "
        "<case_id>/. Each case is mapped to a video by, in order: a manifest row (CSV with columns case_id,path[,seed], "
        "or JSON: a list of such objects or a {case_id: path} object; relative paths are relative to the "
        "manifest); else a file in root named <case_id>__s<seed>.<ext> (that seed only), then "
        "<case_id>.<ext> (any seed), where a folder <case_id>/ of frame images also counts. Video files: "
        f"{' '.join(sorted(VIDEO_EXTS | ARRAY_EXTS))}; frame images: {' '.join(sorted(IMAGE_EXTS))}. Names "
        "starting with '.' are ignored. A case with no video fails alone with the reason; files that match "
        "no case are listed as a warning after the run."
    )

    def __init__(self):
        super().__init__()
        self._index: dict[str, Path] | None = None
        self._index_key: tuple | None = None

    def capabilities_for(self, settings: dict[str, Any]) -> Capabilities:
        res = (settings["height"], settings["width"]) if settings["height"] and settings["width"] else None
        # ``fps`` also declares the frame rate the cases are built for, so probe worlds
        # are observed at the videos' own time base (an exported 7 fps suite, say)
        return Capabilities(text=True, cond_frames=0, resolution=res, num_frames=settings["frames"] or None,
                            fps=settings["fps"] or None, max_batch=8)

    def fingerprint(self, settings: dict[str, Any]) -> str:
        """The content of every video the folder maps (not just its path), so new
        videos under the same names are a new run, not a resume with old scores."""
        return content_fingerprint(self._build_index(settings))

    def _build_index(self, settings: dict[str, Any]) -> dict[str, Path]:
        key = (settings["root"], settings["manifest"])
        if self._index is not None and self._index_key == key:
            return self._index
        if settings["manifest"]:
            index = read_manifest(Path(settings["manifest"]))
        else:
            if not settings["root"]:
                raise UserError("generator 'folder' needs --set root=DIR (or --set manifest=FILE)")
            root = Path(settings["root"])
            if not root.is_dir():
                raise UserError(f"folder generator: {shown(root)} is not a directory")
            index = {}
            try:
                entries = sorted(root.iterdir())
            except OSError as exc:
                raise UserError(f"folder generator: {shown(root)} cannot be listed ({exc.strerror})") from None
            for p in entries:
                if p.name.startswith(".") or not is_video_path(p):
                    continue
                index[p.stem if p.is_file() else p.name] = p
        self._index, self._index_key = index, key
        return index

    def video_file(self, case, settings) -> VideoFile | None:
        """The file mapped to ``case``, which the runner reads itself (no cache copy:
        the file is the source); None when there is none (``generate`` says why) or
        when a subclass changes ``generate`` (its videos are then not the files)."""
        if type(self).generate is not FolderGenerator.generate:
            return None
        keys = (f"{case.case_id}__s{case.seed}", case.case_id)
        index = self._build_index(settings)
        key = next((k for k in keys if k in index), None)
        if key is None or not index[key].exists():
            return None
        return VideoFile(index[key], settings["fps"] or None)

    def generate(self, cases, settings):
        index = self._build_index(settings)
        out = []
        for case in cases:
            keys = (f"{case.case_id}__s{case.seed}", case.case_id)
            key = next((k for k in keys if k in index), None)
            if key is None:
                out.append(GeneratorError(
                    f"no video for case {case.case_id} (seed {case.seed}): expected "
                    f"{keys[0]}.<ext> or {keys[1]}.<ext> in the folder or a manifest row"))
                continue
            path = index[key]
            if not path.exists():
                out.append(GeneratorError(f"case {case.case_id}: manifest names {shown(path)}, which does not exist"))
                continue
            try:
                out.append(read_video(path, fps=settings["fps"] or None))
            except UserError as exc:
                out.append(exc)
        return out

    def finish(self, cases) -> None:
        """Called by the runner after all cases: report files that matched no case."""
        if self._index is None:
            return
        wanted = {c.case_id for c in cases} | {f"{c.case_id}__s{c.seed}" for c in cases}
        extra = sorted(k for k in self._index if k not in wanted)
        if extra:
            names = ", ".join(shown(k) for k in extra[:5]) + (" ..." if len(extra) > 5 else "")
            self.warnings.append(f"{len(extra)} video file(s) matched no case and were ignored: {names}")


def read_manifest(path: Path) -> dict[str, Path]:
    """``{case_id or case_id__s<seed>: path}`` from a CSV or JSON manifest."""
    if not path.is_file():
        raise UserError(f"manifest {path} does not exist")
    base = path.parent
    rows: list[dict[str, Any]]
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            rows = [{"case_id": k, "path": v} for k, v in data.items()] if isinstance(data, dict) else data
        else:
            with path.open(newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
    except (json.JSONDecodeError, UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"manifest {path} cannot be parsed: {exc}") from None
    except OSError as exc:
        raise UserError(f"manifest {path} cannot be read ({exc.strerror})") from None
    if not isinstance(rows, list):
        raise UserError(f"manifest {path}: expected a list of rows or a {{case_id: path}} object")
    index: dict[str, Path] = {}
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict) or not row.get("case_id") or not row.get("path") \
                or not isinstance(row["path"], str):
            raise UserError(f"manifest {path}, row {i}: needs 'case_id' and 'path' (text)")
        seed = str(row.get("seed", "") if row.get("seed") is not None else "").strip()
        if seed and not seed.isdigit():
            raise UserError(f"manifest {path}, row {i}: seed {seed!r} is not a whole number >= 0")
        key = str(row["case_id"]) + (f"__s{int(seed)}" if seed else "")
        p = Path(row["path"])
        index[key] = p if p.is_absolute() else base / p
    return index
