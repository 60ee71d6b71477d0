"""Streaming: a video fed to its metrics in windows of frames, in one decode pass.

A metric that can score a video without holding it returns an ``Accumulator`` from
``Metric.accumulator(case)`` (the torchmetrics shape: state, ``update``, ``result``).
The runner (``runners.streaming``) decodes a file window by window and hands each
window to every accumulator as a ``FrameChunk``; what metrics share (analysis frames,
optical flow) is computed once per chunk in the chunk's memo, as ``VideoContext``
does for a whole video. A metric without an accumulator (``accumulator`` returns
None, the default) is scored on the whole video at the end, as before.

Chunks and pairs. Chunk k holds the decoded frames ``start .. start + n - 1`` and keeps
the chunk before it (``previous``, whose own ``previous`` is dropped: at most two
windows are alive). Its flows (``flows``) are those of the frame pairs ending in it:
(start - 1, start), ..., (start + n - 2, start + n - 1) -- the first chunk starts at
pair (0, 1) -- so every pair of the video is in exactly one chunk, computed on the
same analysis frames by the same per-pair code as ``flow.pair_flows`` on the whole
video: the flows, masks and every per-pair number are bit-identical to the whole
video's (``tests/test_streaming.py``). State across a chunk seam (smoothness's
acceleration needs the flow of the pair before) is read from ``previous``.

Memory: two windows of frames and their flows (``WINDOW`` = 16 frames: ~100 MB at
480x832) plus each accumulator's state, which grows by a few numbers per frame
(timelines, per-frame feature rows: < 1 kB per frame).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from vbench_lite.metrics.base import Score
from vbench_lite.metrics.flow import ANALYSIS_TARGET_SIDE, PairFlows, analysis_frames, pair_flows

WINDOW = 16  # frames per chunk: ~20 MB of decoded 480x832 frames and ~50 MB of their flows


@dataclass(frozen=True)
class StreamInfo:
    """What a metric knows of a streamed video when asked for its result."""

    num_frames: int
    height: int
    width: int
    fps: float


class FrameChunk:
    """One window of a streamed video (module docstring): ``frames`` uint8 (n, H, W, 3)
    RGB, the video's frames ``start .. start + n - 1``, and a memo of what metrics share."""

    def __init__(self, frames: np.ndarray, start: int, previous: "FrameChunk | None" = None):
        self.frames = frames
        self.start = start
        self.previous = previous
        if previous is not None:
            previous.previous = None  # keep one window back, not the whole video
        self._memo: dict[str, Any] = {}
        # per-video state metrics share across chunks (``FrameBatches``), handed from chunk to chunk
        self.video: dict[str, Any] = previous.video if previous is not None else {}

    def get(self, key: str, fn: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = fn()
        return self._memo[key]

    @property
    def first_pair(self) -> int:
        """Index t of this chunk's first pair (t, t + 1)."""
        return self.start - 1 if self.previous is not None else 0

    def full_window(self) -> list[np.ndarray]:
        """Full-resolution frames of this chunk's pairs: the previous chunk's last frame, then this chunk's."""
        head = [self.previous.frames[-1]] if self.previous is not None else []
        return head + list(self.frames)

    def analysis(self) -> tuple[np.ndarray, float]:
        """``flow.analysis_frames`` of this chunk's frames: (uint8 (n, h, w, 3), scale)."""
        return self.get(f"frames:{ANALYSIS_TARGET_SIDE}", lambda: analysis_frames(self.frames))

    def analysis_window(self) -> np.ndarray:
        """Analysis frames of this chunk's pairs (the previous chunk's last one first), uint8 (n[+1], h, w, 3)."""
        small, _ = self.analysis()
        if self.previous is None:
            return small
        return np.concatenate([self.previous.analysis()[0][-1:], small])

    def flows(self, backend: str = "dis", raft_path=None) -> PairFlows:
        """``PairFlows`` of this chunk's pairs (``first_pair`` onwards)."""
        def compute():
            flows = pair_flows(self.analysis_window(), self.analysis()[1], backend, raft_path)
            flows.warped = {}  # a window's warped frames are shared by the metrics that read them
            return flows

        return self.get(f"flow:{backend}", compute)

    def previous_pair(self, backend: str = "dis") -> tuple[np.ndarray, np.ndarray] | None:
        """(bw, valid_bw) of the pair before this chunk's first, (h, w, 2) and (h, w), or None
        (the video's first chunk, or a previous chunk without pairs)."""
        if self.previous is None:
            return None
        prev = self.previous.flows(backend)
        return (prev.bw[-1], prev.valid_bw[-1]) if len(prev.bw) else None


class Accumulator:
    """A metric's state over one streamed video: ``update`` with each chunk in order,
    then ``result`` once. Per-video metrics return ``{output: Score | float}`` as
    ``Metric.compute`` does; set-level metrics also give ``features``."""

    def update(self, chunk: FrameChunk) -> None:
        raise NotImplementedError

    def result(self, info: StreamInfo) -> dict[str, Score | float]:
        raise NotImplementedError

    def features(self, info: StreamInfo) -> np.ndarray:
        """A set-level metric's feature row (``SetMetric.features``)."""
        raise NotImplementedError


class PairAccumulator(Accumulator):
    """Per-pair arrays from each chunk, concatenated, summarised at the end: for metrics
    whose numbers are per-pair values reduced over the whole video.

    ``per_chunk(chunk)`` returns a tuple of per-pair (or per-frame) 1-D arrays;
    ``summarise(arrays, info)`` gets the concatenated tuple and returns the scores.
    """

    def __init__(self, per_chunk: Callable[[FrameChunk], tuple], summarise: Callable[[tuple, Any], dict]):
        self.per_chunk = per_chunk
        self.summarise = summarise
        self.parts: list[tuple] = []

    def update(self, chunk: FrameChunk) -> None:
        self.parts.append(tuple(self.per_chunk(chunk)))

    def result(self, info: StreamInfo) -> dict[str, Score | float]:
        arrays = tuple(np.concatenate(col) for col in zip(*self.parts))
        return self.summarise(arrays, info)


class FrameBatches:
    """Full-size frames of one video embedded ``batch`` at a time by ``embed`` (uint8 (B, H, W,
    3) -> (B, D)), in the batches a whole-video pass makes (frames 0..B-1, B..2B-1, ...,
    whatever the windows), so the rows equal the whole video's to the bit. Holds fewer than
    ``batch`` frames between windows. Shared by the metrics that read one backbone's
    embeddings (``FrameChunk.video``): each feeds every chunk, the first one counts."""

    def __init__(self, embed: Callable[[np.ndarray], np.ndarray], batch: int):
        self.embed, self.batch = embed, batch
        self.pending: list[np.ndarray] = []
        self.rows: list[np.ndarray] = []
        self.fed = 0  # frames fed so far
        self._all: np.ndarray | None = None

    def update(self, chunk: FrameChunk) -> None:
        if chunk.start < self.fed:
            return  # another metric fed this chunk already
        self.fed = chunk.start + len(chunk.frames)
        self.pending.extend(chunk.frames)
        while len(self.pending) >= self.batch:
            self.rows.append(self.embed(np.stack(self.pending[:self.batch])))
            del self.pending[:self.batch]

    def result(self) -> np.ndarray:
        """(T, D) rows of every frame fed."""
        if self._all is None:
            if self.pending:
                self.rows.append(self.embed(np.stack(self.pending)))
                self.pending = []
            self._all = np.concatenate(self.rows)
        return self._all


class EmbeddingAccumulator(Accumulator):
    """Per-frame embeddings (``FrameBatches`` shared under ``key``), then ``summarise(rows, info)``."""

    def __init__(self, key: str, embed: Callable[[np.ndarray], np.ndarray], batch: int,
                 summarise: Callable[[np.ndarray, StreamInfo], dict]):
        self.key, self.embed, self.batch, self.summarise = f"{key}:batch{batch}", embed, batch, summarise
        self.batches: FrameBatches | None = None

    def update(self, chunk: FrameChunk) -> None:
        if self.batches is None:
            self.batches = chunk.video.setdefault(self.key, FrameBatches(self.embed, self.batch))
        self.batches.update(chunk)

    def result(self, info: StreamInfo) -> dict[str, Score | float]:
        return self.summarise(self.batches.result(), info)


class FirstFrames(Accumulator):
    """The first ``count`` frames of a video, for a metric that reads only those (FVD's clip):
    ``features(info)`` is ``fn(frames (count, H, W, 3), info)``; holds ``count`` frames at most."""

    def __init__(self, count: int, fn: Callable[[np.ndarray, StreamInfo], np.ndarray]):
        self.count, self.fn = count, fn
        self.frames: list[np.ndarray] = []

    def update(self, chunk: FrameChunk) -> None:
        if len(self.frames) < self.count:
            self.frames.extend(chunk.frames[: self.count - len(self.frames)])

    def features(self, info: StreamInfo) -> np.ndarray:
        return self.fn(np.stack(self.frames), info)

    def result(self, info: StreamInfo) -> dict[str, Score | float]:
        return {}
