"""The scorecard in a 100-column terminal (``reports.scorecard`` builds it): what bare
``run``, ``eval`` and ``report`` print. One line per dimension with its value, 95 %
interval (or the case count where there are too few cases for one), the reference
point and a plain reading; physics dimensions show ID and OOD side by side with the
OOD/ID ratio. Every full table stays behind ``--detail`` and ``--format json``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vbench_lite.cli.output import WIDTH, _wrap, clip, fixed_width
from vbench_lite.reports.readings import num, value_text

MORE = "Every output with units, coverage and per-video values: --detail, --format json, the HTML report."


def card_lines(card, *, width: int = WIDTH) -> list[str]:
    """The scorecard's own lines: its reference line, then the temporal/set block and
    the physics block (each only when it has lines)."""
    has_ref = bool(card.ref_name)
    ref_col = "oracle" if card.ref_name == "the oracle" else "reference"
    flat = [ln for ln in card.lines if ln.kind != "physics"]
    phys = [ln for ln in card.lines if ln.kind == "physics"]
    out = [clip(card.reference, width)]
    if flat:
        rows = [{"dimension": ln.dimension, "value [95% interval]": value_text(ln.cells[""]),
                 ref_col: num(ln.cells[""].ref), "reading": ln.reading or _undirected(ln)} for ln in flat]
        df = pd.DataFrame(rows)
        if not has_ref:
            df = df.drop(columns=[ref_col])
        out += [""] + _fit(df, card, ref_col, width=width)
    if phys:
        rows = []
        for ln in phys:
            i, o = ln.cells.get("id"), ln.cells.get("ood")
            row = {"physics": ln.dimension, "ID [95% interval]": value_text(i, 2) if i else "-",
                   "OOD [95% interval]": value_text(o, 2) if o else "-",
                   "OOD/ID": times(ln.ood_id) if np.isfinite(ln.ood_id) else "-"}
            if has_ref:  # ID/OOD
                row[ref_col] = "/".join(num(c.ref, 2) for c in (i, o) if c is not None)
            row["reading"] = ln.reading
            rows.append(row)
        out += [""] + _fit(pd.DataFrame(rows), card, ref_col, width=width, right={"OOD/ID", ref_col})
    return out


def _fit(df: pd.DataFrame, card, ref_col: str, *, width: int, right=()) -> list[str]:
    """The table in ``width`` columns; when the readings do not fit, they drop the
    reference's name (the column header says it: "vs oracle") before anything is cut."""
    lines = fixed_width(df, width=10_000, right=right)
    if "reading" in df.columns and max(map(len, lines)) > width and card.ref_name:
        name = card.ref_name
        short = [r.replace(f"{name} scores 0", f"{ref_col} is 0").replace(f" of {name}", "")
                 .replace(f" {name}'s", "").replace(f" {name}", "").replace(f"like {name}", "like")
                 for r in df["reading"]]
        df = df.assign(reading=short).rename(columns={"reading": f"vs {ref_col}"})
        return fixed_width(df, width=width, right=right, shrink=(f"vs {ref_col}",))
    return fixed_width(df, width=width, right=right, shrink=("reading",))


def _undirected(line) -> str:
    return "no better side" if line.direction == "-" else ""


def times(r: float) -> str:
    from vbench_lite.reports.scorecard import times as t

    return t(r)


def legend_lines(cards, *, width: int = WIDTH) -> list[str]:
    """What the columns mean, how physics pools its outputs, where the rest is."""
    from vbench_lite.reports.stats import MIN_CI_UNITS

    text = (f"95% interval: bootstrap over cases; below {MIN_CI_UNITS} cases none (the count instead). "
            "Verdicts (worse, better, like) come from a bootstrap of the difference to the reference; "
            "a ratio alone is not one.")
    lines = _wrap(text, width)
    if any(np.isfinite(ln.board) for c in cards for ln in c.lines):
        from vbench_lite.reports.scorecard import BOARD_NOTE

        lines += _wrap(BOARD_NOTE, width)
    pooling = next((c.pooling for c in cards if c.pooling), "")
    if pooling:
        lines += _wrap(pooling, width)
    return lines + _wrap(MORE, width)


def run_card_lines(v, *, width: int = WIDTH) -> list[str]:
    """One run by default: its header, scorecard and one line per reason something
    gave no number (``cli.output.reason_lines``)."""
    from vbench_lite.cli.output import header, reason_lines

    notes = reason_lines(v, width=width) + [clip(f"warning: {w}", width) for w in v.warnings]
    return [clip(header(v), width + 1)] + card_lines(v.card, width=width) + ([""] + notes if notes else [])
