"""A run's ``vbench_*`` outputs in VBench's ``<name>_eval_results.json`` layout.

VBench writes one JSON object per evaluation (``vbench/__init__.py`` lines 137-157,
``VBench.evaluate``): dimension name -> ``[aggregate, video_results]``, where
``video_results`` is the list each ``compute_<dimension>`` returns, one
``{"video_path": ..., "video_results": value}`` per video (``subject_consistency.py``
line 66; background consistency adds ``video_sim`` and ``cnt_per_video``, its lines
58-62; dynamic degree's values are booleans, ``dynamic_degree.py`` lines 145-146).
VBench's final-score script reads exactly ``json[dimension][0]`` of every such file
(Vchitect/VBench ``scripts/cal_final_score.py`` lines 24-35).

Everything is read from the store by output name (``vbench_board.DIMENSIONS``), never
recomputed: the per-video values, and for the frame-weighted dimensions the number of
scored frames, which is the stored timeline's length (float32, 4 bytes a value).
Dimensions the run lacks are left out and listed in ``missing``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from vbench_lite.reports.data import query
from vbench_lite.reports.vbench_board import DIMENSIONS, FRAME_WEIGHTED, aggregate, board
from vbench_lite.store import Store


@dataclass
class VBenchExport:
    """``results``: the ``*_eval_results.json`` object; ``rows``: per dimension, its
    videos, aggregate, rule and board values; ``missing``: VBench dimensions (of the five
    vbench-lite computes) not in the run, with the metric that gives each;
    ``dropped``: dimension -> items left out for a non-finite value; ``board``:
    ``vbench_board.board`` of the aggregates."""

    results: dict
    rows: list[dict] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    board: dict = field(default_factory=dict)


def video_name(case_id: str, seed: int, video_path: str | None) -> str:
    """What goes in ``video_path``: the scored file when the item has one (eval runs),
    else ``<case id>-<seed>``, VBench's ``<prompt>-<index>`` naming for sampled videos."""
    return video_path or f"{case_id}-{seed}"


def _per_video_entry(dim, name: str, value: float, frames: int | None) -> dict:
    if dim.boolean and value in (0.0, 1.0):
        return {"video_path": name, "video_results": bool(value)}
    entry = {"video_path": name, "video_results": value}
    if dim.key == "background_consistency" and frames:  # background_consistency.py lines 58-62
        entry |= {"video_sim": value * frames, "cnt_per_video": frames}
    return entry


def vbench_results(store: Store, run_id: str) -> VBenchExport:
    """The run's VBench results (see the module docstring); only items whose status is ok."""
    names = tuple(DIMENSIONS)
    df = query(store, f"""
        SELECT s.case_id, s.seed, s.metric, s.value, length(s.timeline) AS timeline_bytes, i.video_path
        FROM scores s JOIN items i ON i.run_id = s.run_id AND i.case_id = s.case_id AND i.seed = s.seed
        WHERE s.run_id = ? AND i.status = 'ok' AND s.metric IN ({",".join("?" * len(names))})
        ORDER BY s.metric, s.case_id, s.seed""", (run_id, *names))
    export = VBenchExport(results={})
    aggregates = {}
    for output, dim in DIMENSIONS.items():
        sub = df[df["metric"] == output]
        if sub.empty:
            export.missing[dim.key] = output
            continue
        entries, values, frames = [], [], []
        for r in sub.itertuples(index=False):
            if r.value is None or not math.isfinite(r.value):
                export.dropped[dim.key] = export.dropped.get(dim.key, 0) + 1
                continue
            n = int(r.timeline_bytes) // 4 if pd.notna(r.timeline_bytes) and r.timeline_bytes else None
            entries.append(_per_video_entry(dim, video_name(r.case_id, r.seed, r.video_path), float(r.value), n))
            values.append(float(r.value))
            frames.append(n)
        if not values:
            export.missing[dim.key] = output
            continue
        weighted = dim.rule == FRAME_WEIGHTED and all(frames)  # else the plain mean (aggregate's fallback)
        value = aggregate(output, values, frames if weighted else None)
        export.results[dim.key] = [value, entries]
        aggregates[dim.label] = value
        export.rows.append({"dimension": dim.key, "output": output, "videos": len(values), "aggregate": value,
                            "rule": "video_mean (no timelines stored)" if dim.rule == FRAME_WEIGHTED and not weighted
                            else dim.rule})
    export.board = board(aggregates)
    for row in export.rows:
        b = export.board["dimensions"][row["dimension"].replace("_", " ")]
        row |= {"normalized": b["normalized"], "weight": b["weight"], "weighted": b["weighted"]}
    return export


def write_vbench_results(store: Store, run: dict, folder: str | Path) -> tuple[Path, VBenchExport]:
    """Write ``<folder>/<run label>_eval_results.json`` (VBench's file name,
    ``vbench/__init__.py`` line 155) and return its path with the export."""
    from vbench_lite.reports.html import safe_name

    export = vbench_results(store, run["run_id"])
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{safe_name(run.get('name') or run['run_id'])}_eval_results.json"
    path.write_text(json.dumps(export.results, indent=4), encoding="utf-8")  # save_json: indent=4 (utils.py lines 386-388)
    return path, export


def summary_lines(export: VBenchExport) -> list[str]:
    """What ``report --format vbench`` prints: one line per dimension, what is missing,
    and why VBench's quality / total score is or is not given."""
    lines = [f"{'dimension':<24}{'videos':>7}{'aggregate':>11}{'normalized':>12}{'weight':>7}  rule"]
    for r in export.rows:
        lines.append(f"{r['dimension']:<24}{r['videos']:>7}{r['aggregate']:>11.6f}{r['normalized']:>12.6f}"
                     f"{r['weight']:>7g}  {r['rule']}")
    if export.dropped:
        lines.append("left out (non-finite value): " + ", ".join(f"{k} {n}" for k, n in export.dropped.items()))
    if export.missing:
        lines.append("not in this run: " + ", ".join(f"{k} (metric {m})" for k, m in export.missing.items()))
    b = export.board
    if b.get("total_score") is not None:
        lines.append(f"quality {b['quality_score']:.6f}  semantic {b['semantic_score']:.6f}  "
                     f"total {b['total_score']:.6f}")
    else:
        need = list(b.get("missing_quality", [])) + (["the 9 semantic dimensions"] if b.get("missing_semantic") else [])
        lines.append("VBench quality/total score not computed (VBench's script would count a missing dimension "
                     "as 0): it also needs " + ", ".join(need))
    return lines
