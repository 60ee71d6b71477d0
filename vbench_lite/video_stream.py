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
    """A video's fps, declared frame count (0: unknown), frame size (H, W) and an iterator
    over its frames."""

    fps: float
    declared: int
    frames: Iterator[np.ndarray]
    source: str
    size: tuple[int, int]


def open_frames(path: str | Path, limit: int | None = None) -> FrameStream:
    """Frames of ``path`` (at most ``limit``), decoded lazily for video files. Raises
    ``VideoError`` with one line when the file cannot be opened or has no frames."""
    path = Path(path)
    if path.is_dir() or path.suffix.lower() not in VIDEO_EXTS - {".gif"}:
        return _whole(path, limit)
    if not path.is_file():
        raise VideoError(f"{shown(path)}: no such file")
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:  # OpenCV crashes on such names; read_video goes through a link
        return _whole(path, limit)
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

    return FrameStream(fps if 0 < fps < 1000 else DEFAULT_FPS, declared, frames(), shown(path), first.shape[:2])


def _whole(path: Path, limit: int | None) -> FrameStream:
    video = read_video(path)
    frames = video.frames[:limit] if limit is not None else video.frames
    return FrameStream(video.fps, video.num_frames, iter(frames), shown(path), (video.height, video.width))


class CodecRoundTrip:
    """Grey frames written to a video file with ``fourcc`` and decoded back, as a pipeline
    that stores intermediate frames as video does (Physics-IQ keeps its motion masks as
    mp4v files): ``write`` each frame (uint8 (H, W), H and W even), then ``read_back``
    yields the decoded frames (uint8 (H, W, 3), OpenCV's BGR) and removes the file.
    The encoder is OpenCV's, so the numbers are those of this OpenCV build."""

    def __init__(self, fps: float, width: int, height: int, fourcc: str = "mp4v"):
        import tempfile

        import cv2

        self._dir = tempfile.TemporaryDirectory(prefix="vbench-codec-")
        self.path = Path(self._dir.name) / "frames.mp4"
        self._writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*fourcc), fps, (width, height),
                                       isColor=False)
        if not self._writer.isOpened():
            self._dir.cleanup()
            raise VideoError(f"this OpenCV build cannot write {fourcc} video (needed to store masks as the "
                             "reference pipeline does)")
        self.count = 0

    def write(self, frame: np.ndarray) -> None:
        self._writer.write(frame)
        self.count += 1

    def read_back(self) -> Iterator[np.ndarray]:
        import cv2

        self._writer.release()
        cap = cv2.VideoCapture(str(self.path))
        try:
            while True:
                ok, frame = cap.read()
                if not ok:
                    break
                yield frame
        finally:
            cap.release()
            self._dir.cleanup()
