"""Scoring a video file in one decode pass, holding a bounded window of frames.

``score_stream`` is what ``scoring.score_item`` does for a video file (mp4, avi, mov,
webm, mkv, m4v) that is not a probe case: a decoder thread reads the file and hands
windows of ``stream.WINDOW`` frames to the scoring thread through a queue of two, so
decoding overlaps flow and metric work; every metric with an accumulator
(``Metric.accumulator``) is fed each window (``metrics.stream``). The numbers are those
of ``score_video`` on the whole decoded video, bit for bit (``tests/test_streaming.py``).

Metrics without an accumulator get the whole video at the end: the runner keeps the
decoded frames for them only, within the frame budget (``io.max_frames``). Past the
budget those metrics are skipped with the reason and the rest are scored: the budget
protects memory only where frames are held.

A file that cannot be opened, is empty, or decodes no frame takes the whole-video path,
which gives the same one-line reasons as before; a file cut short (fewer frames than its
container declares, ``io.check_whole``) fails after the pass, as a whole read would.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from pathlib import Path

import numpy as np

from vbench_lite.errors import VideoError
from vbench_lite.io import MAX_FRAMES_ENV, VIDEO_EXTS, VideoFile, check_whole, max_frames, shown
from vbench_lite.metrics.base import Metric, MetricSkipped, SetMetric
from vbench_lite.metrics.stream import WINDOW, FrameChunk, StreamInfo
from vbench_lite.video import Video

STREAM_EXTS = VIDEO_EXTS - {".gif"}  # GIFs may need Pillow's reader: read whole
STREAM_ENV = "VBENCH_LITE_STREAM"
QUEUE_CHUNKS = 2  # decoded windows waiting for the scorer: bounds memory, lets decode run ahead


def stream_enabled() -> bool:
    """False when ``$VBENCH_LITE_STREAM`` is "0": video files are then read whole (for
    comparisons and benchmarks of the two paths)."""
    return os.environ.get(STREAM_ENV, "").strip() != "0"


def streamable(source, case) -> bool:
    """Whether ``source`` is scored by ``score_stream``: a readable, non-empty video file
    whose name OpenCV can open, for a case without simulator truth (probe videos are
    short and their physics metrics read the whole clip)."""
    if not isinstance(source, VideoFile) or getattr(case, "truth", None) is not None:
        return False
    path = Path(source.path)
    try:
        os.fsencode(path).decode("utf-8")
        return path.suffix.lower() in STREAM_EXTS and path.is_file() and path.stat().st_size > 0 \
            and os.access(path, os.R_OK)
    except (OSError, UnicodeDecodeError):
        return False


class _Decoder(threading.Thread):
    """Reads ``path`` into windows of ``window`` frames (uint8 (n, H, W, 3) RGB) on a queue;
    ``None`` ends the stream, an exception is passed on. Records fps, the declared count and
    the seconds spent decoding."""

    def __init__(self, path: Path, window: int):
        super().__init__(daemon=True, name="vbench-lite-decode")
        import cv2

        self.path, self.window = path, window
        self.out: queue.Queue = queue.Queue(QUEUE_CHUNKS)
        self.cap = cv2.VideoCapture(str(path))
        self.opened = self.cap.isOpened()
        self.native_fps = float(self.cap.get(cv2.CAP_PROP_FPS) or 0.0) if self.opened else 0.0
        self.declared = int(self.cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0) if self.opened else 0
        self.seconds = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        import cv2

        try:
            t0 = time.perf_counter()
            buf: list[np.ndarray] = []
            while not self.stop.is_set():
                ok, frame = self.cap.read()
                if not ok:
                    break
                cv2.cvtColor(frame, cv2.COLOR_BGR2RGB, dst=frame)  # as io.read_video: in place
                if buf and frame.shape != buf[0].shape:
                    raise VideoError(f"{shown(self.path)}: frames have different sizes")
                buf.append(frame)
                if len(buf) == self.window:
                    self.seconds += time.perf_counter() - t0
                    self._put(np.stack(buf))
                    t0, buf = time.perf_counter(), []
            self.seconds += time.perf_counter() - t0
            if buf:
                self._put(np.stack(buf))
            self._put(None)
        except BaseException as exc:  # handed to the scorer, which raises it
            self._put(exc)
        finally:
            self.cap.release()

    def _put(self, item) -> None:
        while not self.stop.is_set():
            try:
                self.out.put(item, timeout=0.1)
                return
            except queue.Full:
                continue


def score_stream(source: VideoFile, case, metrics: list[Metric], window: int = WINDOW):
    """Score the video file ``source`` in one decode pass (module docstring); returns a
    ``scoring.ItemOutcome``. Files the stream cannot open go the whole-video way."""
    from vbench_lite.runners.scoring import ItemOutcome, ScoredVideo, reason_of, score_rows, score_video

    if window < 2:
        raise ValueError("window must hold at least 2 frames")
    path = Path(source.path)
    decoder = _Decoder(path, window)
    if not decoder.opened:
        decoder.cap.release()
        return None  # the caller reads it whole, for the usual reason
    t_start = time.perf_counter()
    skips: dict[str, str] = {}
    accs, held = {}, []  # {name: accumulator}, metrics scored on the whole video
    for m in metrics:
        reason = m.applies_to(case)
        if reason:
            skips[m.name] = reason
            continue
        try:
            acc = m.accumulator(case)
        except MetricSkipped as exc:
            skips[m.name] = str(exc) or "not applicable"
            continue
        except Exception as exc:
            skips[m.name] = f"error: {reason_of(exc)}"
            continue
        if acc is None:
            held.append(m)
        else:
            accs[m.name] = acc
    budget = max_frames()
    frames_held: list[np.ndarray] | None = [] if held else None
    fps = None
    n, chunk = 0, None
    decoder.start()
    try:
        while True:
            item = decoder.out.get()
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            if chunk is None:  # the first window: the gate every video passes (sizes, frame count)
                fps = source.fps or (decoder.native_fps if 0 < decoder.native_fps < 1000 else None)
                Video.from_array(item, fps or 10.0, source=shown(path))
            chunk = FrameChunk(item, n, chunk)
            n += len(item)
            if frames_held is not None:
                if budget and n > budget:
                    frames_held = None
                    for m in held:
                        skips[m.name] = (f"needs the whole video in memory, which has more than {budget} frames (the "
                                         f"frame budget); raise {MAX_FRAMES_ENV} to score it")
                    held = []
                else:
                    frames_held.append(item)
            for name in list(accs):
                try:
                    accs[name].update(chunk)
                except MetricSkipped as exc:
                    skips[name] = str(exc) or "not applicable"
                    del accs[name]
                except Exception as exc:  # a metric bug must not sink the item or the run
                    skips[name] = f"error: {reason_of(exc)}"
                    del accs[name]
    except Exception as exc:
        return ItemOutcome(None, reason_of(exc), decoder.seconds, 0.0)
    finally:
        decoder.stop.set()
        decoder.join()
    if chunk is None:
        return None  # nothing decoded: the whole-video path says why
    try:
        check_whole(path, n, decoder.declared, decoder.native_fps)
    except VideoError as exc:
        return ItemOutcome(None, reason_of(exc), decoder.seconds, 0.0)
    from vbench_lite.io import DEFAULT_FPS

    info = StreamInfo(n, chunk.frames.shape[1], chunk.frames.shape[2], float(fps or DEFAULT_FPS))
    chunk = None
    parts: dict[str, ScoredVideo] = {}
    for m in metrics:
        if m.name not in accs:
            continue
        part = parts[m.name] = ScoredVideo()
        try:
            if isinstance(m, SetMetric):
                part.features[m.name] = accs[m.name].features(info)
            part.scores.extend(score_rows(m, accs[m.name].result(info)))
        except MetricSkipped as exc:
            parts.pop(m.name)
            skips[m.name] = str(exc) or "not applicable"
        except Exception as exc:
            parts.pop(m.name)
            skips[m.name] = f"error: {reason_of(exc)}"
    if held:
        video = Video(np.concatenate(frames_held), info.fps, {"source": shown(path)})
        frames_held = None
        whole = score_video(video, case, held)
        for m in held:
            part = parts[m.name] = ScoredVideo()
            part.scores = [s for s in whole.scores if s.source == m.name]
            if m.name in whole.features:
                part.features[m.name] = whole.features[m.name]
        skips.update(whole.skips)
    out = ScoredVideo()
    for m in metrics:  # in the metrics' order, as score_video gives them
        if m.name in parts:
            out.scores.extend(parts[m.name].scores)
            out.features.update(parts[m.name].features)
        elif m.name in skips:
            out.skips[m.name] = skips[m.name]
    total = time.perf_counter() - t_start
    return ItemOutcome(out, None, decoder.seconds, max(0.0, total - decoder.seconds))
