"""Bootstrap confidence intervals for means and for paired mean differences.

Method (``scipy.stats.bootstrap``, fixed ``random_state`` so a report is reproducible):

* BCa (bias-corrected and accelerated; Efron & Tibshirani 1993, ch. 14) when
  n <= ``BCA_MAX_N``: it corrects the skew typical of error metrics at small n. Its
  jackknife costs O(n^2), so above that size we use the percentile interval, which
  for a mean at n > 1000 is practically the same (the sampling distribution is
  close to normal by then).
* ``n_resamples`` for tables (``table_resamples``): 1000 up to n = 4000 items, then
  fewer (never below 400) so that resamples x n stays ~4e6 -- cost is linear in both,
  and at n > 4000 the interval of a mean is already narrow. For a normal-shaped
  bootstrap distribution the Monte-Carlo error of a 2.5 % endpoint is about
  0.12 / sqrt(B / 500) bootstrap standard errors: ~6 % of the half-width at B = 500,
  ~4 % at B = 1000. Comparisons use ``GATE_RESAMPLES`` because their
  Bonferroni-adjusted tails are thinner (alpha / 2m each).
* Resampling unit: the *case*. Seeds of one case share its difficulty (and a changed
  model changes a case the same way under every seed), so treating (case, seed)
  items as independent would make intervals too narrow and the gate cry wolf. With
  ``clusters`` given, each case contributes (sum, count) of its finite values and the
  statistic is sum/sum -- exactly the item mean -- resampled over cases
  (``paired=True`` keeps sum and count together). One item per case reduces to the
  ordinary bootstrap.
* Small samples: the requested level is widened by Hesterberg's expanded-percentile
  rule (``expanded_confidence``) before calling scipy; without it the bootstrap
  under-covers at small n (measured: 13 % family-wise false alarms instead of 5 % on
  30 cases x 6 seeds); at n > 100 the change is negligible.
* Too few cases: below ``MIN_CI_UNITS`` (5) resampling units a table shows the mean
  with no interval and the note "2 cases: no interval below 5". Why 5: with k units
  the widened tail above is smaller than k^-k -- the chance that a resample repeats one
  unit k times -- for every k <= 4, so the "interval" would only be the range
  [min, max] of the case means (n = 2 gave "[27.84, 16840]"), not a 95 % interval.
  ``paired_diff`` keeps its own minimum of 2 (the comparison's verdict rules decide).
* Degenerate samples never crash: n < 2 gives the mean with a NaN interval and the
  note "n=1"; a constant sample gives a NaN interval and "all values equal" (for a
  paired difference a constant non-zero shift is real evidence, see ``paired_diff``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

BCA_MAX_N = 1000
TABLE_RESAMPLES = 1000
MIN_TABLE_RESAMPLES = 400
GATE_RESAMPLES = 4000
MIN_CI_UNITS = 5  # fewer resampling units (cases) give no interval; see module docstring
SEED = 20240517  # any fixed number; fixed so re-running a report gives the same intervals
_MAX_BATCH_ELEMS = 4_000_000  # resamples x n held in memory at once (~32 MB of float64)


@dataclass(frozen=True)
class Interval:
    """Mean (units of the metric) with its bootstrap interval; ``n`` finite values.
    ``low``/``high`` are NaN when no interval can be given; ``note`` says why."""

    mean: float
    low: float
    high: float
    n: int
    note: str = ""


def table_resamples(n: int) -> int:
    """Resamples for a table CI over n values (see module docstring)."""
    return int(min(TABLE_RESAMPLES, max(MIN_TABLE_RESAMPLES, _MAX_BATCH_ELEMS // max(n, 1))))


def mean_ci(values, *, clusters=None, confidence: float = 0.95, n_resamples: int | None = None,
            seed: int = SEED, min_units: int = MIN_CI_UNITS) -> Interval:
    """Mean of the finite entries of ``values`` with a bootstrap CI at ``confidence``
    (0 < confidence < 1). Non-finite entries are dropped and counted in the note.
    ``clusters``: a label per value (the case id); resampling is over clusters.
    ``n_resamples`` None: ``table_resamples(n)``. Fewer than ``min_units`` resampling
    units (clusters, else values) give a NaN interval and a note saying so."""
    x = np.asarray(values, dtype=np.float64).ravel()  # (n,)
    finite = np.isfinite(x)
    dropped = int((~finite).sum())
    x = x[finite]
    if clusters is not None:
        clusters = np.asarray(clusters).ravel()[finite]  # (n,)
    note = f"{dropped} not finite" if dropped else ""
    if x.size == 0:
        return Interval(np.nan, np.nan, np.nan, 0, _join(note, "no values"))
    mean = float(x.mean())
    if x.size < 2:
        return Interval(mean, np.nan, np.nan, 1, _join(note, "n=1: no interval"))
    if np.ptp(x) == 0:
        return Interval(mean, np.nan, np.nan, int(x.size), _join(note, "all values equal: no interval"))
    units = int(np.unique(clusters).size) if clusters is not None else int(x.size)
    if units < min_units:
        what = ("case" if clusters is not None else "value") + ("s" if units != 1 else "")
        return Interval(mean, np.nan, np.nan, int(x.size),
                        _join(note, f"{units} {what}: no interval below {min_units}"))
    data: tuple = (x,)
    if clusters is not None:
        _, inv = np.unique(clusters, return_inverse=True)  # (n,) cluster index per value
        if inv.max() + 1 < x.size:  # some case has several seeds: resample cases
            sums = np.bincount(inv, weights=x)  # (k,)
            counts = np.bincount(inv).astype(np.float64)  # (k,)
            # balanced (same seeds for every case, the usual plan): sum/sum is the mean of
            # case means, so one array is resampled instead of two (half the cost)
            data = (sums / counts,) if np.ptp(counts) == 0 else (sums, counts)
    low, high = _bootstrap_mean(data, confidence, n_resamples or table_resamples(data[0].size), seed)
    return Interval(mean, low, high, int(x.size), note)


def paired_diff(a, b, *, clusters=None, confidence: float = 0.95, n_resamples: int = GATE_RESAMPLES,
                seed: int = SEED) -> Interval:
    """Mean of ``b - a`` over pairs where both are finite, with a paired bootstrap CI.

    Resampling pairs and averaging their differences is the paired bootstrap of the
    mean difference, so a one-sample bootstrap on ``d = b - a`` is used (cheaper than
    ``paired=True`` over two samples, same distribution). When every difference is
    the same non-zero number (deterministic generators re-run with a real shift) on at
    least ``MIN_CI_UNITS`` cases, the interval is the degenerate [d, d] rather than NaN:
    the shift is not noise. Otherwise (a nightly's physics cell of 2 cases, say), as for a
    table, fewer than ``MIN_CI_UNITS`` cases give no interval (a bootstrap over
    2-4 cases only spans the range of their differences), so no verdict.
    ``clusters``: case id per pair (resampling over cases, see module docstring).
    """
    a = np.asarray(a, dtype=np.float64).ravel()  # (n,)
    b = np.asarray(b, dtype=np.float64).ravel()  # (n,)
    if a.shape != b.shape:
        raise ValueError(f"paired samples differ in length: {a.size} vs {b.size}")
    d = b - a  # (n,)
    ok = np.isfinite(d)
    d = d[ok]
    if clusters is not None:
        clusters = np.asarray(clusters).ravel()[ok]  # (n,)
    units = int(np.unique(clusters).size) if clusters is not None else int(d.size)
    if d.size >= 2 and np.ptp(d) == 0:
        v = float(d[0])
        if v == 0:
            return Interval(0.0, 0.0, 0.0, int(d.size), "all differences zero")
        if units >= MIN_CI_UNITS:
            return Interval(v, v, v, int(d.size), "constant shift in every pair")
        # the same shift on 2-4 cases is as thin as any 2-4 cases: no verdict
        what = "case" if clusters is not None else "pair"
        return Interval(v, np.nan, np.nan, int(d.size),
                        f"constant shift on {units} {what}s: no interval below {MIN_CI_UNITS}")
    return mean_ci(d, clusters=clusters, confidence=confidence, n_resamples=n_resamples, seed=seed)


def _ratio_of_sums(sums, counts, axis=-1):
    return sums.sum(axis=axis) / counts.sum(axis=axis)


def expanded_confidence(confidence: float, k: int) -> float:
    """Level to ask the bootstrap for so that k resampling units give about the
    coverage of ``confidence``: Hesterberg's "expanded percentile" (What teachers should
    know about the bootstrap, Am. Stat. 2015, sec. 5): the bootstrap uses the plug-in
    SD (too small by sqrt((k-1)/k)) and normal-like tails (too thin versus Student's
    t at small k). Tail alpha'/2 = Phi(-sqrt(k/(k-1)) * t_{1-alpha/2, k-1})."""
    if k < 2:
        return confidence
    alpha = 1.0 - confidence
    t = stats.t.ppf(1 - alpha / 2, df=k - 1)
    return float(1.0 - 2.0 * stats.norm.cdf(-np.sqrt(k / (k - 1)) * t))


def _bootstrap_mean(data: tuple, confidence: float, n_resamples: int, seed: int) -> tuple[float, float]:
    """CI of the mean of ``data[0]`` or, with (sums, counts), of sum/sum over clusters."""
    k = data[0].size
    confidence = expanded_confidence(confidence, k)
    stat = np.mean if len(data) == 1 else _ratio_of_sums
    batch = max(1, min(n_resamples, _MAX_BATCH_ELEMS // (k * len(data))))
    kw = dict(confidence_level=confidence, n_resamples=n_resamples, vectorized=True, axis=-1,
              batch=batch, paired=len(data) > 1)
    with warnings.catch_warnings():
        # BCa warns (and returns NaN) on near-degenerate samples; we fall back below.
        warnings.simplefilter("ignore")
        method = "BCa" if k <= BCA_MAX_N else "percentile"
        res = stats.bootstrap(data, stat, method=method, random_state=np.random.default_rng(seed), **kw)
        low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if method == "BCa" and not (np.isfinite(low) and np.isfinite(high)):
            res = stats.bootstrap(data, stat, method="percentile", random_state=np.random.default_rng(seed), **kw)
            low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return low, high


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)
