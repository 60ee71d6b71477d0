"""Intervals and paired comparisons for set-level statistics (``video_kd``).

A set-level score is one number per run, so the per-item bootstrap of ``stats``
cannot give it an interval. A metric that keeps what its number is made of declares
a ``set_statistic`` in its description, which the run stores::

    {"estimator": "mmd2", "output": "video_kd", "se_output": "video_kd_se",
     "protocol": "...", "kernel": "rbf", "sigmas": [...], "dim": 115,
     "row_layout": "paired" | "fixed"}

and stores one feature row per video (``features`` table): ``[case hash, descriptor
(dim), reference part]``, the reference part being the case's ground-truth
descriptor (``paired``) or the video's kernel mean to a fixed reference folder and
that folder's own term (``fixed``). From these declarations and rows alone:

* **Tables** show the run-time value with ``value +/- t(C-1) x se``: the stored
  jackknife standard error over the C cases (``se_output``), a t interval as for a
  mean of C case values. Nothing is recomputed.
* **Compare** (and so ``check``) resamples *cases*, as every other comparison does:
  one multinomial draw of the cases both runs scored weights A's videos, B's videos
  and the reference rows of those cases together, the MMD^2 of each run is recomputed
  from its rows (``vbench_lite.mmd``, the estimator the metric used), and the
  percentile interval of B - A (at Hesterberg's expanded level for C cases, see
  ``stats.expanded_confidence``) decides the verdict. With a ``fixed`` reference the
  interval is conditional on that folder ("closer to *this* reference set"). Runs
  whose protocols differ (descriptor, kernel, reference) are not compared.

This is the only place reports compute a distance from stored numbers; the estimator
itself lives in the core (``vbench_lite.mmd``), shared with the metric.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from vbench_lite import mmd
from vbench_lite.reports.stats import MIN_CI_UNITS, SEED, Interval, expanded_confidence
from vbench_lite.store import SET_CASE_ID

MIN_CASES = MIN_CI_UNITS  # fewer cases give no interval, as for every other output (stats)


def set_statistics(run: dict) -> dict[str, dict]:
    """Output name -> its ``set_statistic`` declaration plus ``metric`` (the source)."""
    out = {}
    for metric, decl in (run.get("metrics") or {}).items():
        spec = (decl or {}).get("set_statistic") if isinstance(decl, dict) else None
        if isinstance(spec, dict) and spec.get("output"):
            out[spec["output"]] = {**spec, "metric": metric}
    return out


def table_interval(value: float, se: float, n_cases: int, confidence: float) -> tuple[float, float, str]:
    """(low, high, note) of ``value +/- t x se`` with C - 1 degrees of freedom."""
    if not (np.isfinite(value) and np.isfinite(se)):
        return np.nan, np.nan, "set-level: no standard error"
    if n_cases < MIN_CASES:
        return np.nan, np.nan, f"set-level: {n_cases} cases, no interval below {MIN_CASES}"
    q = float(sps.t.ppf(0.5 + confidence / 2, df=n_cases - 1))
    return value - q * se, value + q * se, f"set-level: +/- t x jackknife SE over {n_cases} cases"


def case_count(rows: dict) -> int:
    """Distinct cases among stored rows ``{(case_id, seed): vector}``."""
    return len({k[0] for k in rows})


def _blocks(spec: dict, rows: dict, cases: list[str]) -> mmd.CaseBlocks:
    """Case blocks of one run's rows restricted to ``cases`` (in that order)."""
    order = {c: i for i, c in enumerate(cases)}
    keys = [k for k in sorted(rows) if k[0] in order]
    x = np.stack([rows[k] for k in keys])  # (n, 1 + dim + ...)
    groups = np.array([order[k[0]] for k in keys])  # case index in ``cases`` order
    dim, sigmas = int(spec["dim"]), spec["sigmas"]
    gen = x[:, 1:1 + dim]
    if spec["row_layout"] == "paired":
        return mmd.CaseBlocks.paired(gen, x[:, 1 + dim:1 + 2 * dim], groups, sigmas)
    if spec["row_layout"] == "fixed":
        return mmd.CaseBlocks.fixed(gen, x[:, 1 + dim], float(x[0, 2 + dim]), groups, sigmas)
    raise ValueError(f"unknown row layout {spec['row_layout']!r}")


def comparable(a_run: dict, b_run: dict, output: str) -> str | None:
    """Why ``output`` cannot be compared between two runs by resampling, or None."""
    sa, sb = set_statistics(a_run).get(output), set_statistics(b_run).get(output)
    if sa is None or sb is None:
        return None if sa is sb is None else "only one run declares how to resample it"
    if sa["protocol"] != sb["protocol"]:
        return f"protocols differ ({sa['protocol']} vs {sb['protocol']})"
    if sa.get("row_layout") not in ("paired", "fixed"):
        return f"unknown row layout {sa.get('row_layout')!r}"
    return None


def paired_set_diff(a_run: dict, a_rows: dict, b_run: dict, b_rows: dict, output: str, *,
                    confidence: float = 0.95, n_resamples: int = 4000, seed: int = SEED) -> Interval:
    """B - A of a declared set statistic over the cases both runs have rows for, with
    a percentile bootstrap interval resampling those cases (module docstring).
    ``Interval.n`` is the number of shared cases."""
    spec = set_statistics(a_run)[output]
    cases = sorted({k[0] for k in a_rows} & {k[0] for k in b_rows})
    k = len(cases)
    if k < 3:
        return Interval(np.nan, np.nan, np.nan, k, f"{k} shared cases: no value without 3")
    blocks_a, blocks_b = _blocks(spec, a_rows, cases), _blocks(spec, b_rows, cases)
    diff = blocks_b.value() - blocks_a.value()
    note = f"bootstrap over {k} shared cases"
    if k < MIN_CASES:
        return Interval(diff, np.nan, np.nan, k, f"{k} shared cases: no interval below {MIN_CASES}")
    w = mmd.multinomial_weights(k, n_resamples, np.random.default_rng(seed))  # (B, k)
    reps = blocks_b.bootstrap(w) - blocks_a.bootstrap(w)  # (B,)
    reps = reps[np.isfinite(reps)]
    if reps.size == 0:
        return Interval(float(diff), np.nan, np.nan, k, "no resample with two distinct cases")
    if np.ptp(reps) == 0:
        v = float(reps[0])
        if v == 0:
            return Interval(0.0, 0.0, 0.0, k, "all resamples equal: no difference")
        return Interval(v, v, v, k, "the same difference in every resample")
    level = expanded_confidence(confidence, k)
    low, high = np.quantile(reps, [(1 - level) / 2, (1 + level) / 2])
    return Interval(float(diff), float(low), float(high), k, note)


def set_intervals(data, confidence: float = 0.95) -> dict[str, tuple[float, float, str]]:
    """Output -> (low, high, note) for each declared set statistic of ``data``
    (a ``RunData``) that has a value: ``table_interval`` of its stored standard error."""
    rows = data.scores[data.scores["case_id"] == SET_CASE_ID]
    set_values = dict(zip(rows["metric"], rows["value"]))
    out = {}
    for output, spec in set_statistics(data.run).items():
        if output not in set_values:
            continue
        se = set_values.get(spec.get("se_output"), np.nan)
        n_cases = case_count(data.features.get(spec["metric"], {}))
        out[output] = table_interval(float(set_values[output]), float(se), n_cases, confidence)
    return out
