"""Tables (pandas) per run and across runs.

* ``summary_table``: every output with mean, 95 % bootstrap CI, n, units, direction,
  and its coverage: n of the items it should have been scored on (``expected_items``),
  so a mean over the few items a weak generator got right is never read as complete.
* ``physics_table``: probe outputs split ID vs OOD, next to the simulator floor (the
  parser's error on ground-truth renders -- no generator can be expected to beat it).
* ``failures_table`` / ``skips_table``: what did not produce a number, and why.
* ``across_runs``: the summary of several runs side by side (long and wide forms).

All numbers keep the metric's own units; ``direction`` is "higher"/"lower" (is
better) or "-" for outputs that declare none (amount of motion).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vbench_lite.reports.data import RunData, direction_word, metric_info, output_groups
from vbench_lite.reports.set_stats import set_intervals
from vbench_lite.reports.stats import mean_ci
from vbench_lite.store import SET_CASE_ID

SUMMARY_COLUMNS = ["metric", "units", "direction", "n", "n_items", "coverage", "mean", "ci_low", "ci_high",
                   "note", "source"]
PHYSICS_COLUMNS = ["metric", "split", "units", "direction", "n", "n_items", "coverage", "mean", "ci_low",
                   "ci_high", "floor", "floor_n", "note"]


def _ci_rows(groups, confidence: float, n_resamples: int | None) -> list[dict]:
    """One bootstrap call per group (vectorised over resamples inside scipy)."""
    rows = []
    for key, g in groups:  # g: the group's rows (value, case_id); resampled by case
        ci = mean_ci(g["value"].to_numpy(), clusters=g["case_id"].to_numpy(), confidence=confidence,
                     n_resamples=n_resamples)
        rows.append({"key": key, "n": ci.n, "mean": ci.mean, "ci_low": ci.low,
                     "ci_high": ci.high, "note": ci.note})
    return rows


def expected_items(data: RunData, by: list[str] | None = None) -> pd.Series:
    """How many items each output should have been scored on: every item (ok or
    failed) of each scenario group in which the output was scored at least once (an
    output of one scenario is not expected elsewhere; a failed item counts against
    every output of its group). Indexed by output (and ``by`` columns)."""
    by = by or []
    scored = data.scores.loc[data.scores["case_id"] != SET_CASE_ID, ["metric", "grp", *by]].drop_duplicates()
    sizes = data.items.assign(grp=data.items["grp"].fillna("")).groupby(["grp", *by]).size().rename("n_items")
    merged = scored.merge(sizes.reset_index(), on=["grp", *by], how="left")
    return merged.groupby(["metric", *by])["n_items"].sum()


def _coverage(df: pd.DataFrame, data: RunData, by: list[str] | None = None) -> None:
    """Adds n_items and coverage = n / n_items (NaN for set-level rows)."""
    expected = expected_items(data, by)
    keys = df[["metric", *(by or [])]]
    idx = pd.MultiIndex.from_frame(keys) if by else pd.Index(keys["metric"])
    df["n_items"] = expected.reindex(idx).to_numpy()
    df["coverage"] = df["n"] / df["n_items"]


def summary_table(data: RunData, *, confidence: float = 0.95,
                  n_resamples: int | None = None) -> pd.DataFrame:
    """One row per output name of the run, sorted by name. Set-level outputs (FVD)
    have n=1 and no interval, unless they declare a standard error (``video_kd``:
    ``set_stats.set_intervals``)."""
    if data.scores.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    info = metric_info(data.scores)
    rows = _ci_rows(data.scores.groupby("metric", sort=True)[["value", "case_id"]], confidence, n_resamples)
    df = pd.DataFrame(rows).rename(columns={"key": "metric"})
    df["units"] = df["metric"].map(info["units"])
    df["direction"] = df["metric"].map(info["higher_is_better"]).map(direction_word)
    df["source"] = df["metric"].map(info["source"])
    set_level = df["metric"].map(info["set_level"]).astype(bool)
    df.loc[set_level, "note"] = df.loc[set_level, "note"].where(
        ~df.loc[set_level, "note"].str.startswith("n=1"), "set-level score (one value)")
    for output, (low, high, note) in set_intervals(data, confidence).items():  # video_kd: value +/- t x SE
        df.loc[df["metric"] == output, ["ci_low", "ci_high", "note"]] = [low, high, note]
    _coverage(df, data)
    return df[SUMMARY_COLUMNS].reset_index(drop=True)


def physics_table(data: RunData, floor: pd.DataFrame | None = None, *, confidence: float = 0.95,
                  n_resamples: int | None = None) -> pd.DataFrame:
    """Outputs scored on probe items (split "id"/"ood"), one row per (metric, split),
    with the simulator floor: the mean floor score over the same cases (``floor`` from
    ``data.floor_scores``; NaN when there is no floor run). Only outputs of metrics in
    the "physics" group when the run declares groups (flicker on a probe is not a
    physics error)."""
    probe = data.scores[data.scores["split"].isin(["id", "ood"])]
    groups = output_groups(data.run)
    if groups:
        probe = probe[probe["metric"].map(groups).eq("physics")]
    if probe.empty:
        return pd.DataFrame(columns=PHYSICS_COLUMNS)
    info = metric_info(probe)
    rows = _ci_rows(probe.groupby(["metric", "split"], sort=True)[["value", "case_id"]], confidence, n_resamples)
    df = pd.DataFrame(rows)
    df[["metric", "split"]] = pd.DataFrame(df.pop("key").tolist(), index=df.index)
    df["units"] = df["metric"].map(info["units"])
    df["direction"] = df["metric"].map(info["higher_is_better"]).map(direction_word)
    _coverage(df, data, ["split"])
    df["floor"], df["floor_n"] = np.nan, 0
    if floor is not None and not floor.empty:
        cases = probe[["suite", "case_id", "metric", "split"]].drop_duplicates()
        matched = cases.merge(floor, on=["suite", "case_id", "metric"], how="inner")
        fl = matched.groupby(["metric", "split"])["floor"].agg(["mean", "count"])
        idx = pd.MultiIndex.from_frame(df[["metric", "split"]])
        df["floor"] = fl["mean"].reindex(idx).to_numpy()
        df["floor_n"] = fl["count"].reindex(idx).fillna(0).astype(int).to_numpy()
    return df[PHYSICS_COLUMNS].reset_index(drop=True)


def overall_floor(data: RunData, floor: pd.DataFrame | None) -> pd.DataFrame:
    """Per output scored on items (not split ID/OOD): the simulator oracle's mean over
    the cases this run scored it on (``floor``: ``data.floor_scores`` rows), and how
    many items were matched -- the reference point of a temporal output's mean.
    Columns: floor, floor_n, indexed by output."""
    cols = ["floor", "floor_n"]
    if floor is None or floor.empty:
        return pd.DataFrame(columns=cols)
    sc = data.scores[(data.scores["case_id"] != SET_CASE_ID) & np.isfinite(data.scores["value"])]
    m = sc[["suite", "case_id", "metric"]].merge(floor, on=["suite", "case_id", "metric"], how="inner")
    m = m[np.isfinite(m["floor"].astype(float))]
    if m.empty:
        return pd.DataFrame(columns=cols)
    return m.groupby("metric")["floor"].agg(floor="mean", floor_n="count")


def group_means(data: RunData, metrics: list[str] | None = None) -> pd.DataFrame:
    """Mean of each output per (scenario group, split), one row per group with an
    ``n`` column (items): the parse-floor table of ``probes floor``."""
    sc = data.scores[data.scores["grp"] != ""]
    if metrics is not None:
        sc = sc[sc["metric"].isin(metrics)]
    wide = sc.pivot_table(index=["grp", "split"], columns="metric", values="value", aggfunc="mean")
    n = data.items.groupby(["grp", "split"]).size().rename("n")
    out = wide.join(n, how="left").reset_index().rename(columns={"grp": "scenario"})
    return out[["scenario", "split", "n", *wide.columns]]


def physics_heading(physics: pd.DataFrame) -> str:
    """A physics table's title that says whether a floor is shown (never claims one
    that is not there)."""
    if physics["floor_n"].gt(0).any():
        return "Physics: ID vs OOD, with simulator floor"
    return "Physics: ID vs OOD (no simulator floor run for these cases)"


def failures_table(data: RunData) -> pd.DataFrame:
    """Items that failed to generate or score, with the recorded reason."""
    bad = data.items[data.items["status"] != "ok"]
    return bad[["case_id", "seed", "suite", "status", "error"]].reset_index(drop=True)


def skips_table(data: RunData) -> pd.DataFrame:
    """Skipped metrics: whole-run skips (e.g. missing backbone) and per-item skips
    grouped by (metric, reason) with a count and up to three example case ids."""
    cols = ["metric", "scope", "reason", "count", "examples"]
    rows = [{"metric": m, "scope": "run", "reason": str(r), "count": int(len(data.items)), "examples": ""}
            for m, r in sorted((data.run.get("skipped_metrics") or {}).items())]
    out = pd.DataFrame(rows, columns=cols)
    if not data.skips.empty:
        g = data.skips.groupby(["metric", "reason"], sort=True)["case_id"]
        per = g.agg(count="size", examples=lambda s: ", ".join(pd.unique(s)[:3])).reset_index()
        per["scope"] = "item"
        out = pd.concat([out, per[cols]], ignore_index=True) if len(out) else per[cols]
    return out.reset_index(drop=True)


def across_runs(runs: list[RunData], *, confidence: float = 0.95,
                n_resamples: int | None = None) -> pd.DataFrame:
    """Long form: the summary rows of every run with a ``run`` column (its label)."""
    parts = []
    for d in runs:
        t = summary_table(d, confidence=confidence, n_resamples=n_resamples)
        t.insert(0, "run", d.label)
        parts.append(t)
    if not parts:
        return pd.DataFrame(columns=["run", *SUMMARY_COLUMNS])
    return pd.concat(parts, ignore_index=True)


def across_runs_wide(long: pd.DataFrame) -> pd.DataFrame:
    """Wide form for reading: one row per metric (with units and direction), one
    column per run holding "mean [low, high]"."""
    if long.empty:
        return pd.DataFrame()
    cell = long.apply(lambda r: format_ci(r["mean"], r["ci_low"], r["ci_high"]), axis=1)
    wide = long.assign(cell=cell).pivot_table(index="metric", columns="run", values="cell",
                                               aggfunc="first", sort=False)
    runs = list(dict.fromkeys(long["run"]))
    meta = long.groupby("metric")[["units", "direction"]].first()
    return meta.join(wide[runs]).reset_index()


def fmt(x: float, digits: int = 4) -> str:
    """A number with ``digits`` significant digits; '' for NaN."""
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return ""
    return f"{x:.{digits}g}"


def format_ci(mean: float, low: float, high: float) -> str:
    if not np.isfinite(mean):
        return "n/a"
    if not (np.isfinite(low) and np.isfinite(high)):
        return fmt(mean)
    return f"{fmt(mean)} [{fmt(low)}, {fmt(high)}]"
