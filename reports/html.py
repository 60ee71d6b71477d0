"""One self-contained HTML file: inline CSS, plots and previews as data: URIs, no
network, no script. Every piece of user text (prompts, run names, settings, errors)
goes through ``html.escape``; tables are rendered here cell by cell for that reason.

Layout: what was run, the scorecard (``scorecard_html``: the first screen, every
dimension beside its reference), plots, then the main table (``build.main_table``:
every output, units and notes), paired comparisons, and per run its
failures and skips (repeated reasons folded, ``build.failure_groups`` /
``build.skip_groups``), worst cases with the simulator's truth, and provenance.
Nothing is wider than the page: long words wrap, images scale down
(``tests/test_report_browser.py`` checks this in headless Chromium).
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import numpy as np
import pandas as pd

from vbench_lite.reports import plots
from vbench_lite.reports.build import PROVENANCE_KEYS, Report, build_report, failure_groups, skip_groups
from vbench_lite.reports.data import open_store
from vbench_lite.reports.scorecard_html import CSS as CARD_CSS, scorecard_html
from vbench_lite.reports.stats import MIN_CI_UNITS
from vbench_lite.reports.tables import fmt

MAX_TABLE_ROWS = 200  # failure lists etc. beyond this are cut, with a count of the rest
LONG_TEXT = 40  # characters: a cell this long may break anywhere (a URL has no spaces to wrap at)
LONG_HEADER = 16  # characters: a column header this long (a run name) may break anywhere
MAX_SETTINGS_SHOWN = 12  # settings listed under the title (all of them are in the provenance)

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1200px;
 color:#222;padding:0 1em}
h1{font-size:1.5em;overflow-wrap:anywhere}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
h2,h3{overflow-wrap:anywhere}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.85em;max-width:100%}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.ci,td.wrap{text-align:right;font-variant-numeric:tabular-nums}td.ci{white-space:nowrap}
td.long,th.long{overflow-wrap:anywhere;min-width:6em}
@media (max-width:1000px){table{font-size:.78em}th,td{padding:.2em .35em}}
@media (max-width:860px){td.ci{white-space:normal}}
tr.worse td,td.worse{background:#fde2e2}tr.better td,td.better{background:#e3f6e3}
tr.regressed td{background:#f8b4b4;font-weight:bold}tr.split td{border-top:2px solid #bbb}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85em;color:#555}
.previews{display:flex;flex-direction:column;gap:1em}
.preview{border:1px solid #ddd;padding:.5em;max-width:100%;box-sizing:border-box}
.preview .frames{display:flex;flex-wrap:wrap;gap:.6em;align-items:flex-start}
.preview img{image-rendering:pixelated;max-width:100%;height:auto;display:block}
pre{background:#f7f7f7;padding:.8em;overflow:auto;font-size:.8em;max-height:30em;white-space:pre-wrap;
 overflow-wrap:anywhere}
.muted{color:#777;font-size:.85em}.runline{margin:.2em 0;overflow-wrap:anywhere}
details summary{cursor:pointer;margin:.3em 0}
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


def table_html(df: pd.DataFrame, *, row_class=None, max_rows: int = MAX_TABLE_ROWS,
               num_cols: tuple[str, ...] = (), wrap_cols: tuple[str, ...] = (),
               interval_cols: tuple[str, ...] = ()) -> str:
    """An escaped HTML table; ``row_class(row) -> str`` adds a CSS class per row;
    ``num_cols``: columns of preformatted numbers (right-aligned like numbers);
    ``wrap_cols``: right-aligned columns that may wrap at spaces; ``interval_cols``:
    the same, kept on one line unless the window is narrow."""
    if df is None or df.empty:
        return '<p class="muted">none</p>'
    cols = list(df.columns)
    head = "".join(f"<th class='long'>{esc(c)}</th>" if len(str(c)) > LONG_HEADER else f"<th>{esc(c)}</th>"
                   for c in cols)  # a run's name as a column header may break anywhere
    body = []
    for _, r in df.head(max_rows).iterrows():
        cls = row_class(r) if row_class else ""
        cells = []
        for c in cols:
            text, num = _cell(r[c])
            if c in wrap_cols or c in interval_cols:
                cells.append(f'<td class="{"ci" if c in interval_cols else "wrap"}">{text}</td>')
                continue
            num = num or c in num_cols
            if num:
                cells.append(f'<td class="num">{text}</td>')
            else:  # long free text (reasons with paths and URLs) may break anywhere, never widen the page
                cells.append(f'<td class="long">{text}</td>' if len(text) > LONG_TEXT else f"<td>{text}</td>")
        body.append(f'<tr class="{esc(cls)}">' + "".join(cells) + "</tr>")
    more = len(df) - max_rows
    tail = f'<p class="muted">... and {more} more rows (see the CSV export)</p>' if more > 0 else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{tail}"


# what the HTML comparison table shows (the exports keep every column): output, direction,
# n, coverage of A and B, means, diff = B - A with its interval, verdict, note
COMPARISON_COLUMNS = ["output", "better", "n", "cover A → B", "mean A", "mean B", "B - A [interval]", "verdict",
                      "note"]


def comparison_display(cmp: pd.DataFrame) -> pd.DataFrame:
    """``compare.compare_runs`` rows as the text columns of ``COMPARISON_COLUMNS``."""
    rows = []
    for _, r in cmp.iterrows():
        ci = (f" [{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]"
              if np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"]) else "")
        rows.append({"output": r["metric"], "better": r["direction"], "n": str(int(r["n"])),
                     "cover A → B": f"{coverage_text(r['coverage_a'])} → {coverage_text(r['coverage_b'])}",
                     "mean A": fmt(r["mean_a"]), "mean B": fmt(r["mean_b"]), "B - A [interval]": fmt(r["diff"]) + ci,
                     "verdict": r["verdict"], "note": r["note"] or ""})
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS, index=cmp.index)


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
    return head + table_html(comparison_display(cmp), num_cols=("n", "mean A", "mean B"),
                             wrap_cols=("cover A → B", "B - A [interval]"),
                             row_class=lambda r: _verdict_class(cmp.loc[r.name]))


def interval_text(row) -> str:
    """A main-table row's 95 % interval, or in a few words why there is none."""
    low, high, n, note = row["ci_low"], row["ci_high"], row["n"], str(row.get("note") or "")
    if np.isfinite(low) and np.isfinite(high):
        return f"[{fmt(low)}, {fmt(high)}]"
    if not n:
        return "no values"
    if note.startswith("set-level"):
        return "whole set"
    if "all values equal" in note:
        return "all equal"
    return f"none (<{MIN_CI_UNITS} cases)"


def coverage_text(c: float) -> str:
    """A share as a whole percent, never rounded up to 100 % when an item is missing."""
    if not np.isfinite(c):
        return ""
    pct = int(np.floor(c * 100 + 1e-9)) if c < 1 else 100
    return f"{pct}%"


def main_display(main: pd.DataFrame) -> pd.DataFrame:
    """``build.main_table`` as text columns, the one formatting the report and the
    terminal share: output, split, mean, 95% interval, n, cover, floor, better,
    units, note."""
    rows = []
    for _, r in main.iterrows():
        rows.append({"output": r["metric"], "split": str(r["split"]).upper(), "mean": fmt(r["mean"]),
                     "95% interval": interval_text(r), "n": str(int(r["n"])),
                     "cover": coverage_text(float(r["coverage"])),
                     "floor": fmt(r["floor"]) if r["floor_n"] else "", "better": r["direction"],
                     "units": r["units"], "note": _note(r["note"])})
    return pd.DataFrame(rows, columns=["output", "split", "mean", "95% interval", "n", "cover", "floor", "better",
                                       "units", "note"])


def _note(note) -> str:
    """A row's note without what the interval column already says."""
    said = ("no interval", "set-level score (one value)", "no values")
    return "; ".join(p for p in str(note or "").split("; ") if p and not any(x in p for x in said))


MAIN_NUMBERS = ("mean", "95% interval", "n", "cover", "floor")
SUMMARY_HELP = ("Mean over the items each output was scored on, with its 95 % bootstrap interval "
                "(resampling whole cases; none below {min} cases, where the bootstrap can only return the range "
                "of the values). n: items scored; cover: share of the items the output applies to that it was "
                "scored on (a generator that loses objects scores fewer). Physics outputs are split into "
                "in-distribution (ID) and out-of-distribution (OOD) probes. floor: the simulator "
                "oracle's own score on the same cases (every output of a probe run), the best a parsed video can do. better: which direction "
                "is better ('-': none).")


def main_table_html(main: pd.DataFrame) -> str:
    disp = main_display(main)
    physics = disp["split"] != ""
    first_physics = disp.index[physics].min() if physics.any() else None
    no_floor = ("<p class='muted'>No simulator floor run covers these probe cases (it is scored beside a probe "
                "run unless --no-floor is given).</p>") if physics.any() and not (main["floor_n"] > 0).any() else ""
    return table_html(disp, num_cols=MAIN_NUMBERS, interval_cols=("95% interval",),
                      row_class=lambda r: "split" if r.name == first_physics and r.name != 0 else "") + no_floor


def _run_line(section) -> str:
    d = section.data
    settings = d.run.get("settings") or {}
    shown = ", ".join(f"{k}={v}" for k, v in list(settings.items())[:MAX_SETTINGS_SHOWN])
    if len(settings) > MAX_SETTINGS_SHOWN:
        shown += ", ..."
    ok = int((d.items["status"] == "ok").sum())
    parts = [f"<b>{esc(d.label)}</b>", f"run {esc(d.run_id)}", f"generator {esc(d.run.get('generator'))}",
             f"settings {esc(shown) or '(none)'}", f"suites {esc(', '.join(d.run.get('suites') or []))}",
             f"seeds {esc(d.run.get('seeds'))}", f"{ok}/{len(d.items)} items ok", esc(d.run.get("status"))]
    return "<p class='runline'>" + " &middot; ".join(parts) + "</p>"


def _skips_html(section) -> str:
    skipped, na = skip_groups(section.data)
    out = [f"<h3>Skipped metrics ({len(skipped)})</h3>" + table_html(skipped)]
    if len(na):
        names = ", ".join(dict.fromkeys(na["metric"]))
        out.append(f"<details><summary>Not applicable by design: {esc(names)} ({int(na['count'].sum())} "
                   "item-metric pairs; not counted against coverage)</summary>" + table_html(na) + "</details>")
    return "".join(out)


def _previews_html(previews) -> str:
    out = ["<h3>Worst cases per metric</h3><p class='muted'>The item furthest on the worse side of each "
           "directed output: evenly spaced frames numbered from t=0, enlarged without smoothing; for a probe "
           "the simulator's truth of the same case and seed is the second row (and plays beside the "
           "generated video in the animation).</p><div class='previews'>"]
    for p in previews:
        gif = _img(p.gif, "image/gif", f"{p.case_id} animation", "preview") if p.gif else ""
        out.append(f"<div class='preview'><b>{esc(p.metric)}</b> = {esc(fmt(p.value))} {esc(p.units)}"
                   f"<br><span class='muted'>{esc(p.case_id)} seed {p.seed}: {esc(p.prompt)}</span>"
                   f"<div class='frames'>{_img(p.strip_png, 'image/png', p.case_id + ' frames', 'preview')}"
                   f"<div>{gif}<span class='muted'>{'generated | truth' if p.has_truth and gif else ''}</span>"
                   "</div></div></div>")
    out.append("</div>")
    return "".join(out)


def render_html(report: Report) -> str:
    out = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
           f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{esc(report.title)}</title>",
           f"<style>{CSS}{CARD_CSS}</style></head><body><h1>{esc(report.title)}</h1>"]
    out += [_run_line(s) for s in report.sections]
    if report.cards:  # the first screen: every dimension beside its reference
        out.append("<h2 id='scorecard'>Scorecard</h2>")
        many = len(report.cards) > 1
        out += [scorecard_html(c, title=c.label if many else "") for c in report.cards]
        if len(report.cards) < len([s for s in report.sections if s.data.run.get("role") != "floor"]):
            out.append("<p class='muted'>The other runs: the summary table below.</p>")
    if report.figures:
        out.append("<h2>Plots</h2>")
        for name, fig in report.figures.items():
            out.append(f"<figure id='fig-{esc(name)}'>{_img(plots.png_bytes(fig), 'image/png', name, 'plot')}"
                       f"<figcaption>{esc(report.captions.get(name, ''))}</figcaption></figure>")
    out.append(f"<h2>Summary</h2><p class='muted'>{esc(SUMMARY_HELP.format(min=MIN_CI_UNITS))}</p>")
    if len(report.sections) > 1:
        out.append("<p class='muted'>One column per run: mean [95 % interval]. Each run's own table "
                   "(with ID/OOD and the floor) is in its section below.</p>" + table_html(report.wide))
    elif report.sections:
        out.append(main_table_html(report.sections[0].main))
    if report.comparisons:
        out.append("<h2>Paired comparisons</h2>" + "".join(comparison_html(c) for c in report.comparisons))
    for s in report.sections:
        d = s.data
        out.append(f"<h2>Run {esc(d.label)} <span class='muted'>({esc(d.run_id)}, {esc(d.run.get('generator'))},"
                   f" {esc(d.run.get('status'))})</span></h2>")
        if len(report.sections) > 1:
            out.append("<h3>Summary</h3>" + main_table_html(s.main))
        failures = failure_groups(d)
        n_failed = int(failures["count"].sum()) if len(failures) else 0
        out.append(f"<h3>Failed items ({n_failed} of {len(d.items)})</h3>" + table_html(failures))
        out.append(_skips_html(s))
        if s.previews:
            out.append(_previews_html(s.previews))
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


def report_label(report: Report) -> str:
    """What a report is named after: the sweep id when all its runs are one sweep's,
    else its first run's label (name, or id)."""
    sweeps = {s.data.run.get("sweep") or "" for s in report.sections}
    if len(report.sections) > 1 and len(sweeps) == 1 and "" not in sweeps:
        return sweeps.pop()
    return report.sections[0].data.label


def write_report(store_path, run_ids: list[str], out: str | Path | None = None, *, previews: bool = True,
                 exports: bool = False, segment_frames: int | None = None) -> Path:
    """Build and write the report of ``run_ids`` (ids, names or 'latest'); ``out``
    defaults to ``report_path`` of ``report_label``; ``segment_frames``: segment length of
    long videos (``reports.segments``; None: its default). Returns the HTML path."""
    with open_store(store_path) as store:
        kw = {} if segment_frames is None else {"segment_frames": int(segment_frames)}
        report = build_report(store, list(run_ids), previews=previews, **kw)
    return save_report(report, out or report_path(store_path, report_label(report)), exports=exports)
