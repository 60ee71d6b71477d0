"""Plain readings of a value against its reference point (``reports.scorecard``): the
ratio in words ("within 2x the oracle", "86x", "61% of") and the verdict word from an
interval of the difference ("worse", "better", "same"; none without an interval).
Undirected outputs get a ratio, never a verdict."""

from __future__ import annotations

import numpy as np

ZERO = 1e-12  # a reference this close to 0 (relative to the value) is 0: e.g. the oracle's MMD^2 (2e-16)
WITHIN = 2.0  # "within 2x the reference": the ratio below which a reading stops quoting a number


def num(x: float, digits: int = 3) -> str:
    """A number in ``digits`` significant digits, exponents without padding ("1.7e4")."""
    if x is None or not np.isfinite(x):
        return "-"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        text = f"{mant}e{int(exp)}"
    return text


def value_text(cell, digits: int = 3) -> str:
    """"mean [low, high]", or "mean (3 cases)" where too few cases give no interval;
    numbers in ``digits`` significant digits (the terminal's and the HTML card's)."""
    if not cell.n:
        return "no values"
    if np.isfinite(cell.low) and np.isfinite(cell.high):
        return f"{num(cell.mean, digits)} [{num(cell.low, digits)}, {num(cell.high, digits)}]"
    if "all values equal" in cell.note:
        return f"{num(cell.mean, digits)} (all equal)"
    if cell.cases:
        return f"{num(cell.mean, digits)} ({cell.cases} case{'s' if cell.cases != 1 else ''})"
    return num(cell.mean, digits)  # a set-level value without a standard error


def ratio_text(mean: float, ref: float, hib) -> str:
    """The value against its reference in a few words, '' when no ratio applies:
    lower-is-better "within 2x" / "86x" / "0.5x"; higher-is-better "61% of";
    undirected "0.77x"."""
    if not (np.isfinite(mean) and np.isfinite(ref)):
        return ""
    if abs(ref) <= ZERO * max(abs(mean), 1.0):  # a floating-point zero: no ratio to it
        ref = 0.0
    if ref == 0:
        return "equal to" if mean == 0 else ""
    r = mean / ref
    if hib == 1.0 and ref > 0:
        return f"{r:.0%} of"
    if 1.0 < r <= WITHIN and hib == 0.0:
        return f"within {WITHIN:g}x"
    return times(r)


def times(r: float) -> str:
    """A ratio as "0.77x", "86x", "420x", "1.1e5x"."""
    if abs(r) >= 1e4:
        return f"{r:.1e}x".replace("e+0", "e").replace("e+", "e")
    return f"{r:.2g}x" if abs(r) < 100 else f"{r:.0f}x"


def verdict_of(low: float, high: float, diff: float, hib) -> str:
    """From an interval of run - reference: "worse"/"better" when it excludes 0 on a
    side (only for directed outputs), "same" when it holds 0, "" without one."""
    if not (np.isfinite(low) and np.isfinite(high)) or not (hib == 0.0 or hib == 1.0):
        return ""
    if low <= 0 <= high:
        return "same"
    return "better" if (diff > 0) == (hib == 1.0) else "worse"


def reading(line, hib, ref_name: str) -> str:
    """The line's plain reading (see the module docstring)."""
    if not ref_name:
        return ""
    cells = line.cells
    parts = [ratio_text(c.mean, c.ref, hib) for c in cells.values()]
    if not any(parts) and not any(np.isfinite(c.ref) for c in cells.values()):
        return f"no value of {ref_name}"
    if all(p == "equal to" for p in parts):
        return f"equal to {ref_name}"  # e.g. both 0: nothing to test or to ratio
    if any(np.isfinite(c.ref) and abs(c.ref) <= ZERO and c.mean != 0 for c in cells.values()) and not all(parts):
        text = f"{ref_name} scores 0"
    else:
        undirected = not (hib == 0.0 or hib == 1.0)
        tail = f" {ref_name}" + ("'s; no better side" if undirected else "")
        shown = [p.replace(" of", "").replace("within ", "<") if len(parts) > 1 else p for p in parts]
        joined = "/".join(s or "-" for s in shown)
        of = " of" if len(parts) > 1 and any(p.endswith(" of") for p in parts) else ""
        text = f"{joined}{of}{tail}"
    tested = {k: c.verdict for k, c in cells.items() if c.verdict}
    if not tested:
        return text
    words = set(tested.values())
    if len(words) == 1 and len(tested) == len(cells):
        word = words.pop()
        return f"like {ref_name}: {text}" if word == "same" else f"{word}: {text}"
    lead = ", ".join(f"{k.upper()} {'like' if v == 'same' else v}" for k, v in tested.items())
    return f"{lead}: {text}"
