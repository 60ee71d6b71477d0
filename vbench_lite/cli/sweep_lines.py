"""What ``sweep`` prints: one line per setting with motion, warping error and flicker
and their 95 % intervals, where it sits on the front (``reports.front``: drawn only
between settings that differ beyond their intervals), and the setting a stated rule
recommends (``reports.pick.pick_setting``, the rule ``pick`` uses) with that rule.
Every output of every run stays behind ``--detail``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vbench_lite.cli.output import WIDTH, _wrap, fixed_width

OUTPUTS = ("motion_px", "warping_error", "flicker")


def num(x: float) -> str:
    return "-" if x is None or not np.isfinite(x) else f"{x:.3g}"


def cell(mean: float, low: float, high: float) -> str:
    if not np.isfinite(mean):
        return "-"
    if np.isfinite(low) and np.isfinite(high):
        return f"{num(mean)} [{num(low)}, {num(high)}]"
    return num(mean)


def front_word(i: int, fronts: dict) -> str:
    """Where setting ``i`` sits: "front", "~#2" (on it, not distinguishable from #2),
    "dominated" (another is at least as good on both axes and significantly better on
    one), for the warping-error front (else flicker's)."""
    f = fronts.get("warping_error") or fronts.get("flicker")
    if f is None:
        return ""
    if not (np.isfinite(f.x[i]) and np.isfinite(f.y[i])):
        return "no score"
    if not f.on_front[i]:
        return "dominated"
    same = f.indistinct(i)
    return "front" if not same else "~" + ",".join(f"#{j + 1}" for j in same[:3]) + ("..." if len(same) > 3 else "")


def sweep_table(summaries: list[pd.DataFrame], fronts: dict, *, width: int = WIDTH) -> list[str]:
    """#, motion_px, warping_error, flicker (mean [95% interval]) and the front column."""
    rows = []
    for i, s in enumerate(summaries):
        t = s.set_index("metric")
        row = {"#": f"#{i + 1}"}
        for o in OUTPUTS:
            if any(o in u["metric"].values for u in summaries):
                row[o] = cell(*(t.loc[o, c] if o in t.index else np.nan for c in ("mean", "ci_low", "ci_high")))
        if fronts:
            row["front"] = front_word(i, fronts)
        rows.append(row)
    return fixed_width(pd.DataFrame(rows), width=width, shrink=("front",))


def recommendation_lines(summaries: list[pd.DataFrame], labels: list[str], fronts: dict, *,
                         rule: str = "tolerance", width: int = WIDTH) -> list[str]:
    """The setting ``rule`` chooses, the rule in words, and whether the choice is
    distinguishable from the settings it was preferred to."""
    from vbench_lite.errors import UserError
    from vbench_lite.reports.pick import Candidate, pick_setting

    def mean(s, o):
        t = s.set_index("metric")
        return float(t.loc[o, "mean"]) if o in t.index else float("nan")

    cands = [Candidate(lab, mean(s, "motion_px"), mean(s, "warping_error")) for s, lab in zip(summaries, labels)]
    try:
        pick = pick_setting(cands, rule)
    except UserError as exc:
        return _wrap(f"no recommendation: {exc}", width)
    lines = []
    for text in list(pick.lines) + caution_lines(pick, fronts.get("warping_error"), labels):
        lines += _wrap(text, width)
    return lines


def caution_lines(pick, front, labels: list[str]) -> list[str]:
    """A sentence when the chosen setting cannot be told apart from others the rule
    chose among (``front``: the motion-vs-warping ``reports.front.Front``)."""
    if front is None:
        return []
    out = []
    same = [labels[j] for j in range(len(labels)) if j != pick.index and not front.distinct[pick.index, j]
            and j in pick.within]
    if same:
        out.append(f"caution: {labels[pick.index]} is not distinguishable from {', '.join(same[:4])}"
                   f"{' ...' if len(same) > 4 else ''} (95% paired intervals over {front.units}): the data cannot "
                   "tell them apart; more seeds or cases would decide it.")
    better = front.dominators(pick.index)
    if better:
        out.append(f"caution: {labels[pick.index]} is off the front: {', '.join(labels[j] for j in better[:3])} "
                   f"{'is' if len(better) == 1 else 'are'} significantly better on {front.x_name} or "
                   f"{front.y_name} and not worse on the other (95% paired intervals over {front.units}).")
    return out


def sweep_lines(summaries: list[pd.DataFrame], labels: list[str], fronts: dict, *, width: int = WIDTH) -> list[str]:
    """The default sweep summary under the runs' lines (#1 run ID NAME): the table, the
    front sentences and the recommendation."""
    out = [""] + sweep_table(summaries, fronts, width=width) + [""]
    if len(fronts) > 1 and not any(f.distinct.any() for f in fronts.values()):
        f = next(iter(fronts.values()))
        names = [f.x_name, *fronts]
        out += _wrap(f"not distinguishable: no two of the {len(labels)} settings differ in {', '.join(names[:-1])} "
                     f"or {names[-1]} beyond their 95% intervals (paired bootstrap over {f.units}); no front drawn.",
                     width)
    else:
        for f in fronts.values():
            for text in f.sentences():
                out += _wrap(text, width)
    out += recommendation_lines(summaries, labels, fronts, width=width)
    return out
