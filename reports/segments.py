"""Long videos segment by segment: per-segment values, the worst segment named.

VBench-Long reads a long video as a row of short clips scored one by one. Nothing is
rescored here: every temporal metric stored its per-frame or per-pair timeline
(``Score.timeline``, float32 in the store: 58 kB per output for a 10-minute 24 fps video,
scored in one streaming pass, ``runners.streaming``), so a segment's value is the mean of
the timeline over the segment's entries -- for any segment length, chosen when the report
is made. A segment of L frames covers timeline entries [kL, (k+1)L) (frames for per-frame
timelines, pairs t -> t+1 for per-pair ones); the last segment may be shorter.

The worst segment of an output (by its declared direction: the highest mean where lower
is better, the lowest where higher is) is named with its frames, its value and its ratio
to the video's mean over segments; outputs without a direction get no worst segment.
Only videos longer than ``MIN_SEGMENTS`` segments are listed: a short clip is one segment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from vbench_lite.reports.data import query
from vbench_lite.store import Store, blob_to_timeline

SEGMENT_FRAMES = 240  # default segment length: 10 s at 24 fps
MIN_SEGMENTS = 3  # videos with fewer segments than this are not "long"
SEGMENT_COLUMNS = ["case_id", "seed", "output", "segment", "frames", "mean", "higher_is_better"]


def segment_spans(length: int, segment: int) -> list[tuple[int, int]]:
    """[start, stop) of each segment of ``segment`` entries over a timeline of ``length``."""
    if segment < 1:
        raise ValueError(f"segment length must be >= 1 frame, got {segment}")
    return [(a, min(a + segment, length)) for a in range(0, length, segment)]


def segment_means(timeline: np.ndarray, segment: int) -> np.ndarray:
    """(K,) mean of ``timeline`` over each segment's finite entries (NaN where none)."""
    t = np.asarray(timeline, np.float64)
    out = []
    for a, b in segment_spans(t.size, segment):
        x = t[a:b][np.isfinite(t[a:b])]
        out.append(float(x.mean()) if x.size else float("nan"))
    return np.array(out)


def run_segments(store: Store, run_id: str, segment: int = SEGMENT_FRAMES) -> pd.DataFrame:
    """One row per (video, output with a timeline, segment) of the run's long videos
    (``SEGMENT_COLUMNS``; ``frames`` as "a-b", inclusive)."""
    df = query(store, "SELECT case_id, seed, metric, higher_is_better, timeline FROM scores WHERE run_id=? "
                      "AND timeline IS NOT NULL AND length(timeline) >= ? ORDER BY case_id, seed, metric",
               (run_id, 4 * segment * (MIN_SEGMENTS - 1) + 4))
    rows = []
    for r in df.itertuples(index=False):
        tl = blob_to_timeline(r.timeline)
        hib = None if r.higher_is_better is None or r.higher_is_better != r.higher_is_better \
            else bool(r.higher_is_better)
        for k, ((a, b), m) in enumerate(zip(segment_spans(tl.size, segment), segment_means(tl, segment))):
            rows.append((r.case_id, int(r.seed), r.metric, k, f"{a}-{b - 1}", m, hib))
    return pd.DataFrame(rows, columns=SEGMENT_COLUMNS)


def worst_segments(segments: pd.DataFrame) -> pd.DataFrame:
    """Per (video, directed output): the worst segment, its frames and mean, the video's
    mean over segments and worst / mean. Empty frame when there is nothing long."""
    cols = ["case_id", "seed", "output", "segment", "frames", "worst", "video_mean", "ratio", "n_segments",
            "higher_is_better"]
    out = []
    for (case_id, seed, output), g in segments.groupby(["case_id", "seed", "output"], sort=True):
        hib = g["higher_is_better"].iloc[0]
        vals = g["mean"].to_numpy(float)
        if hib is None or not np.isfinite(vals).any():
            continue
        k = int(np.nanargmax(vals) if not hib else np.nanargmin(vals))
        mean = float(np.nanmean(vals))
        out.append((case_id, seed, output, int(g["segment"].iloc[k]), g["frames"].iloc[k], float(vals[k]), mean,
                    float(vals[k] / mean) if mean else float("nan"), len(g), bool(hib)))
    return pd.DataFrame(out, columns=cols)


def worst_segment_text(worst: pd.DataFrame, segment: int) -> str:
    """One sentence per directed output naming its worst segment (the video where it is worst
    relative to that video's own mean)."""
    parts = []
    for output, g in worst.groupby("output", sort=True):
        r = g.sort_values("ratio", ascending=bool(g["higher_is_better"].iloc[0])).iloc[0]  # the most extreme
        parts.append(f"{output}: {r['case_id']} seed {r['seed']}, segment {r['segment']} (frames {r['frames']}), "
                     f"{r['worst']:.4g} = {r['ratio']:.2f}x its video's mean")
    return (f"Worst {segment}-frame segment per output -- " + "; ".join(parts) + ".") if parts else ""


def segments_figure(segments: pd.DataFrame, worst: pd.DataFrame, *, max_outputs: int = 6) -> Figure | None:
    """The longest video's directed outputs segment by segment, each over its own mean
    (1 = the video's average), the worst segment ringed: where a long rollout breaks."""
    if segments.empty or worst.empty:
        return None
    sizes = segments.groupby(["case_id", "seed"])["segment"].max()
    case_id, seed = sizes.idxmax()
    one = worst[(worst["case_id"] == case_id) & (worst["seed"] == seed)].head(max_outputs)
    if one.empty:
        return None
    fig = Figure(figsize=(10, 3.6))
    ax = fig.add_subplot(1, 1, 1)
    for r in one.itertuples(index=False):
        g = segments[(segments["case_id"] == case_id) & (segments["seed"] == seed) & (segments["output"] == r.output)]
        rel = g["mean"].to_numpy(float) / r.video_mean if r.video_mean else g["mean"].to_numpy(float)
        line, = ax.plot(g["segment"], rel, marker=".", lw=1, label=f"{r.output} (worst: frames {r.frames})")
        ax.plot([r.segment], [rel[r.segment]], "o", ms=10, mfc="none", color=line.get_color())
    ax.axhline(1.0, color="0.4", lw=0.8, ls=":")
    ax.set_xlabel("segment")
    ax.set_ylabel("segment mean / video mean")
    ax.set_title(f"{case_id} seed {seed}, segment by segment")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    fig.vbench_data = {"case_id": case_id, "seed": seed, "worst": one}
    return fig
