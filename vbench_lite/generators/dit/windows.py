"""Windowed rollout geometry, without torch: where each window starts, where seams are.

Shared by the sampler (``flow_matching.rollout``) and ``ReferenceDiTGenerator.seams``,
which declares the window boundaries of a run; the runner records them in the run's
provenance and the reports mark them on its per-frame timelines.
"""

from __future__ import annotations


def window_starts(total: int, window: int, overlap: int) -> list[int]:
    """First frame of each rollout window. Each window after the first re-generates
    nothing: it is conditioned on the previous window's last ``overlap`` frames."""
    if total <= window:
        return [0]
    if not 0 < overlap < window:
        raise ValueError(f"overlap must be in 1..{window - 1} for a rollout, got {overlap}")
    starts, end = [0], window
    while end < total:
        starts.append(end - overlap)
        end = starts[-1] + window
    return starts


def seam_pairs(total: int, window: int, overlap: int) -> list[int]:
    """Frame-pair indices (t -> t+1) where a later window's first new frame follows
    the frames it was conditioned on: ``start + overlap - 1`` for every window after
    the first. These are where a rollout's seams show in per-pair timelines."""
    return [s + overlap - 1 for s in window_starts(total, window, overlap)[1:]]
