"""Paired comparison of two runs over the same cases and seeds.

For each output, items are joined on (case_id, seed); the difference ``B - A`` is
averaged and a paired bootstrap interval is put around it (``stats.paired_diff``),
resampling whole cases (all seeds of a case together, see ``stats``).
Pairing removes the case-to-case spread (some prompts are simply harder), which is
what lets a nightly check see a real 2 % shift without crying wolf on noise.

Multiple comparisons: a report compares ~10-30 outputs at once, so with plain 95 %
intervals one of them would look "significant" by chance most nights. We use a
Bonferroni correction: with m tested outputs every interval is at level
1 - alpha/m, so the chance that *any* output of an unchanged generator is flagged is
at most alpha (family-wise error rate). It is conservative, simple to explain, and
needs no p-values; the gate's practical thresholds (``gate.py``) add a second guard.
``correction="none"`` gives plain per-output intervals.

Besides the metric outputs, ``item_failed`` (1 for an item that failed, else 0;
lower is better) is compared the same way, so a run that starts failing items is a
regression even if the items that still succeed score well.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vbench_lite.errors import UserError
from vbench_lite.reports.data import RunData, direction_word, metric_info
from vbench_lite.reports.stats import GATE_RESAMPLES, paired_diff
from vbench_lite.store import SET_CASE_ID

BETTER, WORSE, SAME = "better", "worse", "no significant change"
CHANGED_UP, CHANGED_DOWN = "higher", "lower"  # significant change of an output with no direction
UNTESTED = "not tested"
FAILED_METRIC = "item_failed"
COLUMNS = ["metric", "units", "direction", "n", "mean_a", "mean_b", "diff", "ci_low", "ci_high",
           "rel_diff", "verdict", "note"]
KEYS = ["case_id", "seed"]


def _failure_rows(d: RunData) -> pd.DataFrame:
    f = d.items[KEYS].copy()
    f["metric"] = FAILED_METRIC
    f["value"] = (d.items["status"] != "ok").astype(float)
    return f


def paired_frame(a: RunData, b: RunData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pairs, info): pairs has case_id, seed, metric, a, b for keys present in both
    runs; info is per-output units/direction taken from the rows (B's, else A's)."""
    cols = [*KEYS, "metric", "value"]
    sa = pd.concat([a.scores[cols], _failure_rows(a)], ignore_index=True)
    sb = pd.concat([b.scores[cols], _failure_rows(b)], ignore_index=True)
    pairs = sa.merge(sb, on=[*KEYS, "metric"], how="inner", suffixes=("_a", "_b"))
    pairs = pairs.rename(columns={"value_a": "a", "value_b": "b"})
    info = metric_info(pd.concat([b.scores, a.scores], ignore_index=True))  # B's declaration first
    info.loc[FAILED_METRIC] = ["fraction of items", 0.0, "runner", False]
    return pairs, info


def compare_runs(a: RunData, b: RunData, *, alpha: float = 0.05, correction: str = "bonferroni",
                 n_resamples: int = GATE_RESAMPLES) -> pd.DataFrame:
    """One row per output present in both runs: means, ``diff`` = mean(B - A) over
    pairs (metric units), its interval, ``rel_diff`` = diff / |mean_a|, and a verdict
    (better / worse / no significant change; higher / lower for outputs without a
    direction; "not tested" when fewer than 2 pairs, e.g. set-level FVD).
    ``df.attrs["confidence"]`` holds the per-output interval level used."""
    if not 0 < alpha < 1:
        raise UserError(f"alpha must be between 0 and 1, got {alpha}")
    if correction not in ("bonferroni", "none"):
        raise UserError(f"unknown correction {correction!r}; use 'bonferroni' or 'none'")
    pairs, info = paired_frame(a, b)
    if pairs.empty:
        raise UserError(f"runs {a.label!r} and {b.label!r} share no (case, seed) items; "
                        "compare runs over the same suite and seeds")
    groups = dict(tuple(pairs.groupby("metric", sort=True)))
    testable = [m for m, g in groups.items() if np.isfinite(g["b"] - g["a"]).sum() >= 2]
    m = max(1, len(testable)) if correction == "bonferroni" else 1
    confidence = 1 - alpha / m
    rows = []
    for metric, g in groups.items():
        ci = paired_diff(g["a"].to_numpy(), g["b"].to_numpy(), clusters=g["case_id"].to_numpy(),
                         confidence=confidence, n_resamples=n_resamples)
        hib = info.loc[metric, "higher_is_better"] if metric in info.index else np.nan
        mean_a, mean_b = _mean(g["a"]), _mean(g["b"])  # over pairs, each side's finite values
        note = ci.note
        if (g["case_id"] == SET_CASE_ID).all():
            note = "set-level score: one value per run, no interval"
        rows.append({
            "metric": metric, "units": info.loc[metric, "units"] if metric in info.index else "",
            "direction": direction_word(hib), "n": ci.n, "mean_a": mean_a, "mean_b": mean_b,
            "diff": ci.mean, "ci_low": ci.low, "ci_high": ci.high,
            "rel_diff": ci.mean / abs(mean_a) if np.isfinite(mean_a) and mean_a != 0 else np.nan,
            "verdict": verdict(ci.mean, ci.low, ci.high, hib), "note": note,
        })
    df = pd.DataFrame(rows, columns=COLUMNS)
    df.attrs.update(confidence=confidence, alpha=alpha, correction=correction, tested=len(testable),
                    run_a=a.label, run_b=b.label,
                    unpaired_a=_unpaired(a, b), unpaired_b=_unpaired(b, a))
    return df


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


def _mean(s: pd.Series) -> float:
    return float(s.mean()) if s.notna().any() else np.nan  # pandas skips NaN


def _unpaired(x: RunData, y: RunData) -> int:
    """Items of ``x`` with no (case_id, seed) partner in ``y``."""
    kx = x.items[KEYS].drop_duplicates()
    return int(len(kx.merge(y.items[KEYS].drop_duplicates(), on=KEYS, how="left", indicator=True)
                   .query("_merge == 'left_only'")))
