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
                    y_outputs=("warping_error", "flicker"), fronts: dict | None = None) -> Figure | None:
    """One panel per y output present: x = mean motion (``MOTION_OUTPUTS``), y = mean
    error, 95 % CI bars, Pareto front joined by a line. ``summaries`` are
    ``tables.summary_table`` frames, one per run. None when no run has motion.
    Each run (sweep point) has its own colour, named once in a legend under the
    panels, so labels never sit on top of each other. ``fronts``: y output ->
    ``reports.front.Front``: its front and intervals replace the means-only ones, the
    line joins only distinguishable neighbours, and front points that cannot be told
    apart are ringed "not distinguishable"."""
    tabs = [s.set_index("metric") for s in summaries]
    x_name = next((m for m in MOTION_OUTPUTS if any(m in t.index for t in tabs)), None)
    ys = [y for y in y_outputs if any(y in t.index for t in tabs)]
    if x_name is None or not ys:
        return None
    colours = [COLOURS[i % len(COLOURS)] for i in range(len(tabs))]
    legend_rows = -(-(len(tabs) + 1) // 3)  # runs and the Pareto front, 3 to a row
    fig = Figure(figsize=(5.5 * len(ys), 4.2 + 0.2 * legend_rows))
    fig.vbench_data = {}
    handles = {}
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
        fr_an = (fronts or {}).get(y_name)
        if fr_an is not None:  # significance decides the front, its intervals the bars
            front = np.asarray(fr_an.on_front, bool)
            for a, ci in (("x", fr_an.x_ci), ("y", fr_an.y_ci)):
                pts[f"{a}_lo"] = pts[f"{a}_lo"].where(pts[f"{a}_lo"].notna(), pd.Series(ci[:, 0]))
                pts[f"{a}_hi"] = pts[f"{a}_hi"].where(pts[f"{a}_hi"].notna(), pd.Series(ci[:, 1]))
        pts["pareto"] = front
        xerr, yerr = _err(pts, "x"), _err(pts, "y")
        for i in range(len(pts)):
            h = ax.errorbar(pts["x"].iloc[i:i + 1], pts["y"].iloc[i:i + 1], xerr=xerr[:, i:i + 1],
                            yerr=yerr[:, i:i + 1], fmt="o", color=colours[i], ecolor=colours[i],
                            elinewidth=1, alpha=0.9, capsize=3, ms=7)
            handles.setdefault(labels[i], h)
        if fr_an is None:
            fr = pts[front].sort_values("x")
            line, = ax.plot(fr["x"], fr["y"], "-s", color="tab:red", mfc="none", ms=13, lw=1.2)
            handles.setdefault("Pareto front", line)
        else:
            _significant_front(ax, pts, fr_an, handles)
        ax.set_xlabel(f"{x_name} ({pts['x_units'].dropna().iloc[0] if pts['x_units'].notna().any() else ''})")
        ax.set_ylabel(f"{y_name} ({pts['y_units'].dropna().iloc[0] if pts['y_units'].notna().any() else ''})")
        ax.set_title(f"motion vs {y_name}")
        ax.grid(alpha=0.3)
        fig.vbench_data[y_name] = pts
    fig.legend(list(handles.values()), list(handles.keys()), loc="lower center", ncol=min(3, len(handles)),
               fontsize=8, frameon=False)
    fig.vbench_legend = handles  # label -> artist, for figures that add entries (reports.pick)
    fig.tight_layout(rect=(0, (0.08 + 0.2 * legend_rows) / fig.get_figheight(), 1, 1))
    return fig


def _significant_front(ax, pts: pd.DataFrame, fr, handles: dict) -> None:
    """The front of ``fr`` (``reports.front.Front``): red squares on its points, a line
    only between distinguishable neighbours, grey dashed rings on points that cannot
    be told apart from another front point."""
    segs = fr.segments
    for a, b in segs:
        line, = ax.plot(pts["x"].iloc[[a, b]], pts["y"].iloc[[a, b]], "-", color="tab:red", lw=1.2)
        handles.setdefault("Pareto front (distinguishable points)", line)
    on = [i for i in range(len(pts)) if fr.on_front[i]]
    alone = [i for i in on if not fr.indistinct(i)]
    if alone:  # front points told apart from every other front point (one alone is the front)
        m, = ax.plot(pts["x"].iloc[alone], pts["y"].iloc[alone], "s", color="tab:red", mfc="none", ms=13)
        handles.setdefault("Pareto front (distinguishable points)", m)
    blur = [i for i in on if fr.indistinct(i)]
    if blur:
        m, = ax.plot(pts["x"].iloc[blur], pts["y"].iloc[blur], "o", mfc="none", mec="0.4", ms=17, ls="none",
                     mew=1.5)
        handles.setdefault("not distinguishable (within intervals)", m)
    pts["not_distinguishable"] = [bool(fr.on_front[i] and fr.indistinct(i)) for i in range(len(pts))]


COLOURS = ["tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink", "tab:olive",
           "tab:cyan", "tab:gray"]  # red is the Pareto front's


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
    fig = Figure(figsize=(10, 3.8))
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
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)  # beside, not over, the curves
    fig.tight_layout()
    return fig


PHYSICS_COLUMNS = 4  # panels per row: 4 x 2.8 in stays inside the report's 1200 px column
LOG_SPAN = 100.0  # a panel whose positive values span this factor or more gets a log axis


def physics_figure(phys: pd.DataFrame) -> Figure | None:
    """One panel per physics output (``tables.physics_table`` frame): ID and OOD means
    as bars, each labelled with its value, 95 % intervals as whiskers (none below the
    interval's minimum of cases), the simulator floor as a dashed black line over
    each bar; "n/items" under each bar. A log axis where the values (floor included)
    span two decades or more, so 27.8 next to 16,840 -- or a floor 100x below the
    bars -- stays readable. A bar without a value, or a panel whose means are all 0,
    says so in words instead of looking empty. One legend above all panels."""
    if phys.empty:
        return None
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    metrics = list(dict.fromkeys(phys["metric"]))
    ncols = min(len(metrics), PHYSICS_COLUMNS)  # wrap into rows so each panel stays legible
    nrows = -(-len(metrics) // ncols)
    fig = Figure(figsize=(max(5.0, 2.8 * ncols), 2.55 * nrows + 0.6))
    fig.vbench_data = phys
    fig.vbench_log = {}
    for k, m in enumerate(metrics):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        rows = phys[phys["metric"] == m].set_index("split").reindex(["id", "ood"])
        fig.vbench_log[m] = _physics_panel(ax, m, rows)
    handles = [Patch(color=SPLIT_COLOURS[0], label="ID (in distribution)"),
               Patch(color=SPLIT_COLOURS[1], label="OOD (out of distribution)"),
               Line2D([], [], color="k", ls="--", label="simulator floor"),
               Line2D([], [], color="0.25", marker="_", ms=10, label="95 % interval")]
    fig.legend(handles=handles, loc="upper center", ncol=4, fontsize=8, frameon=False)
    _fixed_margins(fig, ncols, nrows)
    return fig


def _fixed_margins(fig: Figure, ncols: int, nrows: int, *, left=0.62, right=0.1, top=0.62, bottom=0.48,
                   gap_w=0.78, gap_h=0.88) -> None:
    """Margins and gaps in inches for a grid of equal panels (``tight_layout`` measures
    every tick label of every panel: seconds for a grid of log axes)."""
    w, h = fig.get_figwidth(), fig.get_figheight()
    ax_w = (w - left - right - gap_w * (ncols - 1)) / ncols
    ax_h = (h - top - bottom - gap_h * (nrows - 1)) / nrows
    fig.subplots_adjust(left=left / w, right=1 - right / w, bottom=bottom / h, top=1 - top / h,
                        wspace=gap_w / ax_w, hspace=gap_h / ax_h)


SPLIT_COLOURS = ("tab:green", "tab:orange")


def _physics_panel(ax, metric: str, rows: pd.DataFrame) -> bool:
    """Draw one metric's ID/OOD bars into ``ax``; returns whether the axis is log."""
    from vbench_lite.reports.tables import fmt

    x = np.arange(2)
    mean = rows["mean"].to_numpy(float)  # (2,)
    lo, hi = rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float)  # (2,)
    floor = rows["floor"].to_numpy(float) if "floor" in rows else np.full(2, np.nan)  # (2,)
    has = np.isfinite(mean)
    values = np.concatenate([mean, lo, hi, floor])
    pos = values[np.isfinite(values) & (values > 0)]
    log = bool(has.any() and (mean[has] > 0).all() and pos.size and pos.max() / pos.min() >= LOG_SPAN)
    if log:
        from matplotlib.ticker import LogLocator, NullLocator

        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(numticks=6))
        ax.yaxis.set_minor_locator(NullLocator())  # decades are enough; minor ticks cost 10x the layout time
    bottom = pos.min() / 10 if log else 0.0  # on a log axis bars start below the smallest value
    ax.bar(x, np.where(has, mean - bottom, 0.0), width=0.6, color=SPLIT_COLOURS, bottom=bottom)
    ci = np.isfinite(lo) & np.isfinite(hi) & has
    if ci.any():
        ax.errorbar(x[ci], mean[ci], yerr=np.vstack([mean[ci] - lo[ci], hi[ci] - mean[ci]]).clip(min=0),
                    fmt="none", ecolor="0.25", capsize=4, lw=1)
    fl = np.isfinite(floor) & ((floor > 0) if log else True)
    if fl.any():
        ax.hlines(floor[fl], x[fl] - 0.4, x[fl] + 0.4, colors="k", linestyles="--", lw=1.2)
    top = np.nanmax(np.concatenate([mean[has], hi[ci], floor[fl], [0.0]]))
    if log:
        ax.set_ylim(bottom, pos.max() * 8)
    else:
        ax.set_ylim(0, top * 1.25 if top > 0 else 1.0)
    for i in range(2):
        if has[i]:
            y = max(mean[i], hi[i] if ci[i] else mean[i])
            ax.annotate(fmt(mean[i], 3), (x[i], y), xytext=(0, 2), textcoords="offset points", ha="center",
                        va="bottom", fontsize=8)
        else:
            n_items = rows["n_items"].iloc[i] if "n_items" in rows else np.nan
            k = int(n_items) if n_items == n_items else 0
            why = f"no value\non {k} item{'s' if k > 1 else ''}" if k > 0 else "no items"
            ax.text(x[i], 0.5, why, ha="center", va="center", fontsize=8, color="0.35",
                    transform=ax.get_xaxis_transform())
    if has.any() and (mean[has] == 0).all():
        ax.text(0.5, 0.5, "mean 0 in " + " and ".join(np.array(["ID", "OOD"])[has]), ha="center", va="center",
                fontsize=8, color="0.35", transform=ax.transAxes)
    ticks = []
    for i, name in enumerate(("ID", "OOD")):
        n, n_items = rows["n"].iloc[i], rows["n_items"].iloc[i] if "n_items" in rows else np.nan
        count = f"{int(n)}/{int(n_items)}" if n_items == n_items else (f"{int(n)}" if n == n else "0")
        ticks.append(f"{name}\nn={count}")
    ax.set_xticks(x, ticks, fontsize=8)
    ax.set_xlim(-0.6, 1.6)
    ax.set_title(metric + (" (log scale)" if log else ""), fontsize=9)
    ax.set_ylabel(rows["units"].dropna().iloc[0] if rows["units"].notna().any() else "", fontsize=8)
    ax.tick_params(axis="y", labelsize=7)
    ax.grid(alpha=0.3, axis="y")
    return log


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
