"""Assemble everything a report shows for one or more runs (renderers live in
``html.py`` and ``export.py``): tables, comparisons against the first run, figures,
worst-case previews and provenance. Nothing here is recomputed from videos."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure

from vbench_lite.errors import UserError
from vbench_lite.reports import plots, tables
from vbench_lite.reports.compare import compare_runs
from vbench_lite.reports.data import RunData, floor_scores, load_run, load_timelines, metric_info, resolve_run
from vbench_lite.reports.previews import Preview, make_previews
from vbench_lite.store import Store

MAX_TIMELINE_RUNS = 4  # per-frame plots get unreadable beyond this many runs
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


@dataclass
class Report:
    title: str
    sections: list[RunSection]
    across: pd.DataFrame  # long form over runs
    wide: pd.DataFrame  # metric x run
    comparisons: list[pd.DataFrame]  # run i vs run 0, for i >= 1
    figures: dict[str, Figure]  # name -> figure (names are file stems)
    captions: dict[str, str]


def build_report(store: Store, refs: list[str], *, previews: bool = True, confidence: float = 0.95,
                 compare: bool = True, title: str | None = None) -> Report:
    runs = []
    for ref in refs:
        run = resolve_run(store, ref)
        runs.append(load_run(store, run))
    sections = []
    for d in runs:
        sections.append(RunSection(
            data=d, summary=tables.summary_table(d, confidence=confidence),
            physics=tables.physics_table(d, floor_scores(store, d), confidence=confidence),
            failures=tables.failures_table(d), skips=tables.skips_table(d),
            previews=make_previews(d) if previews else []))
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
    figures, captions = _figures(store, sections)
    name = title or ("vbench-lite report: " + ", ".join(s.data.label for s in sections))
    return Report(name, sections, across, wide, comparisons, figures, captions)


def _figures(store: Store, sections: list[RunSection]) -> tuple[dict, dict]:
    figs: dict[str, Figure] = {}
    caps: dict[str, str] = {}
    labels = plots.setting_labels([s.data.run for s in sections])
    fig = plots.tradeoff_figure([s.summary for s in sections], labels)
    if fig is not None:
        figs["tradeoff"] = fig
        caps["tradeoff"] = ("Motion vs warping error and flicker per run (points labelled by the settings "
                            "that differ); bars are 95 % CIs; the red line joins the Pareto front.")
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
        f = plots.physics_figure(s.physics)
        if f is not None:
            figs[f"physics_{i}"] = f
            caps[f"physics_{i}"] = (f"{s.data.label}: physics errors on in-distribution (ID) and "
                                    "out-of-distribution (OOD) probes, 95 % CIs; dashed: simulator floor "
                                    "(parser error on ground-truth renders).")
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
