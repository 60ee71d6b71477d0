"""What ``run`` and ``eval`` print: a readable table (default) or JSON for scripts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from vbench_lite.store import SET_CASE_ID

MAX_VIDEO_COLUMNS = 6  # beyond this many videos the table shows per-metric means only
MAX_EXAMPLES = 3  # case ids kept per (metric, reason) group
MAX_REASON_CHARS = 160  # terminal only; JSON keeps the whole reason


def group_item_skips(rows) -> list[dict]:
    """Per-item skips (the store's ``item_skips`` rows) grouped by (metric, reason):
    ``[{metric, reason, count, examples, scope}]``; ``scope`` is "video" or "set" (a
    set-level metric such as FVD). Errors first, then by metric, so the surprising
    ones lead."""
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


def print_summaries(summaries, store_path, *, fmt="table", report_path=None, file=None) -> None:
    from vbench_lite.store import DEFAULT_STORE, Store

    file = file or sys.stdout
    path = Path(store_path or DEFAULT_STORE())
    with Store(path, readonly=True) as store:
        data = [collect(store, s) for s in summaries]
    if fmt == "json":
        json.dump({"runs": data, "store": str(path), "report": str(report_path) if report_path else None},
                  file, indent=1, default=str)
        file.write("\n")
        return
    for run in data:
        _print_run(run, file)
    print(f"results store: {path}", file=file)
    if report_path:
        print(f"report: {report_path}", file=file)


def _print_run(run: dict, file) -> None:
    import pandas as pd

    from vbench_lite.reports.data import direction_word

    no_number = set(run["skipped_metrics"]) | {g["metric"] for g in run["item_skips"]}
    skipped = f", {len(no_number)} metric{'s' if len(no_number) != 1 else ''} skipped" if no_number else ""
    print(f"\n== {run['name']} (run {run['run_id']}): {run['ok']}/{run['items']} ok, "
          f"{run['failed']} failed{skipped}, {run['seconds']:.1f} s", file=file)
    units, direction, records = {}, {}, []
    for v in run["videos"]:
        for m, s in v["scores"].items():
            units[m], direction[m] = s["units"], direction_word(s["higher_is_better"])
            records.append({"video": v["case_id"] + (f"#{v['seed']}" if v["seed"] else ""),
                            "split": v["split"] or "", "metric": m, "value": s["value"]})
    if records:
        df = pd.DataFrame(records)
        if df["video"].nunique() <= MAX_VIDEO_COLUMNS:
            table = df.pivot_table(index="metric", columns="video", values="value", aggfunc="first")
        else:  # many videos: means (overall and per split) per metric
            table = df.groupby("metric")["value"].agg(mean="mean", n="count")
            for split in sorted(set(df["split"]) - {""}):
                table[f"mean {split}"] = df[df["split"] == split].groupby("metric")["value"].mean()
        table["better"] = [direction[m] for m in table.index]
        table["units"] = [units[m] for m in table.index]
        with pd.option_context("display.max_columns", None, "display.width", 250, "display.max_rows", 500,
                               "display.float_format", "{:.4g}".format):
            print(table.to_string(na_rep="-"), file=file)
    for m, s in run["set_scores"].items():
        print(f"{m} (whole set): {s['value']:.4g} {s['units']}", file=file)
    for reason, n in run["failure_reasons"].items():
        print(f"failed x{n}: {reason}", file=file)
    by_reason: dict[str, list[str]] = {}
    for m, reason in run["skipped_metrics"].items():  # whole run; CLIP's two metrics share one file
        by_reason.setdefault(reason, []).append(m)
    for reason, metrics in by_reason.items():
        print(f"skipped metric{'s' if len(metrics) > 1 else ''} {', '.join(metrics)}: {reason}", file=file)
    for line in _item_skip_lines(run["item_skips"], run["ok"]):
        print(line, file=file)
    for w in run["warnings"]:
        print(f"warning: {w}", file=file)


def _item_skip_lines(groups: list[dict], n_ok: int) -> list[str]:
    """One short line per (metric, reason) with its count; metrics that share one
    reason and count (e.g. physics metrics on videos without ground truth) share a line."""
    merged: dict[tuple[str, str, int], list[str]] = {}
    for g in groups:
        merged.setdefault((g["scope"], g["reason"], g["count"]), []).append(g["metric"])
    lines = []
    for (scope, reason, count), metrics in merged.items():
        if len(reason) > MAX_REASON_CHARS:
            reason = reason[:MAX_REASON_CHARS - 3] + "..."
        where = "(whole set)" if scope == "set" else f"on {count}/{n_ok} videos"
        lines.append(f"skipped {', '.join(metrics)} {where}: {reason}")
    return lines
