"""Markdown, CSV and JSON exports of a ``Report``, plus its plots as PNG + SVG.

CSV/JSON keep full precision (for scripts and dashboards); Markdown rounds to 4
significant digits. Every piece of user text in the Markdown (prompts, run names,
failure reasons, in cells and in headings) goes through ``md_text``: HTML is escaped
as the HTML report escapes it (``<script>`` stays text), and ``|``, backslashes,
backticks, brackets and line breaks cannot break the table or make links, images or
code. JSON is strict: NaN becomes null.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from vbench_lite.reports.build import PROVENANCE_KEYS, Report
from vbench_lite.reports.plots import save_figure
from vbench_lite.reports.tables import fmt, physics_heading


# HTML special characters as entities (renderers pass raw HTML through), Markdown
# punctuation that makes tables, code, links or images backslash-escaped, line breaks
# (which would end a table row or a heading) as spaces
_MD_ESCAPES = str.maketrans({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", "\\": "\\\\", "|": "\\|", "`": "\\`", "[": "\\[", "]": "\\]",
    "\n": " ", "\r": " ",
})


def md_text(value) -> str:
    """``value`` as inert Markdown text: shows as written, never as HTML or markup."""
    return str("" if value is None else value).translate(_MD_ESCAPES)


def md_table(df: pd.DataFrame, max_rows: int = 200) -> str:
    if df is None or df.empty:
        return "_none_\n"
    cols = list(df.columns)

    def cell(v) -> str:
        if isinstance(v, (float, np.floating)):
            v = fmt(float(v))
        return md_text(v)

    lines = ["| " + " | ".join(cell(c) for c in cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(r[c]) for c in cols) + " |" for _, r in df.head(max_rows).iterrows()]
    if len(df) > max_rows:
        lines.append(f"\n_... and {len(df) - max_rows} more rows (see CSV)_")
    return "\n".join(lines) + "\n"


def to_markdown(report: Report) -> str:
    out = [f"# {md_text(report.title)}\n", "## Summary\n", "mean [95 % bootstrap CI]\n"]
    out.append(md_table(report.wide) if len(report.sections) > 1 else
               md_table(report.sections[0].summary) if report.sections else "_no runs_\n")
    for cmp in report.comparisons:
        if "verdict" in cmp.columns:
            out.append(f"\n## {md_text(cmp.attrs.get('run_b'))} vs {md_text(cmp.attrs.get('run_a'))}\n")
            out.append(f"intervals at {cmp.attrs.get('confidence', 0.95):.2%} ({cmp.attrs.get('correction')})\n")
        out.append(md_table(cmp))
    for s in report.sections:
        out.append(f"\n## Run {md_text(s.data.label)} ({md_text(s.data.run_id)})\n")
        if not s.physics.empty:
            out.append(f"### {md_text(physics_heading(s.physics))}\n" + md_table(s.physics))
        out.append(f"### Failed items ({len(s.failures)})\n" + md_table(s.failures))
        out.append("### Skipped metrics\n" + md_table(s.skips))
    return "\n".join(out)


def _clean(obj):
    """JSON-safe: NaN/inf -> None, numpy scalars -> Python."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def records(df: pd.DataFrame) -> list[dict]:
    """A frame as JSON-safe rows (NaN/inf -> None, numpy scalars -> Python): what every
    ``--format json`` prints."""
    return _clean(df.to_dict(orient="records")) if df is not None else []


def to_json(report: Report) -> dict:
    return _clean({
        "title": report.title,
        "runs": [{
            "provenance": {k: s.data.run.get(k) for k in PROVENANCE_KEYS},
            "summary": records(s.summary), "physics": records(s.physics),
            "failures": records(s.failures), "skips": records(s.skips),
        } for s in report.sections],
        "comparisons": [{"attrs": dict(c.attrs), "rows": records(c)} for c in report.comparisons],
        "scorecards": [{"run_id": c.run_id, "reference": c.reference, "pooling": c.pooling, "lines": c.records()}
                       for c in report.cards],
    })


def write_exports(report: Report, folder: str | Path) -> list[Path]:
    """report.md, report.json, summary.csv (all runs, long form), per-run physics /
    failures / skips CSVs, compare_<i>.csv, and every plot as PNG + SVG."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "report.md", folder / "report.json", folder / "summary.csv"]
    paths[0].write_text(to_markdown(report), encoding="utf-8")
    paths[1].write_text(json.dumps(to_json(report), indent=2, default=str), encoding="utf-8")
    report.across.to_csv(paths[2], index=False)
    for i, s in enumerate(report.sections):
        for name, df in (("physics", s.physics), ("failures", s.failures), ("skips", s.skips)):
            p = folder / f"run{i}_{name}.csv"
            df.to_csv(p, index=False)
            paths.append(p)
    for i, c in enumerate(report.comparisons, start=1):
        p = folder / f"compare_{i}.csv"
        c.to_csv(p, index=False)
        paths.append(p)
    for name, fig in report.figures.items():
        paths += save_figure(fig, folder / name)
    return paths
