"""Plots (matplotlib, object API: no pyplot state, no display needed).

* ``tradeoff_figure``: motion vs warping error / flicker across runs or sweep points,
  each point labelled by the settings that differ, Pareto front marked.
* ``timeline_figure``: per-frame warping error; a seam of a windowed rollout shows as
  a spike at the same frame in every clip, so the mean curve and the peak are drawn.
* ``physics_figure``: ID vs OOD physics errors with the simulator floor.
* ``drift_figure``: identity drift d(t), mean and inter-quartile band per run.

Each returns a ``Figure``; ``save_figure`` writes PNG + SVG, ``png_bytes`` feeds HTML.
Figures carry their plotted numbers in ``fig.vbench_data`` so tests can check what
is drawn without parsing pixels.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

MOTION_OUTPUTS = ("motion_px", "motion_norm")  # x axis of the trade-off, first present wins
DPI = 100


def save_figure(fig: Figure, stem: str | Path) -> list[Path]:
    """Writes ``stem.png`` and ``stem.svg``; returns both paths."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    for p in paths:
        fig.savefig(p, dpi=DPI)  # figures are tight_layout()-ed; bbox "tight" would render twice
    return paths


def png_bytes(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def pareto_front(x, y, *, x_higher: bool = True, y_higher: bool = False) -> np.ndarray:
    """Boolean mask of points no other point beats on both axes (ties kept).
    With the defaults: more motion is preferred, less error is preferred."""
    x = np.asarray(x, float) * (1 if x_higher else -1)  # (N,) oriented so larger is better
    y = np.asarray(y, float) * (1 if y_higher else -1)  # (N,)
    ge = (x[None, :] >= x[:, None]) & (y[None, :] >= y[:, None])  # (N, N): j at least as good as i
    gt = (x[None, :] > x[:, None]) | (y[None, :] > y[:, None])  # (N, N): j strictly better somewhere
    dominated = (ge & gt).any(axis=1)  # (N,)
    return ~dominated & np.isfinite(x) & np.isfinite(y)


def setting_labels(runs: list[dict]) -> list[str]:
    """Per run, "k=v, ..." over the settings whose values differ between the runs;
    the run name when none differ (or just one run)."""
    settings = [r.get("settings") or {} for r in runs]
    keys = sorted({k for s in settings for k in s})
    varying = [k for k in keys if len({repr(s.get(k)) for s in settings}) > 1]
    if not varying:
        return [r.get("name") or r["run_id"] for r in runs]
    return [", ".join(f"{k}={s.get(k)}" for k in varying) for s in settings]


def tradeoff_figure(summaries: list[pd.DataFrame], labels: list[str],
                    y_outputs=("warping_error", "flicker")) -> Figure | None:
    """One panel per y output present: x = mean motion (``MOTION_OUTPUTS``), y = mean
    error, 95 % CI bars, Pareto front joined by a line. ``summaries`` are
    ``tables.summary_table`` frames, one per run. None when no run has motion."""
    tabs = [s.set_index("metric") for s in summaries]
    x_name = next((m for m in MOTION_OUTPUTS if any(m in t.index for t in tabs)), None)
    ys = [y for y in y_outputs if any(y in t.index for t in tabs)]
    if x_name is None or not ys:
        return None
    fig = Figure(figsize=(5.5 * len(ys), 4.5))
    fig.vbench_data = {}
    for k, y_name in enumerate(ys):
        ax = fig.add_subplot(1, len(ys), k + 1)
        pts = pd.DataFrame([_point(t, x_name, y_name) for t in tabs])
        pts["label"] = labels
        ok = pts[["x", "y"]].notna().all(axis=1).to_numpy()
        xdir = pts["x_hib"].dropna()
        ydir = pts["y_hib"].dropna()
        front = np.zeros(len(pts), bool)
        if len(ydir):  # an error output without a direction defines no front
            # x is the motion the knob moves (declared without a direction): the front is
            # where no other setting gives as much motion for less error
            front[ok] = pareto_front(pts.loc[ok, "x"], pts.loc[ok, "y"],
                                     x_higher=bool(xdir.iloc[0]) if len(xdir) else True,
                                     y_higher=bool(ydir.iloc[0]))
        pts["pareto"] = front
        ax.errorbar(pts["x"], pts["y"], xerr=_err(pts, "x"), yerr=_err(pts, "y"), fmt="o",
                    color="tab:blue", ecolor="0.6", capsize=3, label="run / setting")
        fr = pts[front].sort_values("x")
        ax.plot(fr["x"], fr["y"], "-s", color="tab:red", mfc="none", ms=11, label="Pareto front")
        for _, p in pts[ok].iterrows():
            ax.annotate(p["label"], (p["x"], p["y"]), textcoords="offset points", xytext=(5, 5), fontsize=8)
        ax.set_xlabel(f"{x_name} ({pts['x_units'].dropna().iloc[0] if pts['x_units'].notna().any() else ''})")
        ax.set_ylabel(f"{y_name} ({pts['y_units'].dropna().iloc[0] if pts['y_units'].notna().any() else ''})")
        ax.set_title(f"motion vs {y_name}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.vbench_data[y_name] = pts
    fig.tight_layout()
    return fig


def _point(t: pd.DataFrame, x: str, y: str) -> dict:
    def get(m, col):
        return t.loc[m, col] if m in t.index else np.nan
    hib = {"higher": 1.0, "lower": 0.0}
    return {"x": get(x, "mean"), "x_lo": get(x, "ci_low"), "x_hi": get(x, "ci_high"),
            "y": get(y, "mean"), "y_lo": get(y, "ci_low"), "y_hi": get(y, "ci_high"),
            "x_units": get(x, "units"), "y_units": get(y, "units"),
            "x_hib": hib.get(get(x, "direction"), np.nan), "y_hib": hib.get(get(y, "direction"), np.nan)}


def _err(pts: pd.DataFrame, a: str) -> np.ndarray:
    lo = (pts[a] - pts[f"{a}_lo"]).clip(lower=0).fillna(0)
    hi = (pts[f"{a}_hi"] - pts[a]).clip(lower=0).fillna(0)
    return np.vstack([lo.to_numpy(float), hi.to_numpy(float)])  # (2, N)


def _stack(timelines: pd.Series) -> np.ndarray | None:
    """(N, T) when all timelines have one length, else None."""
    lens = {len(t) for t in timelines}
    return np.vstack(list(timelines)) if len(lens) == 1 and timelines.size else None


def timeline_figure(tl: pd.DataFrame, metric: str = "warping_error", *, n_worst: int = 5,
                    higher_is_better: bool = False, units: str = "",
                    seams: list[int] | None = None) -> Figure | None:
    """Per-frame curves of ``metric`` (``data.load_timelines`` frame): the worst clips
    and, when lengths agree, the mean over all clips with its peak marked. ``seams``:
    frame-pair indices of rollout window boundaries, drawn as dotted lines."""
    if tl.empty:
        return None
    fig = Figure(figsize=(8, 3.8))
    ax = fig.add_subplot(1, 1, 1)
    worst = tl.sort_values("value", ascending=higher_is_better).head(n_worst)
    for _, r in worst.iterrows():
        ax.plot(np.arange(len(r["timeline"])), r["timeline"], lw=0.8, alpha=0.6,
                label=f"{r['case_id']} s{r['seed']}")
    fig.vbench_data = {"worst": worst}
    mat = _stack(tl["timeline"])
    if mat is not None:
        mean = np.nanmean(mat, axis=0)  # (T,)
        peak = int(np.nanargmax(mean))
        ax.plot(np.arange(mean.size), mean, color="k", lw=2, label=f"mean of {len(mat)} clips")
        ax.axvline(peak, color="tab:red", ls="--", lw=1)
        ax.annotate(f"peak at {peak}", (peak, mean[peak]), xytext=(5, 5), textcoords="offset points",
                    color="tab:red", fontsize=8)
        fig.vbench_data.update(mean=mean, peak=peak)
    for k, seam in enumerate(seams or []):
        ax.axvline(seam, color="0.3", ls=":", lw=1.2, label="window boundary" if k == 0 else None)
    ax.set_xlabel("frame pair index (t -> t+1)")
    ax.set_ylabel(f"{metric} ({units})" if units else metric)
    ax.set_title(f"per-frame {metric}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


PHYSICS_COLUMNS = 5


def physics_figure(phys: pd.DataFrame) -> Figure | None:
    """One panel per physics output: ID and OOD means with CI bars, floor as a dashed
    line (``tables.physics_table`` frame)."""
    if phys.empty:
        return None
    metrics = list(dict.fromkeys(phys["metric"]))
    ncols = min(len(metrics), PHYSICS_COLUMNS)  # wrap into rows so each panel stays legible
    nrows = -(-len(metrics) // ncols)
    fig = Figure(figsize=(max(4.0, 3.0 * ncols), 3.2 * nrows))
    for k, m in enumerate(metrics):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        rows = phys[phys["metric"] == m].set_index("split").reindex(["id", "ood"])
        x = np.arange(2)
        err = np.vstack([(rows["mean"] - rows["ci_low"]).fillna(0), (rows["ci_high"] - rows["mean"]).fillna(0)])
        ax.bar(x, rows["mean"].fillna(0), yerr=err, color=["tab:green", "tab:orange"], capsize=4)
        if rows["floor"].notna().any():
            ax.hlines(rows["floor"], x - 0.4, x + 0.4, colors="k", linestyles="--", label="simulator floor")
            ax.legend(fontsize=7)
        for xi in x[rows["mean"].isna().to_numpy()]:  # a split this run did not score
            ax.text(xi, 0, "no items", ha="center", va="bottom", fontsize=8, color="0.4")
        ax.set_xticks(x, ["ID", "OOD"])
        ax.set_title(m, fontsize=9)
        ax.set_ylabel(rows["units"].dropna().iloc[0] if rows["units"].notna().any() else "")
        ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.vbench_data = phys
    return fig


def drift_figure(curves: dict[str, pd.DataFrame], units: str = "") -> Figure | None:
    """Identity drift d(t): per run (label -> ``load_timelines`` frame), the mean curve
    and its 25-75 % band over clips (clips of other lengths than the most common are
    left out of the band)."""
    curves = {k: v for k, v in curves.items() if not v.empty}
    if not curves:
        return None
    fig = Figure(figsize=(7, 3.8))
    ax = fig.add_subplot(1, 1, 1)
    fig.vbench_data = {}
    for label, tl in curves.items():
        common = pd.Series([len(t) for t in tl["timeline"]]).mode().iloc[0]
        mat = np.vstack([t for t in tl["timeline"] if len(t) == common])  # (N, T)
        mean = mat.mean(axis=0)  # (T,)
        q25, q75 = np.percentile(mat, [25, 75], axis=0)  # (T,) each
        t = np.arange(mean.size)
        ax.plot(t, mean, lw=2, label=f"{label} (n={len(mat)})")
        ax.fill_between(t, q25, q75, alpha=0.2)
        fig.vbench_data[label] = mean
    ax.set_xlabel("frame t")
    ax.set_ylabel(f"identity drift d(t) ({units})" if units else "identity drift d(t)")
    ax.set_title("identity drift over time")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
