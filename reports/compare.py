"""Paired comparison of two runs over the same cases and seeds.

How a verdict is made (README, "How verdicts are made"):

* **Pairing.** Items are joined on (case_id, seed) over the items both runs planned.
  For each output, the *relevant* items are those where at least one run has a
  finite value (an output that applies to one scenario only is not expected
  elsewhere). ``mean_a``, ``mean_b`` and ``diff`` = mean(B - A) use the items both
  runs scored, with a paired bootstrap interval resampling whole cases
  (``stats.paired_diff``).
* **Directions** come from the run's own metric declarations (``data.declared_outputs``).
  Outputs without one (amount of motion, a signed slope) get "higher" / "lower" /
  "no significant change": shown, never judged.
* **Coverage.** An item scored in A but unscorable in B (failed, object never found)
  counts against B: the share of relevant items each run scored is compared with
  the same paired bootstrap. A significantly lower coverage makes the output
  "worse" whatever its mean; and B is never "better" on a mean that leaves out
  items A scored ("no verdict: B lost items"). So a generator that draws nothing,
  the wrong objects, or lets them vanish is never better than a complete one.
* **Motion trade-off.** A clip that moves less trivially flickers and warps less.
  When an output declared ``motion_confounded`` improves while the output declared
  ``measures_motion`` is significantly lower, the verdict is "better, with less
  motion" -- a trade-off for the motion-vs-flicker plot, not an improvement.
* **Multiple comparisons.** Every test (each output's mean and, where items were
  lost or gained, its coverage) is run at level 1 - alpha/m (Bonferroni over the m
  tests), so an unchanged generator is flagged anywhere with probability <= alpha.
  ``correction="none"`` gives plain intervals.

* **Set-level outputs.** One value per run (FVD) is "not tested". A set-level output
  whose metric declares how it is made from the per-video rows it stored (``video_kd``)
  is tested by a bootstrap over the cases both runs scored, recomputing each run's
  value from its rows (``set_stats.paired_set_diff``); it counts as one test.

``item_failed`` (1 for an item that failed, else 0; lower is better) is compared
the same way, so a run that starts failing items is a regression even if the items
that still succeed score well.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from vbench_lite.errors import UserError
from vbench_lite.reports.data import RunData, declared_outputs, direction_word, metric_info
from vbench_lite.reports.set_stats import comparable, paired_set_diff, set_statistics
from vbench_lite.reports.stats import GATE_RESAMPLES, paired_diff
from vbench_lite.store import SET_CASE_ID

BETTER, WORSE, SAME = "better", "worse", "no significant change"
TRADEOFF = "better, with less motion"  # a motion-confounded output improved because the clip moves less
INCOMPLETE = "no verdict: B lost items"  # better on the items scored, but B failed items A scored
CHANGED_UP, CHANGED_DOWN = "higher", "lower"  # significant change of an output with no direction
UNTESTED = "not tested"
FAILED_METRIC = "item_failed"
COLUMNS = ["metric", "units", "direction", "n", "n_items", "coverage_a", "coverage_b", "mean_a", "mean_b",
           "diff", "ci_low", "ci_high", "rel_diff", "cov_diff", "cov_low", "cov_high", "verdict", "basis",
           "note"]
KEYS = ["case_id", "seed"]


def _failure_rows(d: RunData) -> pd.DataFrame:
    f = d.items[KEYS].copy()
    f["metric"] = FAILED_METRIC
    f["value"] = (d.items["status"] != "ok").astype(float)
    return f


def _declarations(a: RunData, b: RunData) -> pd.DataFrame:
    """Per output: B's declaration, else A's, else what the score rows say (old stores)."""
    da, db = declared_outputs(a.run), declared_outputs(b.run)
    decl = pd.concat([db, da[~da.index.isin(db.index)]])
    rows = metric_info(pd.concat([b.scores, a.scores], ignore_index=True))
    extra = rows[~rows.index.isin(decl.index)]
    if len(extra):
        fill = pd.DataFrame({"units": extra["units"], "higher_is_better": extra["higher_is_better"],
                             "motion_confounded": False, "measures_motion": False, "group": "",
                             "source": extra["source"]}, index=extra.index)
        decl = pd.concat([decl, fill])
    decl.loc[FAILED_METRIC] = ["fraction of items", 0.0, False, False, "", "runner"]
    return decl


def paired_frame(a: RunData, b: RunData) -> pd.DataFrame:
    """case_id, seed, metric, a, b over the items both runs planned (ok or failed) and
    the set-level rows; NaN where a run has no finite value. Only outputs with a
    value in at least one run are kept per item (the *relevant* items)."""
    cols = [*KEYS, "metric", "value"]
    sa = pd.concat([a.scores[cols], _failure_rows(a)], ignore_index=True)
    sb = pd.concat([b.scores[cols], _failure_rows(b)], ignore_index=True)
    pairs = sa.merge(sb, on=[*KEYS, "metric"], how="outer", suffixes=("_a", "_b"))
    pairs = pairs.rename(columns={"value_a": "a", "value_b": "b"})
    shared = a.items[KEYS].merge(b.items[KEYS], on=KEYS)
    shared = pd.concat([shared, pd.DataFrame({"case_id": [SET_CASE_ID], "seed": [-1]})], ignore_index=True)
    pairs = pairs.merge(shared, on=KEYS, how="inner")
    return pairs[np.isfinite(pairs["a"]) | np.isfinite(pairs["b"])]


def compare_runs(a: RunData, b: RunData, *, alpha: float = 0.05, correction: str = "bonferroni",
                 n_resamples: int = GATE_RESAMPLES) -> pd.DataFrame:
    """One row per output of either run (see the module docstring for the rules).

    Columns: ``n`` items scored by both, ``n_items`` relevant items, ``coverage_a`` /
    ``coverage_b`` the share of relevant items each run scored, means over the ``n``
    items, ``diff`` = mean(B - A) with its interval, ``rel_diff`` = diff / |mean_a|,
    ``cov_diff`` (coverage B - A) with its interval where items were lost or gained,
    ``verdict``, ``basis`` ("mean" or "coverage": what made a verdict "worse"), note.
    ``df.attrs["confidence"]`` holds the per-test interval level."""
    if not 0 < alpha < 1:
        raise UserError(f"alpha must be between 0 and 1, got {alpha}")
    if correction not in ("bonferroni", "none"):
        raise UserError(f"unknown correction {correction!r}; use 'bonferroni' or 'none'")
    pairs = paired_frame(a, b)
    if pairs[pairs["case_id"] != SET_CASE_ID].empty:
        raise UserError(f"runs {a.label!r} and {b.label!r} share no (case, seed) items; "
                        "compare runs over the same suite and seeds")
    decl = _declarations(a, b)
    groups = {m: _Output(m, g, decl) for m, g in pairs.groupby("metric", sort=True)}
    for o in groups.values():
        o.set_test, o.set_note = _set_test(a, b, o)
    m_tests = sum(o.tests() for o in groups.values())
    m = max(1, m_tests) if correction == "bonferroni" else 1
    confidence = 1 - alpha / m
    for o in groups.values():
        o.test(confidence, n_resamples)
    motion = next((o for o in groups.values() if o.measures_motion), None)
    motion_down = motion is not None and motion.mean_verdict == CHANGED_DOWN
    motion_up = motion is not None and motion.mean_verdict == CHANGED_UP
    rows = [o.row(motion_down, motion_up, motion.name if motion else "") for o in groups.values()]
    df = pd.DataFrame(rows, columns=COLUMNS)
    df.attrs.update(confidence=confidence, alpha=alpha, correction=correction, tested=m_tests,
                    run_a=a.label, run_b=b.label,
                    unpaired_a=_unpaired(a, b), unpaired_b=_unpaired(b, a))
    return df


class _Output:
    """The pairs of one output and its tests."""

    def __init__(self, name: str, g: pd.DataFrame, decl: pd.DataFrame):
        self.name = name
        info = decl.loc[name] if name in decl.index else None
        self.units = "" if info is None else info["units"]
        self.hib = np.nan if info is None else info["higher_is_better"]
        self.directed = self.hib is not None and np.isfinite(self.hib)
        self.confounded = bool(info is not None and info["motion_confounded"])
        self.measures_motion = bool(info is not None and info["measures_motion"])
        self.set_level = bool((g["case_id"] == SET_CASE_ID).all())
        a, b = g["a"].to_numpy(float), g["b"].to_numpy(float)  # (n_items,)
        self.case = g["case_id"].to_numpy()
        self.fa, self.fb = np.isfinite(a), np.isfinite(b)
        both = self.fa & self.fb
        self.a, self.b, self.both_case = a[both], b[both], self.case[both]
        self.lost = int((self.fa & ~self.fb).sum())  # scored in A, not in B
        self.gained = int((~self.fa & self.fb).sum())
        self.mean_verdict, self.cov_verdict = UNTESTED, ""
        self.ci = self.cov = None
        self.set_test, self.set_note = None, ""  # a set-level statistic resampled by case (_set_test)

    def tests(self) -> int:
        """How many tests this output takes part in (for Bonferroni)."""
        mean_test = int((self.a.size >= 2 and not self.set_level) or self.set_test is not None)
        return mean_test + int(self._coverage_tested())

    def _coverage_tested(self) -> bool:
        return self.directed and not self.set_level and (self.lost + self.gained) > 0

    def test(self, confidence: float, n_resamples: int) -> None:
        if self.set_test is not None:
            self.ci = self.set_test(confidence=confidence, n_resamples=n_resamples)
        else:
            self.ci = paired_diff(self.a, self.b, clusters=self.both_case, confidence=confidence,
                                  n_resamples=n_resamples)
        self.mean_verdict = verdict(self.ci.mean, self.ci.low, self.ci.high, self.hib)
        if self._coverage_tested():
            self.cov = paired_diff(self.fa.astype(float), self.fb.astype(float), clusters=self.case,
                                   confidence=confidence, n_resamples=n_resamples)
            self.cov_verdict = verdict(self.cov.mean, self.cov.low, self.cov.high, 1.0)

    def row(self, motion_down: bool, motion_up: bool, motion_name: str) -> dict:
        ci, n_items = self.ci, int(self.fa.size)
        final, basis, notes = self.mean_verdict, "mean" if self.mean_verdict == WORSE else "", []
        if ci.note:
            notes.append(ci.note)
        if self.set_level and self.set_test is None:
            final, notes = UNTESTED, [self.set_note or "set-level score: one value per run, no interval"]
        if self.lost or self.gained:
            notes.append(f"scored {int(self.fa.sum())}/{n_items} items in A, {int(self.fb.sum())}/{n_items} in B")
        if self.directed and not self.set_level:
            if self.cov_verdict == WORSE:
                final, basis = WORSE, "coverage"
            elif final == BETTER and self.lost:
                final = INCOMPLETE
                notes.append(f"B did not score {self.lost} item(s) that A scored")
            elif final == BETTER and self.confounded and motion_down:
                final = TRADEOFF
                notes.append(f"{motion_name} is significantly lower: less motion, not more consistency")
            elif final == WORSE and self.confounded and motion_up:
                notes.append(f"with significantly more motion ({motion_name})")
        cov = self.cov
        mean_a = float(self.a.mean()) if self.a.size else np.nan
        return {
            "metric": self.name, "units": self.units, "direction": direction_word(self.hib), "n": ci.n,
            "n_items": n_items, "coverage_a": float(self.fa.mean()), "coverage_b": float(self.fb.mean()),
            "mean_a": mean_a, "mean_b": float(self.b.mean()) if self.b.size else np.nan,
            "diff": ci.mean, "ci_low": ci.low, "ci_high": ci.high,
            "rel_diff": ci.mean / abs(mean_a) if np.isfinite(mean_a) and mean_a != 0 else np.nan,
            "cov_diff": cov.mean if cov else 0.0, "cov_low": cov.low if cov else np.nan,
            "cov_high": cov.high if cov else np.nan, "verdict": final, "basis": basis,
            "note": "; ".join(notes),
        }


def _set_test(a: RunData, b: RunData, o: _Output):
    """(test, note): a bootstrap over cases for a set-level output both runs scored and
    declare a ``set_statistic`` for (``set_stats.paired_set_diff``), else (None, why not)."""
    declared = set_statistics(a.run).get(o.name) or set_statistics(b.run).get(o.name)
    if not o.set_level or declared is None or o.a.size != 1:
        return None, ""
    why = comparable(a.run, b.run, o.name)
    rows_a, rows_b = a.features.get(declared["metric"]), b.features.get(declared["metric"])
    if why is None and not (rows_a and rows_b):
        why = "a run has no stored per-video rows"
    if why:
        return None, f"set-level score, not compared: {why}"
    return functools.partial(paired_set_diff, a.run, rows_a, b.run, rows_b, o.name), ""


def verdict(diff: float, low: float, high: float, hib: float) -> str:
    """Significant when the interval excludes 0 (a degenerate [d, d] interval with
    d != 0 counts: every pair moved by the same amount)."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return UNTESTED
    if low <= 0 <= high:
        return SAME
    up = diff > 0
    if hib is None or not np.isfinite(hib):
        return CHANGED_UP if up else CHANGED_DOWN
    return BETTER if up == bool(hib) else WORSE


def _unpaired(x: RunData, y: RunData) -> int:
    """Items of ``x`` with no (case_id, seed) partner in ``y``."""
    kx = x.items[KEYS].drop_duplicates()
    return int(len(kx.merge(y.items[KEYS].drop_duplicates(), on=KEYS, how="left", indicator=True)
                   .query("_merge == 'left_only'")))
