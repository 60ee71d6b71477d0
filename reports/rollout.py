"""A long rollout window by window: per-window errors and errors at the seams.

Reads what a run stored -- the per-frame timelines of an output (``Score.timeline``:
``position_error``, ``velocity_error``) and the seams its generator declared
(``Generator.seams``, in the run's provenance) -- and never recomputes a metric.

A seam ``s`` is the frame pair (s -> s+1) where a later window's first new frame
(s + 1) follows the frames it was conditioned on. Window 0 made frames 0..seams[0];
window k made seams[k-1]+1 .. seams[k] (the last one: up to the clip's end).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vbench_lite.reports.data import load_timelines
from vbench_lite.store import Store


def window_spans(num_frames: int, seams: list[int]) -> list[tuple[int, int]]:
    """[start, stop) of the frames each window generated; one window without seams."""
    cuts = [s + 1 for s in seams if 0 <= s < num_frames - 1]
    edges = [0, *cuts, num_frames]
    return list(zip(edges[:-1], edges[1:]))


def window_means(timeline: np.ndarray, seams: list[int]) -> np.ndarray:
    """(K,) mean of a per-frame timeline over the frames of each window (NaN where none)."""
    t = np.asarray(timeline, float)
    out = []
    for a, b in window_spans(t.size, seams):
        x = t[a:b][np.isfinite(t[a:b])]
        out.append(float(x.mean()) if x.size else float("nan"))
    return np.array(out)


def seam_ratio(timeline: np.ndarray, seams: list[int]) -> float:
    """Mean of a per-frame timeline at the first new frame of each later window (frame
    s + 1: for a velocity error, the step across the seam) over its mean at every other
    frame: 1 = seams are no worse than anywhere else. NaN without seams or values."""
    t = np.asarray(timeline, float)
    at = np.zeros(t.size, bool)
    at[[s + 1 for s in seams if 0 <= s < t.size - 1]] = True
    ok = np.isfinite(t)
    if not (at & ok).any() or not (~at & ok).any():
        return float("nan")
    return float(t[at & ok].mean() / t[~at & ok].mean())


def rollout_windows(store: Store, run_id: str, output: str, seams: list[int] | None = None,
                    case_prefix: str = "") -> pd.DataFrame:
    """One row per window of the clips whose case id starts with ``case_prefix``:
    ``window``, ``frames`` ("a-b"), ``mean`` (over clips of each clip's window mean of
    ``output``), ``n`` (clips with a value there). ``seams``: the run's own by default
    (give another run's to cut a floor run, which has none, at the same places)."""
    if seams is None:
        seams = (store.run(run_id).get("provenance") or {}).get("seams") or []
    tl = load_timelines(store, run_id, output)
    tl = tl[tl["case_id"].str.startswith(case_prefix)]
    cols = ["window", "frames", "mean", "n"]
    if tl.empty:
        return pd.DataFrame(columns=cols)
    length = max(len(t) for t in tl["timeline"])
    per_clip = np.array([window_means(np.pad(np.asarray(t, float), (0, length - len(t)), constant_values=np.nan),
                                      seams) for t in tl["timeline"]])  # (clips, K)
    rows = []
    for k, (a, b) in enumerate(window_spans(length, seams)):
        col = per_clip[:, k]
        ok = np.isfinite(col)
        rows.append({"window": k, "frames": f"{a}-{b - 1}", "mean": float(col[ok].mean()) if ok.any() else np.nan,
                     "n": int(ok.sum())})
    return pd.DataFrame(rows, columns=cols)
