"""The first frames of a video, one at a time: for references that are too large to hold.

``vbench_lite.io.read_video`` decodes a video whole (it is what gets scored), which a
4K reference clip cannot afford: Physics-IQ's real takes are 3840x2160, 3.7 GB per
5 seconds at 30 fps decoded. ``open_frames`` reads a video file frame by frame through
OpenCV and stops after ``limit`` frames, so a metric that only keeps a downscaled
analysis of each frame holds one full-size frame at a time. Arrays (``.npy``/``.npz``),
frame folders and GIFs are read with ``read_video`` (they are small, or already held
whole) and yielded the same way. Frames are uint8 (H, W, 3) RGB, as ``Video.frames``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from vbench_lite.errors import VideoError
from vbench_lite.io import DEFAULT_FPS, VIDEO_EXTS, read_video, shown


@dataclass
class FrameStream:
    """A video's fps, declared frame count (0: unknown) and an iterator over its frames."""

    fps: float
    declared: int
    frames: Iterator[np.ndarray]
    source: str


def open_frames(path: str | Path, limit: int | None = None) -> FrameStream:
    """Frames of ``path`` (at most ``limit``), decoded lazily for video files. Raises
    ``VideoError`` with one line when the file cannot be opened or has no frames."""
    path = Path(path)
    if path.is_dir() or path.suffix.lower() not in VIDEO_EXTS - {".gif"}:
        video = read_video(path)
        frames = video.frames[:limit] if limit is not None else video.frames
        return FrameStream(video.fps, video.num_frames, iter(frames), shown(path))
    if not path.is_file():
        raise VideoError(f"{shown(path)}: no such file")
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:  # OpenCV crashes on such names; read_video goes through a link
        video = read_video(path)
        frames = video.frames[:limit] if limit is not None else video.frames
        return FrameStream(video.fps, video.num_frames, iter(frames), shown(path))
    import cv2

    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise VideoError(f"{shown(path)}: cannot be opened as a video")
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    declared = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    ok, first = cap.read()
    if not ok:
        cap.release()
        raise VideoError(f"{shown(path)}: no frames could be decoded (truncated, corrupt, or not a video)")

    def frames() -> Iterator[np.ndarray]:
        frame, n = first, 0
        try:
            while frame is not None and (limit is None or n < limit):
                yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)  # OpenCV decodes to BGR
                n += 1
                ok, frame = cap.read()
                frame = frame if ok else None
        finally:
            cap.release()

    return FrameStream(fps if 0 < fps < 1000 else DEFAULT_FPS, declared, frames(), shown(path))
