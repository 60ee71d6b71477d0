"""A folder of reference videos, as the set-level metrics (``fvd``, ``video_kd`` /
``video_fd``) and ``physics_iq`` read it: which files are its videos, and the name a
metric's protocol gives the set (so a run against another set is another run)."""

from __future__ import annotations

from pathlib import Path


def reference_paths(folder: Path) -> list[Path]:
    """The videos of a reference folder, in name order (hidden entries skipped)."""
    from vbench_lite.io import is_video_path

    return sorted(p for p in Path(folder).iterdir() if not p.name.startswith(".") and is_video_path(p))


def reference_id(folder: Path | None) -> str:
    """How a set-level metric names its reference set in its protocol: ``truth`` (the
    probe suite's simulator truth), or ``dir:`` and the first 12 hex digits of the
    folder's content fingerprint (``io.set_fingerprint``: file names and order do not
    count, the videos' content does)."""
    from vbench_lite.io import set_fingerprint

    return "truth" if folder is None else "dir:" + set_fingerprint(reference_paths(folder))[:12]
