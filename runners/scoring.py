"""Scoring one video with a list of metrics: the one place this happens.

The runner (inline or in worker processes), the parse floor (a floor run is an
ordinary run of the simulator oracle) and the benchmarks all call ``score_video``,
so a number means the same wherever it was computed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vbench_lite.case import Case
from vbench_lite.errors import UserError
from vbench_lite.io import VideoFile
from vbench_lite.metrics.base import Metric, MetricSkipped, SetMetric, VideoContext, as_score
from vbench_lite.store import ScoreRow
from vbench_lite.video import Video


@dataclass
class ScoredVideo:
    """What scoring one video gives: score rows, ``{metric: reason}`` for metrics that
    produced nothing, and ``{metric: feature vector}`` for set-level metrics (FVD)."""

    scores: list[ScoreRow] = field(default_factory=list)
    skips: dict[str, str] = field(default_factory=dict)
    features: dict[str, np.ndarray] = field(default_factory=dict)

    def values(self) -> dict[str, float]:
        """``{output: value}`` (for benchmarks and tables)."""
        return {s.metric: s.value for s in self.scores}


@dataclass
class ItemOutcome:
    """What scoring one item gives the runner: ``result`` or, when the video could not
    be read or is not valid for its case, ``error`` (the stored reason); the seconds
    spent reading it (a ``VideoFile``; 0 for frames in memory) and scoring it."""

    result: ScoredVideo | None
    error: str | None = None
    read_seconds: float = 0.0
    metric_seconds: float = 0.0


def check_video(video: Any, case: Case) -> Video:
    """Coerce a generator result to a valid ``Video`` for ``case`` or raise with the reason."""
    if isinstance(video, Exception):
        raise video
    if not isinstance(video, Video):
        video = Video.from_array(video, case.fps, source=f"generator output for {case.case_id}")
    if case.truth is not None:
        want = (case.num_frames, case.height, case.width)
        got = video.frames.shape[:3]
        if tuple(got) != want:
            raise UserError(f"generator returned frames {tuple(got)} (T, H, W); this probe case needs {want}")
    return video


def score_item(source: Video | VideoFile | Any, case: Case, metrics: list[Metric]) -> ItemOutcome:
    """Read ``source`` (a ``VideoFile`` is read here: in a worker, the worker reads it),
    check it against ``case`` and score it. A video that cannot be read or is invalid
    gives an outcome with ``error``; metric failures are skips, as in ``score_video``.
    A video file of a case without truth is scored in one decode pass holding a window
    of frames (``runners.streaming``; ``$VBENCH_LITE_STREAM=0`` reads it whole instead),
    with the same numbers."""
    from vbench_lite.runners.streaming import score_stream, stream_enabled, streamable

    if stream_enabled() and streamable(source, case):
        outcome = score_stream(source, case, metrics)
        if outcome is not None:
            return outcome
    t0 = time.perf_counter()
    try:
        video = check_video(source.read() if isinstance(source, VideoFile) else source, case)
    except Exception as exc:
        return ItemOutcome(None, reason_of(exc), time.perf_counter() - t0)
    t1 = time.perf_counter()
    result = score_video(video, case, metrics)
    return ItemOutcome(result, None, t1 - t0 if isinstance(source, VideoFile) else 0.0, time.perf_counter() - t1)


def score_video(video: Video, case: Case | None, metrics: list[Metric]) -> ScoredVideo:
    """All metrics on one video, sharing one ``VideoContext`` (flow computed once).
    A metric that does not apply, skips itself or fails is recorded with its reason;
    it never sinks the other metrics."""
    ctx = VideoContext(video, case)
    out = ScoredVideo()
    for m in metrics:
        reason = m.applies_to(case)
        if reason:
            out.skips[m.name] = reason
            continue
        try:
            if isinstance(m, SetMetric):
                feats = m.features(video, case, ctx)
                rows = score_rows(m, m.item_scores(video, case, ctx))
                out.features[m.name] = feats
                out.scores.extend(rows)
                continue
            result = m.compute(video, case, ctx)
        except MetricSkipped as exc:
            out.skips[m.name] = str(exc) or "not applicable"
            continue
        except Exception as exc:  # a metric bug must not sink the item or the run
            out.skips[m.name] = f"error: {reason_of(exc)}"
            continue
        out.scores.extend(score_rows(m, result))
    return out


def score_rows(metric: Metric, result: dict) -> list[ScoreRow]:
    """Rows for a metric's result, each carrying the output's own declaration."""
    declared = {o.name: o for o in metric.outputs}
    rows = []
    for key, value in result.items():
        out = declared.get(key)
        if out is None:
            raise RuntimeError(f"metric {metric.name} returned undeclared output {key!r}")
        s = as_score(value)
        rows.append(ScoreRow(key, s.value, out.units, out.higher_is_better, metric.name, s.timeline))
    return rows


def reason_of(exc: BaseException) -> str:
    """One line for a stored failure reason (the exception type unless a user error)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, UserError) else f"{type(exc).__name__}: {text}"
