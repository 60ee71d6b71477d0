"""A run's ``physics_iq`` numbers in Physics-IQ Verified's own file layout.

Two files, as the benchmark's ``run_physics_iq.py`` writes them into its results folder
(physiq/run_physics_iq.py@09aa9cc ``process_directory``; physiq/calculate_and_write_
metrics_to_csv.py@dc7dd06 ``process_videos``):

- ``<name>.csv``: one row per scenario, a ``scenario`` column (``<scenario>.mp4``) and,
  per perspective (``_perspective-left`` / ``-center`` / ``-right``), the per-sample
  columns its scorer reads: ``spatiotemporal_iou_v1``, ``spatial_iou_v1``,
  ``weighted_spatial_iou_v1``, ``v1_mse``, ``variance_spatial``,
  ``variance_weighted_spatial``, ``variance_spatiotemporal_iou``, ``variance_mse``
  (per-frame lists as ``[...]``, 4 decimals: what the scorer rounds them to). The
  generated-vs-take-2 columns (``*_v2``) are left out: no score reads them.
- ``<name>_metrics.json``: ``IQTable.get_output_dict()``'s keys (fractions;
  ``final_score_origround`` in percent), from the run's stored set-level outputs.

So the benchmark's own scorer (``IQTable.from_csv``) reads the CSV back to the JSON's
numbers. Samples are the run's items named as Physics-IQ names generated videos,
``<4-digit id>_perspective-<left|center|right>_<scenario>``; every scenario needs its
three perspectives. Which stored output fills which key is declared by the metric
(``describe()["physics_iq_export"]``, recorded with the run): reports read the store
only and never recompute a metric.
"""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

from vbench_lite.errors import UserError
from vbench_lite.store import SET_CASE_ID, Store

VIEWS = ("perspective-left", "perspective-center", "perspective-right")  # calculate_iq_score.py VIEWS
_SAMPLE = re.compile(r"^(\d{4})_(perspective-(?:left|center|right))_(.+)$")
METRIC = "physics_iq"


def _layout(run: dict) -> dict:
    info = (run.get("metrics") or {}).get(METRIC)
    if not info or "physics_iq_export" not in info:
        raise UserError(f"run {run['run_id']} has no physics_iq scores; run it with --metrics physics_iq "
                        "--metric-set physics_iq.reference_dir=DIR --metric-set physics_iq.variance_dir=DIR")
    return info["physics_iq_export"]


def _frames_text(values, decimals: int) -> str:
    return "[" + ", ".join(repr(round(float(v), decimals)) for v in values) + "]"


def metrics_json(store: Store, run: dict) -> dict:
    """The Verified metrics JSON of ``run`` from its stored set-level outputs."""
    layout = _layout(run)
    stored = {s["metric"]: s["value"] for s in store.scores(run["run_id"]) if s["case_id"] == SET_CASE_ID}
    if "physics_iq_score" not in stored or stored["physics_iq_score"] is None:
        reasons = [r["reason"] for r in store.item_skips(run["run_id"])
                   if r["case_id"] == SET_CASE_ID and r["metric"] == METRIC]
        raise UserError(f"run {run['run_id']} has no set-level Physics-IQ score"
                        + (f": {reasons[0]}" if reasons else ""))
    out = {}
    for name, (key, factor) in layout["json"].items():
        value = stored.get(name)
        out[key] = None if value is None or not math.isfinite(value) else value / factor
    return out


def results_rows(store: Store, run: dict) -> tuple[list[str], list[dict]]:
    """(header, rows) of the results CSV: one row per scenario, three perspectives each."""
    layout = _layout(run)
    decimals = int(layout.get("list_decimals", 4))
    wanted = set(layout["csv"].values())
    per_item: dict[str, dict] = {}
    for s in store.scores(run["run_id"], with_timelines=True):
        if s["case_id"] != SET_CASE_ID and s["metric"] in wanted:
            per_item.setdefault(s["case_id"], {})[s["metric"]] = s
    scenarios: dict[str, dict[str, dict]] = {}
    odd = []
    for case_id, scores in sorted(per_item.items()):
        m = _SAMPLE.match(case_id)
        if not m:
            odd.append(case_id)
            continue
        scenarios.setdefault(m[3] + ".mp4", {})[m[2]] = scores
    if odd:
        raise UserError(f"{len(odd)} video(s) are not named as Physics-IQ's generated videos "
                        f"(<id>_perspective-<left|center|right>_<scenario>): {', '.join(odd[:3])}"
                        + (" ..." if len(odd) > 3 else ""))
    header = ["scenario"] + [f"{col}_{v}" for v in VIEWS for col in layout["csv"]]
    rows = []
    for scenario, views in scenarios.items():
        missing = [v for v in VIEWS if v not in views or set(views[v]) != wanted]
        if missing:
            raise UserError(f"scenario {scenario} lacks {', '.join(missing)} (each needs its three perspectives, "
                            "scored with a second take)")
        row = {"scenario": scenario}
        for v in VIEWS:
            for col, output in layout["csv"].items():
                s = views[v][output]
                row[f"{col}_{v}"] = (_frames_text(s["timeline"], decimals) if s["timeline"] is not None
                                     else repr(float(s["value"])))
        rows.append(row)
    if not rows:
        raise UserError(f"run {run['run_id']} has no per-video Physics-IQ scores to export")
    return header, rows


def write_physics_iq(store: Store, run: dict, folder: str | Path, name: str | None = None) -> list[Path]:
    """Write ``<name>.csv`` and ``<name>_metrics.json`` (name: the run's) into ``folder``."""
    folder = Path(folder)
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name or run.get("name") or run["run_id"]).strip("._") or "run"
    values = metrics_json(store, run)
    header, rows = results_rows(store, run)
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = folder / f"{name}.csv", folder / f"{name}_metrics.json"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    json_path.write_text(json.dumps(values, indent=4) + "\n", encoding="utf-8")
    return [csv_path, json_path]
