"""Pick-the-knob: which setting of a sweep to keep, by a stated rule.

``pick_setting(candidates, rule, tolerance)`` is a pure function of each setting's
amount of motion (``motion_px``) and warping error (``warping_error``, lower is
better); ``vbench-lite pick`` feeds it the scores the runner stored. Rules:

``tolerance`` (default)  the most motion whose warping error stays within
                         ``tolerance`` (relative) of the warping error of the
                         stillest setting: limit = stillest's error x (1 + tolerance),
                         a value exactly at the limit counts as within
``stillest``             the least motion
``most-motion``          the most motion, whatever its warping error
``least-warping``        the lowest warping error

Ties are broken the same way everywhere: equal motion -> the lower warping error;
equal warping error -> the more motion; all equal -> the first in sweep order.
"The stillest setting" is the one with least motion (same tie rule), so when every
setting moves equally the tolerance rule keeps the lowest warping error. A setting
without both scores (its item failed, a metric skipped) is left out and named; when
none has both, ``UserError`` says why for each.

``pick_figure`` draws the motion-vs-warping plot of the sweep (the ``sweep``
command's ``plots.tradeoff_figure``) with the chosen setting ringed and the
tolerance limit as a dashed line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from vbench_lite.errors import UserError

RULES = {
    "tolerance": "the most motion whose warping error stays within {tol} of the stillest setting's",
    "stillest": "the least motion",
    "most-motion": "the most motion, whatever its warping error",
    "least-warping": "the lowest warping error",
}
DEFAULT_RULE = "tolerance"
DEFAULT_TOLERANCE = 0.25
_EDGE = 1e-9  # relative slack so a warping error exactly at the limit (in decimal) counts as within


@dataclass(frozen=True)
class Candidate:
    """One setting of the sweep: its label ("motion_bucket_id=127"), mean motion
    (px/frame) and warping error; NaN for a score it lacks, with ``missing`` saying why."""

    label: str
    motion: float
    warping: float
    missing: str = ""

    @property
    def usable(self) -> bool:
        return _finite(self.motion) and _finite(self.warping)


@dataclass(frozen=True)
class Pick:
    """The chosen candidate (``index``) and why: ``lines`` are sentences for people."""

    index: int
    rule: str
    tolerance: float | None  # the tolerance rule's, else None
    reference: int | None  # the stillest setting the tolerance is measured from
    limit: float | None  # its warping error x (1 + tolerance)
    within: tuple[int, ...]  # candidates the rule chose among (within the limit for "tolerance")
    excluded: tuple[int, ...]  # candidates without both scores
    lines: tuple[str, ...]

    @property
    def reason(self) -> str:
        return " ".join(self.lines)


def rule_text(rule: str, tolerance: float = DEFAULT_TOLERANCE) -> str:
    """The rule in words, e.g. "the most motion whose warping error stays within 25% of ..."."""
    check_rule(rule, tolerance)
    return RULES[rule].format(tol=f"{tolerance:.0%}" if tolerance * 100 == round(tolerance * 100)
                              else f"{tolerance * 100:g}%")


def check_rule(rule: str, tolerance: float) -> None:
    if rule not in RULES:
        raise UserError(f"--rule {rule!r}: choose one of {', '.join(RULES)}")
    if not (isinstance(tolerance, (int, float)) and math.isfinite(tolerance) and tolerance >= 0):
        raise UserError(f"--tolerance {tolerance!r}: give a relative tolerance >= 0 (0.25 = within 25%)")


def _finite(x) -> bool:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def _num(x: float) -> str:
    return f"{x:.4g}"


def _stillest_key(c: Candidate, i: int):
    return (c.motion, c.warping, i)


def _most_motion_key(c: Candidate, i: int):
    return (-c.motion, c.warping, i)


def _least_warping_key(c: Candidate, i: int):
    return (c.warping, -c.motion, i)


def pick_setting(candidates: list[Candidate], rule: str = DEFAULT_RULE,
                 tolerance: float = DEFAULT_TOLERANCE) -> Pick:
    """The candidate ``rule`` chooses (see the module docs), with the reason."""
    check_rule(rule, tolerance)
    if not candidates:
        raise UserError("nothing to pick from: the sweep has no settings")
    usable = [i for i, c in enumerate(candidates) if c.usable]
    excluded = tuple(i for i in range(len(candidates)) if i not in usable)
    if not usable:
        why = "; ".join(f"{c.label}: {c.missing or _missing_scores(c)}" for c in candidates)
        raise UserError(f"no setting has both a motion_px and a warping_error score, so none can be picked ({why})")
    lines = [f"rule: {rule_text(rule, tolerance)} (--rule {rule}"
             + (f" --tolerance {tolerance:g})." if rule == "tolerance" else ").")]
    if excluded:
        lines.append("left out (no score): " + "; ".join(
            f"{candidates[i].label} ({candidates[i].missing or _missing_scores(candidates[i])})" for i in excluded)
            + ".")
    c = candidates
    reference = limit = None
    within = tuple(usable)
    if rule == "stillest":
        index = min(usable, key=lambda i: _stillest_key(c[i], i))
        lines.append(f"chosen: {c[index].label}, the least motion ({_num(c[index].motion)} px/frame; "
                     f"warping error {_num(c[index].warping)}).")
    elif rule == "most-motion":
        index = min(usable, key=lambda i: _most_motion_key(c[i], i))
        lines.append(f"chosen: {c[index].label}, the most motion ({_num(c[index].motion)} px/frame; "
                     f"warping error {_num(c[index].warping)}).")
    elif rule == "least-warping":
        index = min(usable, key=lambda i: _least_warping_key(c[i], i))
        lines.append(f"chosen: {c[index].label}, the lowest warping error ({_num(c[index].warping)}; "
                     f"motion {_num(c[index].motion)} px/frame).")
    else:
        reference = min(usable, key=lambda i: _stillest_key(c[i], i))
        ref = c[reference]
        limit = ref.warping * (1.0 + tolerance)
        within = tuple(i for i in usable if c[i].warping <= limit + _EDGE * max(abs(limit), 1e-12))
        index = min(within, key=lambda i: _most_motion_key(c[i], i))
        lines.append(f"stillest: {ref.label} (motion {_num(ref.motion)} px/frame, warping error "
                     f"{_num(ref.warping)}), so the limit is {_num(ref.warping)} x {1 + tolerance:g} = "
                     f"{_num(limit)}.")
        lines += _tolerance_verdict(c, index, reference, within, usable, limit)
    return Pick(index=index, rule=rule, tolerance=tolerance if rule == "tolerance" else None,
                reference=reference, limit=limit, within=within, excluded=excluded, lines=tuple(lines))


def _missing_scores(c: Candidate) -> str:
    gone = [n for n, v in (("motion_px", c.motion), ("warping_error", c.warping)) if not _finite(v)]
    return "no " + " and no ".join(gone) if gone else "no scores"


def _change(w: float, ref: float) -> str:
    if ref == 0:
        return "" if w == 0 else " (the stillest has 0)"
    return f" ({(w - ref) / ref:+.0%})"


def _tolerance_verdict(c, index, reference, within, usable, limit) -> list[str]:
    ref = c[reference]
    chosen = c[index]
    if all(c[i].motion == ref.motion for i in usable):
        return [f"chosen: {chosen.label}: every setting gave the same motion ({_num(ref.motion)} px/frame), "
                f"so the lowest warping error ({_num(chosen.warping)})."]
    if index == reference:
        text = f"chosen: {chosen.label}, the stillest itself: no setting with more motion stays within the limit"
    else:
        text = (f"chosen: {chosen.label}: the most motion ({_num(chosen.motion)} px/frame) with warping error "
                f"{_num(chosen.warping)}{_change(chosen.warping, ref.warping)}, within the limit")
    over = sorted((i for i in usable if i not in within and c[i].motion > chosen.motion),
                  key=lambda i: c[i].motion)
    if over:
        shown = over[:3]
        text += "; " + ", ".join(f"{c[i].label} moves more ({_num(c[i].motion)}) but its warping error "
                                 f"{_num(c[i].warping)}{_change(c[i].warping, ref.warping)} is over it"
                                 for i in shown)
        if len(over) > len(shown):
            text += f" (and {len(over) - len(shown)} more)"
    return [text + "."]


def pick_figure(summaries, labels: list[str], pick: Pick, fronts: dict | None = None):
    """``plots.tradeoff_figure`` of the sweep (motion vs warping error and flicker)
    with the chosen setting ringed and, for the tolerance rule, the limit drawn on the
    warping panel. None when no run has a motion output. ``fig.vbench_data["pick"]``
    holds what was marked."""
    from vbench_lite.reports.plots import tradeoff_figure

    fig = tradeoff_figure(summaries, labels, fronts=fronts)
    if fig is None:
        return None
    from matplotlib.lines import Line2D

    fig.legends[0].remove()  # redrawn below with the chosen setting and the limit added
    handles, names = list(fig.vbench_legend.values()), list(fig.vbench_legend)
    ys = list(fig.vbench_data)
    for ax, y_name in zip(fig.axes, ys):
        pts = fig.vbench_data[y_name]
        x, y = pts["x"].iloc[pick.index], pts["y"].iloc[pick.index]
        if _finite(float(x)) and _finite(float(y)):
            ax.plot([x], [y], "o", ms=18, mfc="none", mec="k", mew=2)
        if y_name == "warping_error" and pick.limit is not None:
            ax.axhline(pick.limit, color="0.3", ls="--", lw=1)
    handles.append(Line2D([], [], marker="o", ms=12, mfc="none", mec="k", mew=2, ls="none"))
    names.append(f"chosen: {labels[pick.index]}")
    if pick.limit is not None:
        handles.append(Line2D([], [], color="0.3", ls="--", lw=1))
        names.append(f"warping limit: stillest x {1 + (pick.tolerance or 0):g}")
    rows = -(-len(handles) // 3)
    fig.set_figheight(4.2 + 0.2 * rows)
    fig.legend(handles, names, loc="lower center", ncol=min(3, len(handles)), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, (0.08 + 0.2 * rows) / fig.get_figheight(), 1, 1))
    fig.vbench_data["pick"] = {"index": pick.index, "label": labels[pick.index], "limit": pick.limit,
                               "rule": pick.rule}
    return fig
