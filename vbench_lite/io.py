"""Reading and writing videos.

Readers: video files through OpenCV (mp4, avi, mov, webm, mkv, gif; GIF falls back to
Pillow), a folder of PNG/JPG frames (sorted naturally), and ``.npy`` / ``.npz`` arrays.
Everything passes ``Video.from_array`` so every source is validated the same way.

The cache format is lossless -- ``.npz`` of uint8 frames -- because lossy codecs
change the very pixels that flicker metrics measure. Only generated videos are cached:
a video that is already a file (``VideoFile``: eval, the folder generator) is read
again from that file, never copied. The frames are deflated (zlib level 1) only when a
sample frame compresses to under ``CACHE_DEFLATE_RATIO`` of its size, else stored: on
a textured 49x480x832 clip zlib saved 7 % of 59 MB for 1.6 s of writing (level 6; the
stored file: 0.09 s), while flat rendered shapes shrink 150x at level 1 for 0.11 s
(benchmarks/bench_eval.py, ``cache formats``). The mp4 written by ``write_preview`` is
for humans only and never read back for scoring.

Memory: ``read_video`` decodes a video whole, so memory grows with its length. It
refuses a video longer than the frame budget (``$VBENCH_LITE_MAX_FRAMES``, default
``DEFAULT_MAX_FRAMES``; 0 = no limit) before decoding it, with one line saying how to
raise the budget. Video files scored by the runner are streamed instead
(``runners.streaming``: a window of frames at a time, any length); there the budget binds
only the metrics that still need the whole video (no accumulator: backbone metrics,
RAFT flow, VBench's dimensions), and inputs that are read whole (arrays, frame folders,
GIFs, generated videos).

File names need not be valid UTF-8 (Linux allows any bytes): messages show such
bytes escaped (``shown``), OpenCV -- which crashes on them -- never sees them.
"""

from __future__ import annotations

import errno
import json
import os
import re
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vbench_lite.errors import ResourceError, UserError, VideoError
from vbench_lite.video import Video

VIDEO_EXTS = {".mp4", ".avi", ".mov", ".webm", ".mkv", ".m4v", ".gif"}
ARRAY_EXTS = {".npy", ".npz"}
IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".bmp", ".webp"}
DEFAULT_FPS = 10.0
# OSError numbers that say the machine ran out of something (exit 3), not that a path was wrong
RESOURCE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.ENOMEM}
MAX_FRAMES_ENV = "VBENCH_LITE_MAX_FRAMES"
# A file that decodes fewer frames than its container declares (cut short, damaged) is
# a failure with the reason, unless this is "1" (``eval --allow-partial`` sets it).
ALLOW_PARTIAL_ENV = "VBENCH_LITE_ALLOW_PARTIAL"
# Frames a decode may fall short of the container's count and still be whole: OpenCV's
# count is the container's frame count, or its duration x fps where it declares none,
# which is off by one frame on some muxers (never more, on the files tried).
PARTIAL_TOLERANCE_FRAMES = 1
# Frames per video held whole (see the module docstring). Scoring the default metrics held, measured
# (peak RSS over the process before scoring, 2 cores): 0.19 MB per frame at 64x64 and
# 4.7 MB per frame at 480x832 (decoded frames, flows at the analysis size, masks); so
# 2048 frames -- 80 s at 25 fps -- take ~0.4 GB at 64x64 and ~10 GB at 480x832.
DEFAULT_MAX_FRAMES = 2048


def shown(path: str | os.PathLike) -> str:
    """``path`` as text for messages, tables and the store: bytes that are not
    UTF-8 appear as ``\\xNN`` escapes instead of raising UnicodeEncodeError."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def max_frames() -> int:
    """The frame budget per video (``$VBENCH_LITE_MAX_FRAMES``; 0 = no limit)."""
    raw = os.environ.get(MAX_FRAMES_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_FRAMES
    try:
        value = int(raw)
    except ValueError:
        raise UserError(f"{MAX_FRAMES_ENV}={raw!r}: expected a whole number of frames (0: no limit)") from None
    if value < 0:
        raise UserError(f"{MAX_FRAMES_ENV}={raw!r}: expected a whole number of frames (0: no limit)")
    return value


def _check_length(path: Path, n: int, *, so_far: bool = False) -> None:
    """Refuse ``path`` when its ``n`` frames (``so_far``: decoded so far) exceed the budget."""
    budget = max_frames()
    if budget and n > budget:
        count = f"more than {budget} frames" if so_far else f"{n} frames"
        raise VideoError(
            f"{shown(path)}: {count}, over the budget of {budget} per video (memory grows with "
            f"length); cut the video or raise {MAX_FRAMES_ENV}"
        )


def is_video_path(path: Path) -> bool:
    """A file we can read as one video, or a folder of frames (False for what
    cannot be listed: a symlink loop, a folder without permission)."""
    try:
        if path.is_dir():
            return any(p.suffix.lower() in IMAGE_EXTS for p in path.iterdir())
    except OSError:
        return False
    return path.suffix.lower() in VIDEO_EXTS | ARRAY_EXTS


def read_video(path: str | Path, fps: float | None = None) -> Video:
    """Read one video from a file or a folder of frames. Raises ``VideoError``
    with one line naming the file and the problem."""
    path = Path(path)
    if not path.exists():
        if path.is_symlink():
            raise VideoError(f"{shown(path)}: broken symbolic link or symlink loop")
        raise VideoError(f"{shown(path)}: no such file or folder")
    if not os.access(path, os.R_OK):
        raise VideoError(f"{shown(path)}: not readable (check permissions)")
    if path.is_dir():
        return _read_frame_folder(path, fps)
    if path.stat().st_size == 0:
        raise VideoError(f"{shown(path)}: file is empty")
    ext = path.suffix.lower()
    if ext in ARRAY_EXTS:
        return _read_array(path, fps)
    if ext in VIDEO_EXTS:
        return _read_video_file(path, fps)
    raise VideoError(
        f"{shown(path)}: unsupported extension {ext!r}; use one of "
        f"{', '.join(sorted(VIDEO_EXTS | ARRAY_EXTS))} or a folder of frames"
    )


@dataclass(frozen=True)
class VideoFile:
    """A video that is a file (or a folder of frames) on disk and stays there: what
    file-backed generators (eval's files, ``folder``) hand the runner instead of
    frames. The runner neither caches nor ships its frames: whoever scores it reads
    it (``read``), in a worker process too -- the path pickles in bytes, not 60 MB."""

    path: Path
    fps: float | None = None

    def read(self) -> Video:
        return read_video(self.path, fps=self.fps)


def _is_utf8(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _read_video_file(path: Path, fps: float | None) -> Video:
    if _is_utf8(path):
        return _decode_video_file(path, path, fps)
    # OpenCV crashes on file names that are not UTF-8: read through a link with a plain name
    with tempfile.TemporaryDirectory(prefix="vbench-read-") as tmp:
        link = Path(tmp) / f"video{path.suffix}"
        link.symlink_to(os.path.abspath(path))
        return _decode_video_file(link, path, fps)


def _decode_video_file(path: Path, named: Path, fps: float | None) -> Video:
    """Decode ``path`` (``named`` is the name in messages), stopping past the frame budget."""
    import cv2

    budget = max_frames()
    cap = cv2.VideoCapture(str(path))
    frames, native_fps, order, declared = [], 0.0, "rgb", 0
    cap_opened = cap.isOpened()
    try:
        if cap_opened:
            native_fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
            declared = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
            while True:  # counted while decoding: containers' own frame counts can be wrong
                ok, frame = cap.read()
                if not ok:
                    break
                if frame.ndim == 3 and frame.shape[2] == 3:  # OpenCV decodes to BGR: to RGB in place, as
                    cv2.cvtColor(frame, cv2.COLOR_BGR2RGB, dst=frame)  # decoded (no reversed copy of the video)
                else:
                    order = "bgr"  # (never met: OpenCV gives 3 channels) left to from_array
                frames.append(frame)
                if budget and len(frames) > budget:
                    _check_length(named, len(frames), so_far=True)
    finally:
        cap.release()
    if not frames and path.suffix.lower() == ".gif":
        frames, native_fps = _read_gif_pillow(path, named)
        order = "rgb"
    if not frames:
        raise VideoError(f"{shown(named)}: no frames could be decoded (truncated, corrupt, or not a video)")
    if len({f.shape for f in frames}) > 1:
        raise VideoError(f"{shown(named)}: frames have different sizes")
    if path.suffix.lower() != ".gif":
        check_whole(named, len(frames), declared if cap_opened else 0, native_fps)
    use_fps = fps or (native_fps if 0 < native_fps < 1000 else DEFAULT_FPS)
    return Video.from_array(np.stack(frames), use_fps, {"source": shown(named)}, channel_order=order,
                            source=shown(named))


def partial_allowed() -> bool:
    return os.environ.get(ALLOW_PARTIAL_ENV, "").strip() == "1"


def check_whole(path: Path, decoded: int, declared: int, fps: float) -> None:
    """Refuse a video that decoded fewer frames than its container declares (the
    count, or duration x fps where the container gives no count): a file cut short
    or damaged part-way is not scored as if whole. ``declared`` 0 = unknown."""
    if declared <= 0 or decoded >= declared - PARTIAL_TOLERANCE_FRAMES or partial_allowed():
        return
    secs = f" ({decoded / fps:.2f} s of {declared / fps:.2f} s)" if 0 < fps < 1000 else ""
    raise VideoError(f"{shown(path)}: decoded {decoded} of {declared} frames{secs}: the file is cut short or "
                     f"damaged; re-export it, or score what decodes with --allow-partial ({ALLOW_PARTIAL_ENV}=1)")


def _read_gif_pillow(path: Path, named: Path) -> tuple[list[np.ndarray], float]:
    from PIL import Image, ImageSequence

    try:
        with Image.open(path) as im:
            duration = im.info.get("duration") or 100
            _check_length(named, int(getattr(im, "n_frames", 1)))
            frames = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)]
    except VideoError:
        raise
    except Exception:
        return [], 0.0
    return frames, 1000.0 / float(duration)


def _natural_key(p: Path):
    return [int(s) if s.isdigit() else s.lower() for s in re.split(r"(\d+)", p.name)]


def _read_frame_folder(path: Path, fps: float | None) -> Video:
    import cv2

    try:
        files = sorted((p for p in path.iterdir() if p.suffix.lower() in IMAGE_EXTS), key=_natural_key)
    except OSError as exc:
        raise VideoError(f"{shown(path)}: folder cannot be listed ({exc.strerror})") from None
    if not files:
        raise VideoError(f"{shown(path)}: folder has no image frames ({', '.join(sorted(IMAGE_EXTS))})")
    _check_length(path, len(files))
    frames = []
    for f in files:
        try:  # decoded from bytes: OpenCV never sees a file name (it crashes on non-UTF-8 ones)
            img = cv2.imdecode(np.fromfile(f, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
        except (OSError, cv2.error):
            img = None
        if img is None:
            raise VideoError(f"{shown(f)}: not a readable image")
        if img.ndim == 3 and img.shape[2] == 4:
            img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA)
        elif img.ndim == 3:
            img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        if img.dtype == np.uint16:
            img = (img // 257).astype(np.uint8)
        frames.append(img)
    shapes = {f.shape for f in frames}
    if len(shapes) > 1:
        raise VideoError(f"{shown(path)}: frames have different sizes {sorted(shapes)[:2]}; all frames must match")
    return Video.from_array(np.stack(frames), fps or DEFAULT_FPS, {"source": shown(path)}, source=shown(path))


def _npz_member_length(z, key: str) -> int:
    """Frame count of array ``key`` of an open ``NpzFile`` from its header, without
    decompressing it (0 when the header cannot tell)."""
    with z.zip.open(key + ".npy") as fh:
        version = np.lib.format.read_magic(fh)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape = read(fh)[0]
    return int(shape[0]) if shape else 0


def _read_array(path: Path, fps: float | None) -> Video:
    try:
        if path.suffix.lower() == ".npy":
            arr = np.load(path, allow_pickle=False, mmap_mode="r")  # the header only, until checked
            _check_length(path, int(arr.shape[0]) if arr.ndim else 0)
            arr, meta_fps, meta = np.array(arr), None, {}
        else:
            with np.load(path, allow_pickle=False) as z:
                key = "frames" if "frames" in z.files else (z.files[0] if z.files else None)
                if key is None:
                    raise VideoError(f"{shown(path)}: .npz holds no arrays")
                _check_length(path, _npz_member_length(z, key))
                arr = z[key]
                meta_fps = float(z["fps"]) if "fps" in z.files else None
                meta = json.loads(str(z["meta"])) if "meta" in z.files else {}
    except VideoError:
        raise
    except MemoryError:
        raise
    except Exception as exc:
        raise VideoError(f"{shown(path)}: not a readable numpy file ({type(exc).__name__})") from None
    meta.setdefault("source", shown(path))
    return Video.from_array(arr, fps or meta_fps or DEFAULT_FPS, meta, source=shown(path))


TMP_SUFFIX = ".tmp"
STALE_TMP_SECONDS = 3600.0  # a temporary file of no live process here, or this old, is debris


_TMP_NAME = re.compile(r"^\..+~(\d+)@(.+)" + re.escape(TMP_SUFFIX) + "$")  # .<name>~<pid>@<host>.tmp


def _tmp_name(path: Path) -> Path:
    """``.<name>~<pid>@<host>.tmp`` beside ``path``: who writes it is in the name, so a
    later run can tell a killed writer's debris from a live writer's file."""
    return path.with_name(f".{path.name}~{os.getpid()}@{socket.gethostname()}{TMP_SUFFIX}")


CACHE_DEFLATE_LEVEL = 1  # zlib level of deflated cache frames (level 6 took ~3x longer on flat renders)
CACHE_DEFLATE_RATIO = 0.5  # deflate frames when a sample frame compresses below this fraction of its size


def cache_compresses(frames: np.ndarray) -> bool:
    """Whether deflating ``frames`` pays: its middle frame, zlib level 1, shrinks under
    ``CACHE_DEFLATE_RATIO`` (flat renders: ~0.01; textured or noisy video: ~0.9)."""
    import zlib

    sample = np.ascontiguousarray(frames[len(frames) // 2]).tobytes()
    return len(zlib.compress(sample, CACHE_DEFLATE_LEVEL)) < CACHE_DEFLATE_RATIO * max(1, len(sample))


def _write_npz(fh, arrays: dict[str, np.ndarray], deflate: bool) -> None:
    """An ``.npz`` (what ``np.load`` reads), its members deflated at
    ``CACHE_DEFLATE_LEVEL`` (``deflate``) or stored."""
    import zipfile

    kind = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(fh, "w", compression=kind, compresslevel=CACHE_DEFLATE_LEVEL if deflate else None,
                         allowZip64=True) as zf:
        for name, arr in arrays.items():
            with zf.open(name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(arr), allow_pickle=False)


def write_cache(video: Video, path: str | Path, *, compress: bool | None = None) -> Path:
    """Write ``video`` losslessly (``.npz``), atomically: a reader never sees half a
    file. ``compress``: deflate the frames (None: when ``cache_compresses`` says it
    pays). A writer killed mid-write leaves a temporary file that
    ``remove_stale_temp_files`` (called when a run starts) deletes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(path)
    if compress is None:
        compress = cache_compresses(video.frames)
    try:
        with open(tmp, "wb") as fh:
            _write_npz(fh, {"frames": video.frames, "fps": np.float64(video.fps),
                            "meta": np.str_(json.dumps(video.meta, default=str))},
                       compress)
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno in RESOURCE_ERRNOS:
            raise ResourceError(f"video cache {shown(path)}: {exc.strerror}; free space (or raise the limit) and "
                                "re-run the same command to resume -- what was stored is intact") from exc
        raise
    return path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def remove_stale_temp_files(folder: str | Path) -> int:
    """Delete ``*.tmp`` files in ``folder`` left by killed writers: those of this host
    whose process is gone, and any older than ``STALE_TMP_SECONDS`` (another host's on
    a shared disk, or an older naming). Returns how many were removed."""
    folder = Path(folder)
    host, removed, now = socket.gethostname(), 0, time.time()
    try:
        entries = list(folder.glob(f"*{TMP_SUFFIX}"))
    except OSError:
        return 0
    for p in entries:
        m = _TMP_NAME.match(p.name)
        try:
            stale = (m is not None and m.group(2) == host and not _pid_alive(int(m.group(1)))) or \
                now - p.stat().st_mtime > STALE_TMP_SECONDS
            if stale and p.is_file():
                p.unlink()
                removed += 1
        except OSError:
            continue  # gone already, or not ours to remove
    return removed


def check_folder_path(path: str | Path, what: str) -> Path:
    """Check, without creating anything, that folder ``path`` exists or can be made:
    it is not a file, and its nearest existing ancestor is a writable folder. Raises
    ``UserError`` starting with ``what`` (e.g. ``"--cache-dir x/y"``)."""
    path = Path(path)
    probe = path
    while not (probe.exists() or probe.is_symlink()) and probe.parent != probe:
        probe = probe.parent
    if probe.is_symlink() and not probe.exists():
        raise UserError(f"{what}: {shown(probe)} is a broken symbolic link or a symlink loop")
    if probe.exists() and not probe.is_dir():
        raise UserError(f"{what}: {shown(probe)} is a file, not a folder")
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        raise UserError(f"{what}: the folder {shown(probe)} is not writable")
    return path


def make_folder(path: str | Path, what: str) -> Path:
    """Create folder ``path`` (with parents) or raise one line starting with ``what``:
    ``UserError`` for a path that cannot be a folder, ``ResourceError`` for a full
    disk or an I/O error."""
    path = check_folder_path(path, what)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        cls = ResourceError if exc.errno in RESOURCE_ERRNOS else UserError
        raise cls(f"{what}: cannot create the folder {shown(path)} ({exc.strerror})") from None
    return path


def write_preview(video: Video, path: str | Path) -> Path:
    """Write an mp4 (mp4v) preview for people; lossy, never used for scoring."""
    import cv2

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not _is_utf8(path):  # OpenCV crashes on such names: write under a plain one, then move
        import shutil

        with tempfile.TemporaryDirectory(prefix="vbench-preview-") as tmp:
            shutil.move(write_preview(video, Path(tmp) / "preview.mp4"), path)
        return path
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


def write_png(path: str | Path, frame: np.ndarray) -> Path:
    """One RGB uint8 frame as a lossless PNG, encoded in memory (so any file name
    works, UTF-8 or not)."""
    import cv2

    ok, buf = cv2.imencode(".png", np.ascontiguousarray(frame[..., ::-1]))  # OpenCV wants BGR
    if not ok:
        raise VideoError(f"cannot encode a {frame.shape} frame as PNG")
    Path(path).write_bytes(buf.tobytes())
    return Path(path)


def video_digest(path: Path) -> str:
    """Hex sha256 of one video by content: a file's sha256; a frame folder's sha256 of
    its files' names and digests in name order (frame order matters there). File
    digests are memoised per (path, size, mtime) by ``weights.file_sha256``. An
    unreadable or missing path gets a marker instead (reading it later fails that
    item alone, with the reason)."""
    import hashlib

    from vbench_lite.weights import file_sha256

    def sha(q: Path) -> str:
        try:
            return file_sha256(q)
        except OSError as exc:
            return f"unreadable:{exc.errno}"

    p = Path(path)
    if p.is_dir():
        try:
            files = [q for q in sorted(p.iterdir()) if q.is_file()]
        except OSError as exc:
            return f"unlistable:{exc.errno}"
        # names as bytes: any file name hashes, UTF-8 or not (same digest as text for UTF-8)
        parts = [os.fsencode(q.name) + b":" + sha(q).encode() for q in files]
        return hashlib.sha256(b"|".join(parts)).hexdigest()
    return sha(p) if p.is_file() else "missing"


def set_fingerprint(paths) -> str:
    """Hex sha256 of a *set* of videos' content: the sorted ``video_digest`` of each.
    File names and order do not count (a reference set's distance does not see them);
    ``content_fingerprint`` is the keyed form, where the name of each video counts."""
    import hashlib

    return hashlib.sha256("\n".join(sorted(video_digest(Path(p)) for p in paths)).encode()).hexdigest()


def content_fingerprint(paths: dict[str, Path]) -> str:
    """Hash of ``{key: path}`` by content (``video_digest`` of each). Replacing a
    video, even with the same size and modification time, changes it."""
    import hashlib

    h = hashlib.sha256()
    for key, p in sorted(paths.items()):
        h.update(f"{key}|{video_digest(p)}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()[:16]
