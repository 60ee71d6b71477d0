"""Reading and writing videos.

Readers: video files through OpenCV (mp4, avi, mov, webm, mkv, gif; GIF falls back to
Pillow), a folder of PNG/JPG frames (sorted naturally), and ``.npy`` / ``.npz`` arrays.
Everything passes ``Video.from_array`` so every source is validated the same way.

The cache format is lossless -- ``.npz`` with zlib-compressed uint8 frames -- because
lossy codecs change the very pixels that flicker metrics measure. The mp4 written by
``write_preview`` is for humans only and never read back for scoring.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import numpy as np

from vbench_lite.errors import VideoError
from vbench_lite.video import Video

VIDEO_EXTS = {".mp4", ".avi", ".mov", ".webm", ".mkv", ".m4v", ".gif"}
ARRAY_EXTS = {".npy", ".npz"}
IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".bmp", ".webp"}
DEFAULT_FPS = 10.0


def is_video_path(path: Path) -> bool:
    """A file we can read as one video, or a folder of frames."""
    if path.is_dir():
        return any(p.suffix.lower() in IMAGE_EXTS for p in path.iterdir())
    return path.suffix.lower() in VIDEO_EXTS | ARRAY_EXTS


def read_video(path: str | Path, fps: float | None = None) -> Video:
    """Read one video from a file or a folder of frames. Raises ``VideoError``
    with one line naming the file and the problem."""
    path = Path(path)
    if not path.exists():
        raise VideoError(f"{path}: no such file or folder")
    if not os.access(path, os.R_OK):
        raise VideoError(f"{path}: not readable (check permissions)")
    if path.is_dir():
        return _read_frame_folder(path, fps)
    if path.stat().st_size == 0:
        raise VideoError(f"{path}: file is empty")
    ext = path.suffix.lower()
    if ext in ARRAY_EXTS:
        return _read_array(path, fps)
    if ext in VIDEO_EXTS:
        return _read_video_file(path, fps)
    raise VideoError(
        f"{path}: unsupported extension {ext!r}; use one of "
        f"{', '.join(sorted(VIDEO_EXTS | ARRAY_EXTS))} or a folder of frames"
    )


def _read_video_file(path: Path, fps: float | None) -> Video:
    import cv2

    cap = cv2.VideoCapture(str(path))
    frames, native_fps = [], 0.0
    try:
        if cap.isOpened():
            native_fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
            while True:
                ok, frame = cap.read()
                if not ok:
                    break
                frames.append(frame)
    finally:
        cap.release()
    order = "bgr"  # OpenCV decodes to BGR
    if not frames and path.suffix.lower() == ".gif":
        frames, native_fps = _read_gif_pillow(path)
        order = "rgb"
    if not frames:
        raise VideoError(f"{path}: no frames could be decoded (truncated, corrupt, or not a video)")
    if len({f.shape for f in frames}) > 1:
        raise VideoError(f"{path}: frames have different sizes")
    use_fps = fps or (native_fps if 0 < native_fps < 1000 else DEFAULT_FPS)
    return Video.from_array(np.stack(frames), use_fps, {"source": str(path)}, channel_order=order,
                            source=str(path))


def _read_gif_pillow(path: Path) -> tuple[list[np.ndarray], float]:
    from PIL import Image, ImageSequence

    try:
        with Image.open(path) as im:
            duration = im.info.get("duration") or 100
            frames = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)]
    except Exception:
        return [], 0.0
    return frames, 1000.0 / float(duration)


def _natural_key(p: Path):
    return [int(s) if s.isdigit() else s.lower() for s in re.split(r"(\d+)", p.name)]


def _read_frame_folder(path: Path, fps: float | None) -> Video:
    import cv2

    files = sorted((p for p in path.iterdir() if p.suffix.lower() in IMAGE_EXTS), key=_natural_key)
    if not files:
        raise VideoError(f"{path}: folder has no image frames ({', '.join(sorted(IMAGE_EXTS))})")
    frames = []
    for f in files:
        img = cv2.imread(str(f), cv2.IMREAD_UNCHANGED)
        if img is None:
            raise VideoError(f"{f}: not a readable image")
        if img.ndim == 3 and img.shape[2] == 4:
            img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA)
        elif img.ndim == 3:
            img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        if img.dtype == np.uint16:
            img = (img // 257).astype(np.uint8)
        frames.append(img)
    shapes = {f.shape for f in frames}
    if len(shapes) > 1:
        raise VideoError(f"{path}: frames have different sizes {sorted(shapes)[:2]}; all frames must match")
    return Video.from_array(np.stack(frames), fps or DEFAULT_FPS, {"source": str(path)}, source=str(path))


def _read_array(path: Path, fps: float | None) -> Video:
    try:
        if path.suffix.lower() == ".npy":
            arr, meta_fps, meta = np.load(path, allow_pickle=False), None, {}
        else:
            with np.load(path, allow_pickle=False) as z:
                key = "frames" if "frames" in z.files else (z.files[0] if z.files else None)
                if key is None:
                    raise VideoError(f"{path}: .npz holds no arrays")
                arr = z[key]
                meta_fps = float(z["fps"]) if "fps" in z.files else None
                meta = json.loads(str(z["meta"])) if "meta" in z.files else {}
    except VideoError:
        raise
    except Exception as exc:
        raise VideoError(f"{path}: not a readable numpy file ({type(exc).__name__})") from None
    meta.setdefault("source", str(path))
    return Video.from_array(arr, fps or meta_fps or DEFAULT_FPS, meta, source=str(path))


def write_cache(video: Video, path: str | Path) -> Path:
    """Write ``video`` losslessly (``.npz``), atomically: a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, frames=video.frames, fps=np.float64(video.fps),
                                meta=np.str_(json.dumps(video.meta, default=str)))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_preview(video: Video, path: str | Path) -> Path:
    """Write an mp4 (mp4v) preview for people; lossy, never used for scoring."""
    import cv2

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), float(video.fps),
                             (video.width, video.height))
    if not writer.isOpened():
        raise VideoError(f"{path}: OpenCV cannot write mp4 here")
    try:
        for frame in video.frames:
            writer.write(np.ascontiguousarray(frame[..., ::-1]))
    finally:
        writer.release()
    return path


def content_fingerprint(paths: dict[str, Path]) -> str:
    """Hash of ``{key: path}`` by content: each file's sha256 (a frame folder: every
    file in it, in name order). Replacing a video, even with the same size and
    modification time, changes it; a missing path hashes as missing."""
    import hashlib

    from vbench_lite.weights import file_sha256

    h = hashlib.sha256()
    for key, p in sorted(paths.items()):
        p = Path(p)
        if p.is_dir():
            parts = [f"{q.name}:{file_sha256(q)}" for q in sorted(p.iterdir()) if q.is_file()]
            digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
        elif p.is_file():
            digest = file_sha256(p)
        else:
            digest = "missing"
        h.update(f"{key}|{digest}\n".encode())
    return h.hexdigest()[:16]
