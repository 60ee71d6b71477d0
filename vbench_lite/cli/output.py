"""What ``run`` and ``eval`` print: a readable table (default) or JSON for scripts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

MAX_VIDEO_COLUMNS = 6  # beyond this many videos the table shows per-metric means only


def collect(store, summary) -> dict:
    """Per video, per metric: value, units, direction -- plus the run's skips/failures."""
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

    print(f"\n== {run['name']} (run {run['run_id']}): {run['ok']}/{run['items']} ok, "
          f"{run['failed']} failed, {run['seconds']:.1f} s", file=file)
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
    for m, reason in run["skipped_metrics"].items():
        print(f"skipped metric {m}: {reason}", file=file)
    for w in run["warnings"]:
        print(f"warning: {w}", file=file)
