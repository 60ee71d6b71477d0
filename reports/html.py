"""One self-contained HTML file: inline CSS, plots and previews as data: URIs, no
network. Every piece of user text (prompts, run names, settings, errors) goes
through ``html.escape``; tables are rendered here cell by cell for that reason.

A tiny inline script marks ``<body data-plots-loaded="N">`` once N plot images have
decoded; the headless-Chromium test reads it back (it changes nothing for readers).
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

from vbench_lite.reports import plots
from vbench_lite.reports.build import PROVENANCE_KEYS, Report, build_report
from vbench_lite.reports.data import open_store
from vbench_lite.reports.tables import physics_heading
from vbench_lite.reports.tables import fmt

MAX_TABLE_ROWS = 200  # failure lists etc. beyond this are cut, with a count of the rest

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1200px;
 color:#222;padding:0 1em}
h1{font-size:1.5em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.85em}
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.worse td,td.worse{background:#fde2e2}tr.better td,td.better{background:#e3f6e3}
tr.regressed td{background:#f8b4b4;font-weight:bold}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.85em;color:#555}
.previews{display:flex;flex-wrap:wrap;gap:1em}.preview{border:1px solid #ddd;padding:.5em;max-width:560px}
.preview img{image-rendering:pixelated;display:block;margin:.3em 0}
pre{background:#f7f7f7;padding:.8em;overflow:auto;font-size:.8em;max-height:30em}
.muted{color:#777;font-size:.85em}
"""

SCRIPT = """
window.addEventListener('load',function(){var imgs=document.querySelectorAll('img.plot'),n=0;
for(var i=0;i<imgs.length;i++){if(imgs[i].complete&&imgs[i].naturalWidth>0)n++;}
document.body.setAttribute('data-plots-loaded',String(n));});
"""


def esc(x) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _cell(v) -> tuple[str, bool]:
    """(escaped text, is_number)."""
    if isinstance(v, (bool, np.bool_)):
        return ("yes" if v else ""), False
    if isinstance(v, (int, np.integer)):
        return esc(v), True
    if isinstance(v, (float, np.floating)):
        return esc(fmt(float(v))), True
    return esc(v), False


def table_html(df: pd.DataFrame, *, row_class=None, max_rows: int = MAX_TABLE_ROWS) -> str:
    """An escaped HTML table; ``row_class(row) -> str`` adds a CSS class per row."""
    if df is None or df.empty:
        return '<p class="muted">none</p>'
    cols = list(df.columns)
    head = "".join(f"<th>{esc(c)}</th>" for c in cols)
    body = []
    for _, r in df.head(max_rows).iterrows():
        cls = row_class(r) if row_class else ""
        cells = []
        for c in cols:
            text, num = _cell(r[c])
            cells.append(f'<td class="num">{text}</td>' if num else f"<td>{text}</td>")
        body.append(f'<tr class="{esc(cls)}">' + "".join(cells) + "</tr>")
    more = len(df) - max_rows
    tail = f'<p class="muted">... and {more} more rows (see the CSV export)</p>' if more > 0 else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{tail}"


# what the HTML comparison table shows (the exports keep every column)
COMPARISON_COLUMNS = ["metric", "direction", "n", "coverage_a", "coverage_b", "mean_a", "mean_b", "diff",
                      "ci_low", "ci_high", "verdict", "note"]


def _verdict_class(r) -> str:
    if bool(r.get("regressed", False)):
        return "regressed"
    return {"worse": "worse", "better": "better"}.get(r.get("verdict", ""), "")


def _img(data: bytes, mime: str, alt: str, cls: str = "") -> str:
    b64 = base64.b64encode(data).decode("ascii")
    return f'<img class="{cls}" alt="{esc(alt)}" src="data:{mime};base64,{b64}">'


def comparison_html(cmp: pd.DataFrame) -> str:
    if "verdict" not in cmp.columns:  # the comparison could not be made; its reason
        return f"<p>{esc(cmp['note'].iloc[0])}</p>"
    a, b = cmp.attrs.get("run_a", ""), cmp.attrs.get("run_b", "")
    conf = cmp.attrs.get("confidence", 0.95)
    head = (f"<h3>{esc(b)} vs {esc(a)}</h3><p class='muted'>diff = B - A over paired (case, seed) items; "
            f"intervals at {conf:.2%} each ({esc(cmp.attrs.get('correction'))} correction over "
            f"{cmp.attrs.get('tested')} tests, family-wise alpha {cmp.attrs.get('alpha')}); coverage = share of "
            f"the relevant items each run scored; unpaired items: {cmp.attrs.get('unpaired_a', 0)} only in A, "
            f"{cmp.attrs.get('unpaired_b', 0)} only in B. Full columns in the CSV export.</p>")
    shown = [c for c in COMPARISON_COLUMNS if c in cmp.columns]
    return head + table_html(cmp[shown], row_class=lambda r: _verdict_class(cmp.loc[r.name]))


def render_html(report: Report) -> str:
    out = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{esc(report.title)}</title>",
           f"<style>{CSS}</style><script>{SCRIPT}</script></head><body><h1>{esc(report.title)}</h1>"]
    out.append("<h2>Summary</h2><p class='muted'>mean [95 % bootstrap CI]; direction says whether "
               "higher or lower is better ('-': no direction).</p>")
    if len(report.sections) > 1:
        out.append(table_html(report.wide))
    elif report.sections:
        out.append(table_html(report.sections[0].summary))
    if report.comparisons:
        out.append("<h2>Paired comparisons</h2>" + "".join(comparison_html(c) for c in report.comparisons))
    if report.figures:
        out.append("<h2>Plots</h2>")
        for name, fig in report.figures.items():
            out.append(f"<figure id='fig-{esc(name)}'>{_img(plots.png_bytes(fig), 'image/png', name, 'plot')}"
                       f"<figcaption>{esc(report.captions.get(name, ''))}</figcaption></figure>")
    for s in report.sections:
        d = s.data
        out.append(f"<h2>Run {esc(d.label)} <span class='muted'>({esc(d.run_id)}, {esc(d.run.get('generator'))},"
                   f" {esc(d.run.get('status'))})</span></h2>")
        if len(report.sections) > 1:
            out.append("<h3>Metrics</h3>" + table_html(s.summary))
        if not s.physics.empty:
            out.append(f"<h3>{html.escape(physics_heading(s.physics))}</h3>" + table_html(s.physics))
        n_items = len(d.items)
        out.append(f"<h3>Failed items ({len(s.failures)} of {n_items})</h3>" + table_html(s.failures))
        out.append("<h3>Skipped metrics</h3>" + table_html(s.skips))
        if s.previews:
            out.append("<h3>Worst cases per metric</h3><div class='previews'>")
            for p in s.previews:
                gif = _img(p.gif, "image/gif", f"{p.case_id} animation", "preview") if p.gif else ""
                out.append(f"<div class='preview'><b>{esc(p.metric)}</b> = {esc(fmt(p.value))} {esc(p.units)}"
                           f"<br><span class='muted'>{esc(p.case_id)} seed {p.seed}: {esc(p.prompt)}</span>"
                           f"{_img(p.strip_png, 'image/png', p.case_id + ' frames', 'preview')}{gif}</div>")
            out.append("</div>")
        prov = {k: d.run.get(k) for k in PROVENANCE_KEYS}
        out.append("<h3>Provenance</h3><pre>" + esc(json.dumps(prov, indent=2, sort_keys=True, default=str))
                   + "</pre>")
    out.append("</body></html>")
    return "\n".join(out)


def safe_name(label: str) -> str:
    """The one naming rule for report files: a run's label with anything but
    letters, digits, '.', '_' and '-' replaced, at most 80 characters, never a path."""
    import re

    return re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("._")[:80] or "report"


def report_path(store_path, label: str) -> Path:
    """Default HTML path of a report whose first run is ``label``: ``<store dir>/reports/<safe label>.html``."""
    return Path(store_path).parent / "reports" / f"{safe_name(label)}.html"


def save_report(report: Report, out: str | Path, *, exports: bool = False) -> Path:
    """Write a built report's HTML to ``out``; with ``exports`` also Markdown, CSV/JSON
    and PNG+SVG plots beside it (``<out stem>_files/``). Returns the HTML path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(report), encoding="utf-8")
    if exports:
        from vbench_lite.reports.export import write_exports
        write_exports(report, out.with_name(out.stem + "_files"))
    return out


def write_report(store_path, run_ids: list[str], out: str | Path | None = None, *, previews: bool = True,
                 exports: bool = False) -> Path:
    """Build and write the report of ``run_ids`` (ids, names or 'latest'); ``out``
    defaults to ``report_path`` of the first run. Returns the HTML path."""
    with open_store(store_path) as store:
        report = build_report(store, list(run_ids), previews=previews)
    return save_report(report, out or report_path(store_path, report.sections[0].data.label), exports=exports)
