"""The motion-vs-error front of a sweep, drawn only where differences are real.

Each setting of a sweep is a point: x = its mean motion (``motion_px``), y = its mean
error (``warping_error`` or ``flicker``), directions read from the runs'
declarations. Two settings are *distinguishable* when the paired bootstrap interval
(``stats.paired_diff``, 95 %) of their difference excludes 0 on at least one axis,
over the (case, seed) items both scored; resampling whole cases, or seeds when the
sweep has a single case (``pick``). With fewer than ``stats.MIN_CI_UNITS`` units
there is no interval, so nothing is distinguishable. The intervals are per pair, not
corrected for the number of pairs: the front is a picture, not a verdict.

A setting is on the front unless another one is significantly better on one axis
and not significantly worse on the other. Front points that are not distinguishable
from each other are marked "not distinguishable" and no front line joins them; when
no two settings are distinguishable, no front is drawn at all and the sentence says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import pandas as pd
from vbench_lite.reports.data import RunData, declared_outputs
from vbench_lite.reports.stats import mean_ci, paired_diff

from vbench_lite.store import SET_CASE_ID

KEYS = ["case_id", "seed"]
RESAMPLES = 1000  # per pair and axis: a picture's test (stats.TABLE_RESAMPLES), N^2 of them in a sweep


@dataclass
class Front:
    """The analysis of one (x, y) pair of outputs over a sweep's settings (``labels``)."""

    x_name: str
    y_name: str
    labels: list[str]
    x: np.ndarray  # (N,) means
    y: np.ndarray  # (N,)
    x_ci: np.ndarray  # (N, 2) 95 % intervals (NaN: none)
    y_ci: np.ndarray  # (N, 2)
    distinct: np.ndarray  # (N, N) bool: the pair differs significantly on x or y
    on_front: np.ndarray  # (N,) bool
    units: str = ""  # "cases" or "seeds": what was resampled
    better: np.ndarray | None = None  # (N, N) bool: j significantly better than i on some axis
    notes: list[str] = field(default_factory=list)

    def dominators(self, i: int) -> list[int]:
        """Settings significantly better than ``i`` on one axis and not worse on the other."""
        if self.better is None:
            return []
        return [j for j in range(len(self.labels)) if self.better[i, j] and not self.better[j, i]]

    def indistinct(self, i: int) -> list[int]:
        """Other front points ``i`` cannot be told apart from."""
        return [j for j in np.flatnonzero(self.on_front) if j != i and not self.distinct[i, j]]

    @property
    def segments(self) -> list[tuple[int, int]]:
        """Front points joined by the front line: neighbours along x that are distinguishable."""
        order = [int(i) for i in np.flatnonzero(self.on_front)]
        order.sort(key=lambda i: self.x[i])
        return [(a, b) for a, b in pairwise(order) if self.distinct[a, b]]

    def sentences(self) -> list[str]:
        """What the front says, in words."""
        n = len(self.labels)
        if n < 2:
            return []
        if not self.distinct.any():
            return [(f"not distinguishable: no two of the {n} settings differ in {self.x_name} or {self.y_name} "
                     f"beyond their 95% intervals (paired bootstrap over {self.units}); no front drawn.")]
        front = [self.labels[i] for i in np.flatnonzero(self.on_front)]
        out = [f"front ({self.x_name} vs {self.y_name}): {', '.join(front)}"]
        pairs = sorted({tuple(sorted((int(i), int(j)))) for i in np.flatnonzero(self.on_front)
                        for j in self.indistinct(int(i))})
        if pairs:
            out.append("not distinguishable on it: " + "; ".join(f"{self.labels[a]} ~ {self.labels[b]}"
                                                                   for a, b in pairs))
        return out


def _values(d: RunData, output: str) -> pd.DataFrame:
    sc = d.scores[(d.scores["metric"] == output) & (d.scores["case_id"] != SET_CASE_ID)]
    return sc[np.isfinite(sc["value"])][[*KEYS, "value"]]


def _interval(v: pd.DataFrame, single_case: bool) -> tuple[float, float, float]:
    if v.empty:
        return np.nan, np.nan, np.nan
    ci = mean_ci(v["value"].to_numpy(), clusters=None if single_case else v["case_id"].to_numpy())
    return ci.mean, ci.low, ci.high


def _significant(a: pd.DataFrame, b: pd.DataFrame, single_case: bool, confidence: float) -> tuple[bool, float]:
    """(interval of b - a excludes 0, mean difference) over shared items."""
    m = a.merge(b, on=KEYS, suffixes=("_a", "_b"))
    if len(m) < 2:
        return False, np.nan
    d = paired_diff(m["value_a"].to_numpy(), m["value_b"].to_numpy(), n_resamples=RESAMPLES,
                    clusters=None if single_case else m["case_id"].to_numpy(), confidence=confidence)
    if not (np.isfinite(d.low) and np.isfinite(d.high)):
        return False, d.mean
    return not (d.low <= 0 <= d.high), d.mean


def _pair_tests(vals: list[pd.DataFrame], single: bool, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """(significant, mean difference j - i), each (N, N), for one output over every pair."""
    n = len(vals)
    sig, diff = np.zeros((n, n), bool), np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            g, d = _significant(vals[i], vals[j], single, confidence)
            sig[i, j] = sig[j, i] = g
            diff[i, j], diff[j, i] = d, -d
    return sig, diff


def analyse(runs: list[RunData], labels: list[str], x_name: str = "motion_px", y_name: str = "warping_error",
            *, confidence: float = 0.95, cache: dict | None = None) -> Front | None:
    """The front of ``runs`` (one per setting) on (x_name, y_name); None when an
    output is missing everywhere or ``y_name`` declares no direction. ``cache``:
    output -> pair tests, shared between calls on the same runs (the x axis)."""
    vals_x = [_values(d, x_name) for d in runs]
    vals_y = [_values(d, y_name) for d in runs]
    if all(v.empty for v in vals_x) or all(v.empty for v in vals_y):
        return None
    decl = pd.concat([declared_outputs(d.run) for d in runs])
    decl = decl[~decl.index.duplicated()]
    hib_y = decl["higher_is_better"].get(y_name, np.nan)
    if not np.isfinite(hib_y):
        return None
    hib_x = decl["higher_is_better"].get(x_name, np.nan)
    sx = 1.0 if not np.isfinite(hib_x) or hib_x else -1.0  # motion has no direction: more is the knob's aim
    sy = 1.0 if hib_y else -1.0
    single = max(len(set(v["case_id"])) for v in vals_x + vals_y) == 1
    xs = np.array([_interval(v, single) for v in vals_x])  # (N, 3)
    ys = np.array([_interval(v, single) for v in vals_y])  # (N, 3)
    cache = {} if cache is None else cache
    for name, vals in ((x_name, vals_x), (y_name, vals_y)):
        if name not in cache:
            cache[name] = _pair_tests(vals, single, confidence)
    (gx, dx), (gy, dy) = cache[x_name], cache[y_name]
    distinct = gx | gy
    np.fill_diagonal(distinct, False)
    # better[i, j]: j is significantly better than i on some axis
    better = (gx & (sx * dx > 0)) | (gy & (sy * dy > 0))
    ok = np.isfinite(xs[:, 0]) & np.isfinite(ys[:, 0])
    # j dominates i: significantly better on one axis, not significantly worse on the other
    dominated = (better & ~better.T & ok[None, :]).any(axis=1)
    return Front(x_name, y_name, list(labels), xs[:, 0], ys[:, 0], xs[:, 1:], ys[:, 1:], distinct,
                 ~dominated & ok, units="seeds" if single else "cases", better=better)


def sweep_fronts(runs: list[RunData], labels: list[str], y_outputs=("warping_error", "flicker")) -> dict:
    """y output -> ``Front`` of a sweep's runs (motion vs each error); {} for one run."""
    if len(runs) < 2:
        return {}
    cache: dict = {}  # the motion axis is tested once for both panels
    fronts = {y: analyse(runs, labels, "motion_px", y, cache=cache) for y in y_outputs}
    return {y: f for y, f in fronts.items() if f is not None}
