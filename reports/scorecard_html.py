"""The scorecard as the HTML report's first screen: per dimension its value and
interval, a bar against its reference (inline SVG, no script), the reference and the
plain reading. A bar is coloured only where a verdict exists (worse red, better
green, like the reference blue); untested values are grey. Physics rows hold an ID
and an OOD bar. Each row has its own scale (the units differ): linear from 0, or
logarithmic when the row's numbers span two decades or more (marked "log").
"""

from __future__ import annotations

import html

import numpy as np

from vbench_lite.reports.readings import num, value_text
from vbench_lite.reports.scorecard import BOARD_NOTE, Cell, Line, Scorecard, times

BAR_W, BAR_H, GAP = 300, 12, 6  # px: one bar's track, its height, the space between ID and OOD
LABEL_W = 34  # px: "ID" / "OOD" in front of a physics bar
COLOURS = {"worse": "#d64541", "better": "#2e9d57", "same": "#4a7fc1", "": "#c4c4c4"}
CSS = """
table.card{border-collapse:collapse;margin:.3em 0 1em;font-size:.9em}
table.card td,table.card th{border:none;border-bottom:1px solid #eee;padding:.2em .6em;vertical-align:middle}
table.card th{background:none;border-bottom:2px solid #ccc}table.card td.v{white-space:nowrap;
 font-variant-numeric:tabular-nums;text-align:right}table.card td.r{max-width:26em}
table.card tr.block td{border-top:2px solid #ccc}.cardnote{font-size:.85em;color:#555;margin:.2em 0}
.key span{display:inline-block;width:.9em;height:.9em;margin:0 .25em 0 .8em;vertical-align:-.1em}
table.card td.bar{width:30%}table.card td.bar svg{max-width:100%;height:auto;display:block}
table.card .nw{white-space:nowrap}@media (max-width:1000px){table.card{font-size:.8em}}
"""


def esc(x) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _scale(cells: list[Cell]):
    """x(value) -> px for one row, and whether it is logarithmic."""
    vals = np.array([v for c in cells for v in (c.mean, c.low, c.high, c.ref) if np.isfinite(v)], float)
    if vals.size == 0:
        return (lambda v: 0.0), False
    pos = vals[vals > 0]
    if pos.size == vals.size and pos.size and pos.max() / pos.min() >= 100:
        lo, hi = np.log10(pos.min() / 1.5), np.log10(pos.max() * 1.5)
        return (lambda v: BAR_W * (np.log10(max(v, 10 ** lo)) - lo) / (hi - lo)), True
    lo = min(0.0, float(vals.min()))
    hi = float(vals.max()) * 1.15 or 1.0
    return (lambda v: BAR_W * (v - lo) / (hi - lo)), False


def bars_svg(line: Line) -> str:
    """One bar per cell (ID above OOD for physics): the value as a bar, its interval as
    a whisker, the reference as a black tick."""
    cells = list(line.cells.items())
    x, log = _scale([c for _, c in cells])
    labelled = len(cells) > 1
    off = LABEL_W if labelled else 0
    h = len(cells) * (BAR_H + GAP) + GAP
    w_all = BAR_W + off + 30
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{w_all}" height="{h}" viewBox="0 0 {w_all} {h}" '
              f'role="img" aria-label="{esc(line.dimension)}">')]
    for k, (split, c) in enumerate(cells):
        y = GAP + k * (BAR_H + GAP)
        if labelled:
            parts.append(f'<text x="0" y="{y + BAR_H - 2}" font-size="11" fill="#555">{esc(split.upper())}</text>')
        parts.append(f'<rect x="{off}" y="{y}" width="{BAR_W}" height="{BAR_H}" fill="#f3f3f3"/>')
        if np.isfinite(c.mean):
            w = max(1.0, x(c.mean))
            parts.append(f'<rect class="bar {c.verdict or "untested"}" x="{off}" y="{y}" width="{w:.1f}" '
                         f'height="{BAR_H}" fill="{COLOURS[c.verdict]}"/>')
        if np.isfinite(c.low) and np.isfinite(c.high):
            a, b = off + x(c.low), off + x(c.high)
            ym = y + BAR_H / 2
            parts.append(f'<path d="M{a:.1f} {ym}H{b:.1f}M{a:.1f} {y + 2}V{y + BAR_H - 2}M{b:.1f} {y + 2}'
                         f'V{y + BAR_H - 2}" stroke="#333" stroke-width="1.2" fill="none"/>')
        if np.isfinite(c.ref):
            r = off + x(c.ref)
            parts.append(f'<path class="ref" d="M{r:.1f} {y - 3}V{y + BAR_H + 3}" stroke="#000" stroke-width="2.5"/>')
    if log:
        parts.append(f'<text x="{BAR_W + off + 4}" y="{h - 4}" font-size="10" fill="#777">log</text>')
    parts.append("</svg>")
    return "".join(parts)


def scorecard_html(card: Scorecard, *, title: str = "") -> str:
    """The scorecard table with its reference line, key and pooling note."""
    ref_col = "oracle" if card.ref_name == "the oracle" else "reference"
    has_ref = bool(card.ref_name)
    head = "<tr><th>dimension</th><th>value [95% interval]</th><th></th>" + \
        (f"<th>{ref_col}</th><th>reading</th>" if has_ref else "") + "</tr>"
    rows, last_kind = [], None
    for ln in card.lines:
        physics = ln.kind == "physics"
        vals = "<br>".join(f"<span class='nw'>{esc(k.upper() + ' ') if physics else ''}{esc(value_text(c))}</span>"
                           for k, c in ln.cells.items())
        if physics and np.isfinite(ln.ood_id):
            vals += f"<br><span class='muted'>OOD/ID {esc(times(ln.ood_id))}</span>"
        refs = "<br>".join(esc(num(c.ref)) for c in ln.cells.values())
        cls = " class='block'" if last_kind is not None and physics and last_kind != "physics" else ""
        last_kind = ln.kind
        rows.append(f"<tr{cls}><td><b>{esc(ln.dimension)}</b><br><span class='muted'>{esc(ln.units)}; "
                    f"{esc(ln.direction if ln.direction != '-' else 'no better side')}"
                    f"{' is better' if ln.direction != '-' else ''}</span></td><td class='v'>{vals}</td>"
                    f"<td class='bar'>{bars_svg(ln)}</td>"
                    + (f"<td class='v'>{refs}</td><td class='r'>{esc(ln.reading)}</td>" if has_ref else "")
                    + "</tr>")
    key = ("<p class='cardnote key'>bar: the value; whisker: its 95% interval; black tick: the reference."
           + "".join(f"<span style='background:{COLOURS[v]}'></span>{w}" for v, w in
                     (("worse", "worse"), ("better", "better"), ("same", "like the reference"),
                      ("", "not tested (fewer than 5 cases, or no better side)"))) + "</p>")
    pooling = f"<p class='cardnote'>{esc(card.pooling)}</p>" if card.pooling else ""
    if any(np.isfinite(ln.board) for ln in card.lines):
        pooling += f"<p class='cardnote'>{esc(BOARD_NOTE)}</p>"
    caption = f"<h3>{esc(title)}</h3>" if title else ""
    return (f"{caption}<p class='cardnote'><b>{esc(card.reference)}</b></p><table class='card'><thead>{head}"
            f"</thead><tbody>{''.join(rows)}</tbody></table>{key}{pooling}")
