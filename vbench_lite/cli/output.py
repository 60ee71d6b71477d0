"""What ``run``, ``eval`` and ``report`` print: a short table that fits a 100-column
terminal (default), every detail (``--detail``), or JSON for scripts.

The short table is the report's main table (``reports.build.main_table``, formatted
by ``reports.html.main_display``): per output its mean, 95 % interval (none below
``stats.MIN_CI_UNITS`` cases, and it says so), n, coverage and direction; physics
outputs split ID vs OOD beside the simulator floor. Under it, one line per distinct
reason something gave no number -- failed items, skipped metrics -- with a count, the
reason cut to the line; the full text is in ``--detail``, ``--format json`` and the
HTML report. The floor run scored beside a probe run is the floor column, so by
default it gets one line, not a second table.
"""

from __future__ import annotations

import json
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vbench_lite.store import FLOOR_ROLE, REFERENCE_ROLE, SET_CASE_ID

WIDTH = 100  # columns of the default output
MAX_VIDEO_COLUMNS = 4  # a run of at most this many videos (and no ID/OOD split) shows each video's value
MAX_EXAMPLES = 3  # case ids kept per (metric, reason) group in JSON
MAX_REASON_LINES = 5  # distinct failure reasons printed per run before "... and N more"
DETAIL_VIDEO_COLUMNS = 12  # --detail pivots per-video values up to this many videos
SHORT_COLUMNS = ["output", "split", "mean", "95% interval", "n", "cover", "floor", "better"]
RIGHT = {"mean", "n", "cover", "floor"}
LEGEND = ("95% interval: bootstrap over cases, none below {min} cases (too few for one). cover: share of the "
          "items an output applies to that it was scored on. floor: the simulator oracle's score on the same "
          "cases.")
MORE = "Full reasons, units and per-video values: --detail, --format json, or the HTML report."


def group_item_skips(rows) -> list[dict]:
    """Per-item skips (the store's ``item_skips`` rows) grouped by (metric, reason):
    ``[{metric, reason, count, examples, scope}]``; ``scope`` is "video" or "set" (a
    set-level metric such as FVD). Errors first, then by metric, so the surprising
    ones lead. The reasons are whole (this is what ``--format json`` gives)."""
    groups: dict[tuple[str, str], dict] = {}
    for r in rows:
        set_level = r["case_id"] == SET_CASE_ID
        g = groups.setdefault((r["metric"], r["reason"]), {
            "metric": r["metric"], "reason": r["reason"], "count": 0, "examples": [],
            "scope": "set" if set_level else "video"})
        g["count"] += 1
        if not set_level and len(g["examples"]) < MAX_EXAMPLES:
            g["examples"].append(r["case_id"] + (f"#{r['seed']}" if r["seed"] else ""))
    return sorted(groups.values(), key=lambda g: (not g["reason"].startswith("error"), g["metric"], g["reason"]))


def collect(store, summary) -> dict:
    """Per video, per metric: value, units, direction -- plus the run's failures,
    whole-run skips (``skipped_metrics``: metric -> reason) and per-item skips grouped
    (``item_skips``, see ``group_item_skips``)."""
    items = {(i["case_id"], i["seed"]): i for i in store.items(summary.run_id)}
    rows = {}
    for s in store.scores(summary.run_id):
        key = (s["case_id"], s["seed"])
        rows.setdefault(key, {})[s["metric"]] = {
            "value": s["value"], "units": s["units"],
            "higher_is_better": None if s["higher_is_better"] is None else bool(s["higher_is_better"])}
    videos = []
    for key, item in items.items():
        videos.append({"case_id": key[0], "seed": key[1], "group": item["grp"], "split": item["split"],
                       "status": item["status"], "error": item["error"], "video": item["video_path"],
                       "scores": rows.get(key, {})})
    set_scores = rows.get(("__set__", -1), {})
    return {"run_id": summary.run_id, "name": summary.name, "store": str(summary.store_path),
            "items": summary.total, "ok": summary.ok, "failed": summary.failed,
            "failure_reasons": summary.failure_reasons, "skipped_metrics": summary.skipped_metrics,
            "item_skips": group_item_skips(store.item_skips(summary.run_id)),
            "warnings": summary.warnings, "seconds": round(summary.seconds, 2),
            "set_scores": set_scores, "videos": videos}


@dataclass
class RunView:
    """Everything the terminal shows of one run, from the report's own tables."""

    data: object  # reports.data.RunData
    main: pd.DataFrame  # reports.build.main_table
    failures: pd.DataFrame  # reports.build.failure_groups
    skipped: pd.DataFrame  # reports.build.skip_groups, first
    not_applicable: pd.DataFrame  # reports.build.skip_groups, second
    seconds: float | None = None
    warnings: tuple[str, ...] = ()
    card: object = None  # reports.scorecard.Scorecard: the default view (None: the main table)

    @property
    def is_floor(self) -> bool:
        """A reference scored beside another run: the oracle floor or a --reference set."""
        return self.data.run.get("role") in (FLOOR_ROLE, REFERENCE_ROLE)


def run_view(store, run_id: str, *, seconds: float | None = None, warnings=()) -> RunView:
    from vbench_lite.reports.build import failure_groups, main_table, skip_groups
    from vbench_lite.reports.data import floor_scores, load_run
    from vbench_lite.reports.tables import overall_floor, physics_table, summary_table

    d = load_run(store, run_id)
    floor = floor_scores(store, d)
    main = main_table(summary_table(d), physics_table(d, floor), overall_floor(d, floor))
    return RunView(d, main, failure_groups(d), *skip_groups(d), seconds=seconds, warnings=tuple(warnings))


def section_view(section) -> RunView:
    """A ``reports.build.RunSection`` (``vbench-lite report``) as a ``RunView``."""
    from vbench_lite.reports.build import failure_groups, skip_groups

    d = section.data
    seconds = (d.run.get("timings") or {}).get("seconds")
    return RunView(d, section.main, failure_groups(d), *skip_groups(d), seconds=seconds,
                   warnings=tuple((d.run.get("timings") or {}).get("warnings") or ()))


def print_summaries(summaries, store_path, *, fmt="table", report_path=None, file=None,
                    detail: bool = False) -> None:
    from vbench_lite.store import default_store, Store

    file = file or sys.stdout
    path = Path(store_path or default_store())
    with Store(path, readonly=True) as store:
        if fmt == "json":
            from vbench_lite.reports.export import records

            data = []
            for s in summaries:
                run = collect(store, s)
                run["table"] = records(run_view(store, s.run_id).main)
                card = load_scorecard(store, s.run_id)
                run["scorecard"] = {"reference": card.reference, "pooling": card.pooling, "lines": card.records()}
                data.append(run)
            json.dump({"runs": data, "store": str(path), "report": str(report_path) if report_path else None},
                      file, indent=1, default=str)
            file.write("\n")
            return
        views = [run_view(store, s.run_id, seconds=s.seconds, warnings=s.warnings) for s in summaries]
        if not detail:
            add_cards(store, views)
    print_views(views, file=file, detail=detail)
    print(f"results store: {path}", file=file)
    if report_path:
        print(f"report: {report_path}", file=file)


def load_scorecard(store, run_id: str):
    from vbench_lite.reports.scorecard import load_scorecard as load

    return load(store, run_id)


def add_cards(store, views: list[RunView]) -> None:
    """Each run's scorecard (``reports.scorecard``), the default view; a floor run
    beside another run gets none (it is that run's reference)."""
    has_main = any(not v.is_floor for v in views)
    for v in views:
        if not (v.is_floor and has_main):
            v.card = load_scorecard(store, v.data.run_id)


def print_views(views: list[RunView], *, file=None, detail: bool = False) -> None:
    """The runs' scorecards (or tables, where no card was added) and reasons; a floor
    run scored beside another run gets one line (it is that run's reference) unless
    ``detail``."""
    from vbench_lite.cli.scorecard import legend_lines, run_card_lines

    file = file or sys.stdout
    has_main = any(not v.is_floor for v in views)
    for v in views:
        if detail:
            lines = detail_lines(v)
        elif v.card is not None:
            lines = run_card_lines(v)
        else:
            lines = run_lines(v, brief=v.is_floor and has_main)
        print("\n".join(lines), file=file)
    cards = [v.card for v in views if v.card is not None]
    if cards and not detail:
        print("\n" + "\n".join(legend_lines(cards)), file=file)
    elif views and not detail:
        print("\n" + "\n".join(_wrap(LEGEND.format(min=_min_units()) + " " + MORE)), file=file)


def _min_units() -> int:
    from vbench_lite.reports.stats import MIN_CI_UNITS

    return MIN_CI_UNITS


def header(v: RunView, *, brief: bool = False) -> str:
    d = v.data
    ok = int((d.items["status"] == "ok").sum())
    n_skipped = len(set(v.skipped["metric"])) if len(v.skipped) and not brief else 0
    skipped = f", {n_skipped} metric{'s' if n_skipped != 1 else ''} skipped" if n_skipped else ""
    took = f", {v.seconds:.1f} s" if v.seconds is not None else ""
    return f"\n== {d.label} (run {d.run_id}): {ok}/{len(d.items)} ok, {len(d.items) - ok} failed{skipped}{took}"


def run_lines(v: RunView, *, brief: bool = False, width: int = WIDTH) -> list[str]:
    """The default view of one run: header, short table, one line per reason."""
    if brief:
        lines = [clip(header(v, brief=True) + ": the reference above", width + 1)]
    else:
        lines = [clip(header(v), width + 1)] + short_table(v, width=width)
    notes = reason_lines(v, width=width, errors_only=brief) + [clip(f"warning: {w}", width) for w in v.warnings]
    return lines + ([""] if notes and not brief else []) + notes


def short_table(v: RunView, *, width: int = WIDTH) -> list[str]:
    from vbench_lite.reports.html import main_display

    if v.main.empty:
        return ["(no scores)"]
    videos = v.data.items[v.data.items["status"] == "ok"]
    if len(videos) <= MAX_VIDEO_COLUMNS and not (v.main["split"] != "").any():
        return _per_video_table(v, width)
    disp = main_display(v.main)
    split = disp["split"] != ""
    cols = [c for c in SHORT_COLUMNS if c != "split" or split.any()]
    if not (disp["floor"] != "").any():
        cols.remove("floor")
    lines = fixed_width(disp[cols], width=width, right=RIGHT)
    if split.any() and not split.all():  # a blank line before the ID/OOD rows
        lines.insert(1 + int(split.to_numpy().argmax()), "")
    return lines


def _per_video_table(v: RunView, width: int) -> list[str]:
    """Few videos, no split: each video's value (an interval needs more cases)."""
    from vbench_lite.reports.tables import fmt, format_ci

    sc = v.data.scores
    per = sc[sc["case_id"] != SET_CASE_ID]
    lines = []
    if len(per):
        label = per["case_id"] + per["seed"].map(lambda s: f"#{s}" if s else "")
        wide = per.assign(video=label).pivot_table(index="metric", columns="video", values="value",
                                                   aggfunc="first", sort=False)
        wide = wide.reindex(sorted(wide.index))
        meta = v.main.set_index("metric")
        disp = pd.DataFrame({"output": wide.index})
        if wide.shape[1] > 1:
            disp["mean"] = [fmt(meta.loc[m, "mean"]) if m in meta.index else "" for m in wide.index]
        for col in wide.columns:
            disp[col] = [fmt(x) for x in wide[col]]
        disp["better"] = [meta.loc[m, "direction"] if m in meta.index else "" for m in wide.index]
        disp["units"] = [meta.loc[m, "units"] if m in meta.index else "" for m in wide.index]
        right = {"mean", *wide.columns}
        lines = fixed_width(disp, width=width, right=right, shrink=("units", *wide.columns))
    for _, r in v.main[v.main["n_items"].isna() & v.main["n"].gt(0)].iterrows():  # set-level (FVD)
        value = format_ci(r["mean"], r["ci_low"], r["ci_high"]) if "ci_low" in r else fmt(r["mean"])
        lines.append(clip(f"{r['metric']} (whole set): {value} {r['units']}", width))
    return lines or ["(no scores)"]


def reason_lines(v: RunView, *, width: int = WIDTH, errors_only: bool = False) -> list[str]:
    """One line per distinct reason: failures (with counts), skipped metrics, and one
    line naming the metrics that do not apply to some items by design."""
    d = v.data
    n_items, n_ok = len(d.items), int((d.items["status"] == "ok").sum())
    lines = []
    f = v.failures
    for _, g in f.head(MAX_REASON_LINES).iterrows():
        lines.append(clip(f"failed {g['count']}/{n_items}: {short_reason(g['reason'])}", width))
    if len(f) > MAX_REASON_LINES:
        rest = f.iloc[MAX_REASON_LINES:]
        lines.append(f"... and {int(rest['count'].sum())} failed items with {len(rest)} other reasons (--detail)")
    sk = v.skipped
    if errors_only:
        sk = sk[sk["reason"].str.startswith("error")] if len(sk) else sk
    run_level = sk[sk["scope"] == "run"] if len(sk) else sk
    by_reason: dict[str, list[str]] = {}
    for _, g in run_level.iterrows():  # CLIP's two metrics share one file: one line
        by_reason.setdefault(g["reason"], []).append(g["metric"])
    for reason, metrics in by_reason.items():
        text = short_reason(reason)
        m = _BACKBONE.match(text)  # "backbone ID: what is wrong" -> "METRICS (ID): what is wrong"
        line = f"skipped {', '.join(metrics)} ({m[1]}): {m[2]}" if m else f"skipped {', '.join(metrics)}: {text}"
        if m and len(line.split("; ")[0]) > width:  # the file's name matters more than the backbone's id
            line = f"skipped {', '.join(metrics)}: {m[2]}"
        lines.append(clip(line, width))
    items = sk[sk["scope"] != "run"] if len(sk) else sk
    groups = [{"metric": g["metric"], "reason": short_reason(g["reason"]), "count": int(g["count"]),
               "scope": "set" if g["scope"] == "set" else "video"} for _, g in items.iterrows()]
    lines += _item_skip_lines(groups, n_ok, width=width)
    na = v.not_applicable
    if len(na) and not errors_only:
        names = ", ".join(dict.fromkeys(na["metric"]))
        lines += _wrap(f"not applicable to some items (by design, not counted in cover): {names}", width)
    return lines


def _item_skip_lines(groups: list[dict], n_ok: int, *, width: int = WIDTH) -> list[str]:
    """One short line per (metric, reason) with its count; metrics that share one
    reason and count (e.g. physics metrics on videos without ground truth) share a line."""
    merged: dict[tuple[str, str, int], list[str]] = {}
    for g in groups:
        merged.setdefault((g["scope"], g["reason"], g["count"]), []).append(g["metric"])
    lines = []
    for (scope, reason, count), metrics in merged.items():
        where = "(whole set)" if scope == "set" else f"on {count}/{n_ok} videos"
        lines.append(clip(f"skipped {', '.join(metrics)} {where}: {reason}", width))
    return lines


_BACKBONE = re.compile(r"backbone ([\w.-]+): (.*)")
_PATH = re.compile(r"(?<![\w.~])(?:/[^\s/;,()'\"]+)+/([^\s/;,()'\"]+)")


def short_reason(text: str) -> str:
    """A reason as one terminal line needs it: absolute paths cut to their last part
    (the full text is in --detail, JSON and the report)."""
    return _PATH.sub(r"\1", " ".join(str(text).split()))


def clip(text: str, width: int = WIDTH) -> str:
    """``text`` on one line of at most ``width`` characters: first clause of a long
    reason (the part before "; "), then cut with "..."."""
    if len(text) <= width:
        return text
    head = text.split("; ")[0]
    text = head if len(head) < len(text) else text
    if len(text) <= width:
        return text
    cut = text[:width - 3]
    space = cut.rfind(" ")  # at a word: a file name is kept whole or left out, never cut
    return (cut[:space] if space > width // 2 else cut).rstrip(" ,:;") + "..."


def _wrap(text: str, width: int = WIDTH) -> list[str]:
    return textwrap.wrap(text, width=width, subsequent_indent="  ", break_on_hyphens=False)


def fixed_width(df: pd.DataFrame, *, width: int = WIDTH, right=(), shrink=("output",)) -> list[str]:
    """Text columns padded to a fixed-width table of at most ``width`` characters: when
    too wide, the ``shrink`` columns are cut (with "~"), last first; numbers never."""
    cols = list(df.columns)
    text = {c: [str(x) for x in df[c]] for c in cols}
    widths = {c: max([len(c), *map(len, text[c])]) for c in cols}
    over = sum(widths.values()) + len(cols) - 1 - width
    for c in reversed([c for c in shrink if c in widths]):
        if over <= 0:
            break
        cut = min(over, widths[c] - max(6, len(c)))
        if cut > 0:
            widths[c] -= cut
            over -= cut

    def cell(c, s):
        s = s if len(s) <= widths[c] else s[:widths[c] - 1] + "~"
        return s.rjust(widths[c]) if c in right else s.ljust(widths[c])

    rows = [" ".join(cell(c, c) for c in cols).rstrip()]
    for i in range(len(df)):
        rows.append(" ".join(cell(c, text[c][i]) for c in cols).rstrip())
    return rows


def comparison_lines(cmp: pd.DataFrame, *, width: int = WIDTH, tolerance: bool = False) -> list[str]:
    """A paired comparison (``reports.compare``) in ``width`` columns: output, n, coverage
    of A -> B in percent, B - A with its interval, (the gate's tolerance,) verdict; then
    the notes of the outputs judged better or worse, one line each."""
    import numpy as np

    from vbench_lite.reports.html import coverage_text
    from vbench_lite.reports.tables import fmt

    rows, notes = [], []
    for _, r in cmp.iterrows():
        ci = f"[{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]" if np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"]) \
            else "-"
        row = {"output": r["metric"], "n": str(int(r["n"])),
               "cover %": f"{coverage_text(r['coverage_a'])[:-1]}->{coverage_text(r['coverage_b'])[:-1]}",
               "B - A": fmt(r["diff"]), "interval": ci}
        if tolerance:
            row["tolerance"] = fmt(r["tolerance"])
        row["verdict"] = r["verdict"]
        rows.append(row)
        if r.get("note") and r["verdict"] not in ("no significant change", "not tested"):
            notes.append(clip(f"  {r['metric']}: {r['note']}", width))
    if not rows:
        return ["(none)"]
    table = fixed_width(pd.DataFrame(rows), width=width, right={"n", "cover %", "B - A", "tolerance"})
    return table + (["notes:"] + notes if notes else [])


def detail_lines(v: RunView) -> list[str]:
    """Everything about one run, at any width: the main table with units and notes,
    per-video values, every failure and skip reason in full, warnings."""
    from vbench_lite.reports.html import main_display
    from vbench_lite.reports.tables import fmt

    d = v.data
    lines = [header(v)]
    if not v.main.empty:
        lines += fixed_width(main_display(v.main), width=10_000, right=RIGHT)
    sc = d.scores[d.scores["case_id"] != SET_CASE_ID]
    n_videos = sc[["case_id", "seed"]].drop_duplicates().shape[0]
    if 0 < n_videos <= DETAIL_VIDEO_COLUMNS:
        label = sc["case_id"] + sc["seed"].map(lambda s: f"#{s}" if s else "")
        wide = sc.assign(video=label).pivot_table(index="metric", columns="video", values="value", aggfunc="first")
        disp = wide.apply(lambda col: col.map(fmt)).reset_index().rename(columns={"metric": "output"})
        lines += ["", "per video:"] + fixed_width(disp, width=10_000, right=set(wide.columns))
    elif n_videos:
        lines.append(f"per-video values of the {n_videos} videos: --format json")
    if len(v.failures):
        lines += ["", "failed items (reason: count, examples):"]
        lines += [f"  [{g['status']}] {g['reason']}: {g['count']} ({g['examples']})" for _, g in v.failures.iterrows()]
    for title, table in (("skipped metrics", v.skipped), ("not applicable (by design)", v.not_applicable)):
        if len(table):
            lines += ["", f"{title} (metric, scope, count: reason; examples):"]
            lines += [f"  {g['metric']}, {g['scope']}, {g['count']}: {g['reason']}"
                      + (f"; {g['examples']}" if g["examples"] else "") for _, g in table.iterrows()]
    lines += [f"warning: {w}" for w in v.warnings]
    return lines
