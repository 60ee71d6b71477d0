"""Assemble everything a report shows for one or more runs (renderers live in
``html.py`` and ``export.py``, the terminal's short form in ``vbench_lite.cli.output``):
tables, comparisons against the first run, figures, worst-case previews and
provenance. Nothing here is recomputed from videos.

``main_table`` is the one summary a run gets everywhere (the report's first table and
the terminal's): each output's mean, 95 % interval, n, coverage and direction, with
physics outputs split ID vs OOD beside the simulator floor. ``failure_groups`` and
``skip_groups`` fold repeated reasons (the same reason naming another case or
scenario) into one row with a count and examples."""

from __future__ import annotations

import re

from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure

from vbench_lite.errors import UserError
from vbench_lite.reports import plots, tables
from vbench_lite.reports.compare import compare_runs
from vbench_lite.reports.front import sweep_fronts
from vbench_lite.reports.data import RunData, floor_scores, load_run, load_timelines, metric_info, resolve_run
from vbench_lite.reports.previews import Preview, make_previews, truth_videos
from vbench_lite.reports.segments import (
    SEGMENT_FRAMES, run_segments, segments_figure, worst_segment_text, worst_segments,
)
from vbench_lite.reports.stats import MIN_CI_UNITS
from vbench_lite.store import SET_CASE_ID, Store

MAX_TIMELINE_RUNS = 4  # per-frame plots get unreadable beyond this many runs
MAX_CARDS = 3  # scorecards at the top of a report (a sweep's others are in its wide table)
PROVENANCE_KEYS = ("run_id", "name", "status", "generator", "settings", "suites", "seeds", "sweep",
                   "metrics", "provenance", "timings")


@dataclass
class RunSection:
    data: RunData
    summary: pd.DataFrame
    physics: pd.DataFrame
    failures: pd.DataFrame
    skips: pd.DataFrame
    previews: list[Preview] = field(default_factory=list)
    floor: pd.DataFrame | None = None  # data.floor_scores of the run (the oracle per case)

    @property
    def main(self) -> pd.DataFrame:
        """The run's summary as everyone shows it (``main_table``)."""
        return main_table(self.summary, self.physics, tables.overall_floor(self.data, self.floor))


@dataclass
class Report:
    title: str
    sections: list[RunSection]
    across: pd.DataFrame  # long form over runs
    wide: pd.DataFrame  # metric x run
    comparisons: list[pd.DataFrame]  # run i vs run 0, for i >= 1
    figures: dict[str, Figure]  # name -> figure (names are file stems)
    captions: dict[str, str]
    cards: list = field(default_factory=list)  # reports.scorecard.Scorecard of the first MAX_CARDS runs


def build_report(store: Store, refs: list[str], *, previews: bool = True, confidence: float = 0.95,
                 compare: bool = True, title: str | None = None, segment_frames: int = SEGMENT_FRAMES) -> Report:
    """The report of runs ``refs``; ``segment_frames``: segment length of long videos (``reports.segments``)."""
    runs = []
    for ref in refs:
        run = resolve_run(store, ref)
        runs.append(load_run(store, run))
    sections = []
    for d in runs:
        floor = floor_scores(store, d)
        sections.append(RunSection(
            data=d, summary=tables.summary_table(d, confidence=confidence),
            physics=tables.physics_table(d, floor, confidence=confidence),
            failures=tables.failures_table(d), skips=tables.skips_table(d),
            previews=make_previews(d, truth=truth_videos(store, d)) if previews else [], floor=floor))
    across = pd.concat([s.summary.assign(run=s.data.label) for s in sections], ignore_index=True) \
        if sections else pd.DataFrame()
    if not across.empty:
        across = across[["run", *tables.SUMMARY_COLUMNS]]
    wide = tables.across_runs_wide(across)
    comparisons = []
    if compare:
        for s in sections[1:]:
            try:
                comparisons.append(compare_runs(sections[0].data, s.data))
            except UserError as exc:  # e.g. no shared items: say so, keep the report
                comparisons.append(pd.DataFrame({"note": [f"{s.data.label} vs {sections[0].data.label}: {exc}"]}))
    figures, captions = _figures(store, sections, segment_frames)
    sweeps = {s.data.run.get("sweep") or "" for s in sections}
    if title:
        name = title
    elif len(sections) > 1 and len(sweeps) == 1 and "" not in sweeps:
        name = f"vbench-lite report: {sweeps.pop()} ({len(sections)} runs)"
    else:
        name = "vbench-lite report: " + ", ".join(s.data.label for s in sections)
    from vbench_lite.reports.data import is_floor
    from vbench_lite.reports.scorecard import load_scorecard

    main = [s for s in sections if not is_floor(s.data.run)] or sections
    cards = [load_scorecard(store, s.data.run, confidence=confidence) for s in main[:MAX_CARDS]]
    return Report(name, sections, across, wide, comparisons, figures, captions, cards)


def _figures(store: Store, sections: list[RunSection], segment_frames: int = SEGMENT_FRAMES) -> tuple[dict, dict]:
    figs: dict[str, Figure] = {}
    caps: dict[str, str] = {}
    labels = plots.setting_labels([s.data.run for s in sections])
    fig = plots.tradeoff_figure([s.summary for s in sections], labels, 
                                 fronts=sweep_fronts([s.data for s in sections], labels))
    if fig is not None:
        figs["tradeoff"] = fig
        caps["tradeoff"] = ("Motion vs warping error and flicker per run (the legend names each run by the "
                            "settings that differ); bars are 95 % intervals; the red line joins the Pareto front: "
                            "no other run has as much motion with less error, significantly (paired bootstrap), "
                            "and only between settings that differ beyond their intervals; grey rings: front "
                            "points that cannot be told apart.")
    for i, s in enumerate(sections[:MAX_TIMELINE_RUNS]):
        info = metric_info(s.data.scores)
        if "warping_error" in info.index:
            tl = load_timelines(store, s.data.run_id, "warping_error")
            hib = info.loc["warping_error", "higher_is_better"]
            f = plots.timeline_figure(tl, higher_is_better=bool(hib) if hib == hib else False,
                                      units=info.loc["warping_error", "units"], seams=_seams(s.data.run))
            if f is not None:
                figs[f"timeline_{i}"] = f
                caps[f"timeline_{i}"] = (f"{s.data.label}: per-frame warping error of the worst clips and "
                                         "the mean over all clips; a spike at the same frame in every clip "
                                         "is a seam (e.g. a window boundary of a rollout).")
        segs = run_segments(store, s.data.run_id, segment_frames)  # long videos only
        worst = worst_segments(segs)
        f = segments_figure(segs, worst)
        if f is not None:
            figs[f"segments_{i}"] = f
            caps[f"segments_{i}"] = (f"{s.data.label}: the longest video in {segment_frames}-frame segments "
                                     "(VBench-Long style), each output's segment mean over the video's mean; "
                                     "ringed: its worst segment. " + worst_segment_text(worst, segment_frames))
        f = plots.physics_figure(s.physics)
        if f is not None:
            figs[f"physics_{i}"] = f
            caps[f"physics_{i}"] = (f"{s.data.label}: physics errors on in-distribution (ID) and "
                                    "out-of-distribution (OOD) probes with 95 % intervals (none below "
                                    f"{MIN_CI_UNITS} cases); dashed: the simulator floor (the parser's error on "
                                    "ground-truth renders); n = items scored / items the output applies to; "
                                    "log scale where values span two decades or more.")
    drift = {}
    units = ""
    for s in sections[:MAX_TIMELINE_RUNS]:
        info = metric_info(s.data.scores)
        if "identity_drift" in info.index:
            drift[s.data.label] = load_timelines(store, s.data.run_id, "identity_drift")
            units = info.loc["identity_drift", "units"]
    f = plots.drift_figure(drift, units=units)
    if f is not None:
        figs["identity_drift"] = f
        caps["identity_drift"] = "Identity drift d(t) per run: mean over clips, band = 25-75 % of clips."
    return figs, caps


def _seams(run: dict) -> list[int] | None:
    """Rollout window boundaries (frame-pair indices) the generator declared and the
    runner recorded in the run's provenance (``Generator.seams``); None when absent."""
    return (run.get("provenance") or {}).get("seams")


MAIN_COLUMNS = ["metric", "split", "mean", "ci_low", "ci_high", "n", "n_items", "coverage", "floor", "floor_n",
                "direction", "units", "note"]


def main_table(summary: pd.DataFrame, physics: pd.DataFrame, floor: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per output (``split`` ""), except physics outputs: one row per split
    ("id", "ood") with the simulator floor beside it. Built from ``summary_table`` and
    ``physics_table`` rows, so the numbers are exactly those of the full tables.
    ``floor``: ``tables.overall_floor``, the oracle beside the other outputs too."""
    split = set(physics["metric"]) if not physics.empty else set()
    overall = summary[~summary["metric"].isin(split)].assign(split="", floor=float("nan"), floor_n=0)
    if floor is not None and not floor.empty:
        overall["floor"] = overall["metric"].map(floor["floor"]).astype(float)
        overall["floor_n"] = overall["metric"].map(floor["floor_n"]).fillna(0).astype(int)
    parts = [p for p in (overall, physics) if not p.empty]
    if not parts:
        return pd.DataFrame(columns=MAIN_COLUMNS)
    out = pd.concat([p[MAIN_COLUMNS] for p in parts], ignore_index=True)
    out["floor_n"] = out["floor_n"].fillna(0).astype(int)
    return out


def _folded(reason: str, case_id: str, grp: str | None) -> str:
    """``reason`` with the item's own case id (and quoted scenario) replaced, so the
    same reason about different cases reads as one. It is replaced only where it
    stands as a whole name, never inside a word ("truncated" stays whole for a case
    named "trunc", "channels" for "chan"); a case id may be followed by "_"
    ("bounce-id-000__s0.mp4"). A group of one failure is shown as written
    (``failure_groups``), so a case named like a word of its reason ("empty" in "file
    is empty") never reads as "file is <case>"."""
    text = str(reason or "")
    if case_id and case_id != SET_CASE_ID:
        text = re.sub(rf"(?<![A-Za-z0-9_-]){re.escape(case_id)}(?![A-Za-z0-9-])", "<case>", text)
    if grp:
        text = text.replace(f"'{grp}'", "<scenario>")
    return text


def _examples(values, k: int = 3) -> str:
    seen = list(dict.fromkeys(v for v in values if v))
    return ", ".join(seen[:k]) + (f", ... ({len(seen)} in all)" if len(seen) > k else "")


def failure_groups(data: RunData) -> pd.DataFrame:
    """Failed items grouped by their reason (case ids folded): status, reason, count,
    examples -- most frequent first. Every failed item is in ``failures_table``."""
    cols = ["status", "reason", "count", "examples"]
    bad = data.items[data.items["status"] != "ok"]
    if bad.empty:
        return pd.DataFrame(columns=cols)
    bad = bad.assign(reason=[_folded(e, c, g) for e, c, g in zip(bad["error"], bad["case_id"], bad["grp"])])
    out = bad.groupby(["status", "reason"], sort=False).agg(count=("case_id", "size"),
                                                            examples=("case_id", _examples),
                                                            written=("error", "first")).reset_index()
    one = out["count"] == 1  # a single failure reads as written: it names its own file
    out.loc[one, "reason"] = out.loc[one, "written"].fillna("").astype(str)
    return out.sort_values("count", ascending=False, kind="stable")[cols].reset_index(drop=True)


SKIP_COLUMNS = ["metric", "scope", "reason", "count", "examples"]


def skip_groups(data: RunData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(skipped, not_applicable): why metrics gave no number, reasons folded.

    *skipped*: whole-run skips (a missing backbone; scope "run"), set-level skips
    ("set") and per-item skips that count against coverage ("item"): errors, and
    skips in a scenario where the metric scored other items. *not_applicable*: a
    metric that gave no number anywhere in a scenario (or on videos without ground
    truth) for a reason other than an error -- it does not apply there by design,
    and coverage does not expect it there (``tables.expected_items``). Errors first,
    then by metric."""
    run_rows = [{"metric": m, "scope": "run", "reason": str(r), "count": int(len(data.items)), "examples": ""}
                for m, r in sorted((data.run.get("skipped_metrics") or {}).items())]
    skipped = pd.DataFrame(run_rows, columns=SKIP_COLUMNS)
    na = pd.DataFrame(columns=SKIP_COLUMNS)
    sk = data.skips
    if sk.empty:
        return skipped, na
    grp = data.items.set_index(["case_id", "seed"])["grp"].fillna("")
    sk = sk.assign(grp=[grp.get((c, s), "") for c, s in zip(sk["case_id"], sk["seed"])])
    scored = set(zip(data.scores["source"], data.scores["grp"].fillna("")))
    set_level = sk["case_id"] == SET_CASE_ID
    error = sk["reason"].astype(str).str.startswith("error")
    applies = pd.Series([(m, g) in scored for m, g in zip(sk["metric"], sk["grp"])], index=sk.index, dtype=bool)
    sk = sk.assign(folded=[_folded(r, c, g) for r, c, g in zip(sk["reason"], sk["case_id"], sk["grp"])],
                   scope=["set" if s else "item" for s in set_level])

    def fold(rows: pd.DataFrame, by_scenario: bool) -> pd.DataFrame:
        if rows.empty:
            return pd.DataFrame(columns=SKIP_COLUMNS)
        label = rows["grp"] if by_scenario else rows["case_id"] + rows["seed"].map(lambda x: f"#{x}" if x > 0 else "")
        rows = rows.assign(label=label.where(~(rows["case_id"] == SET_CASE_ID), ""))
        g = rows.groupby(["metric", "scope", "folded"], sort=True)
        out = g.agg(count=("case_id", "size"), examples=("label", _examples)).reset_index()
        return out.rename(columns={"folded": "reason"})[SKIP_COLUMNS]

    real = fold(sk[set_level | error | applies], by_scenario=False)
    na = fold(sk[~(set_level | error | applies)], by_scenario=True)
    if len(real):
        skipped = pd.concat([skipped, real], ignore_index=True) if len(skipped) else real
        order = ~skipped["reason"].str.startswith("error")
        skipped = skipped.assign(_o=order).sort_values(["_o"], kind="stable").drop(columns="_o")
    return skipped.reset_index(drop=True), na.reset_index(drop=True)
