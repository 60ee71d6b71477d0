"""Unbiased kernel MMD^2 between a generated and a reference set, resampled by case.

Pure numpy, importing nothing of vbench-lite. It lives in the core so that the two
places that need it use one implementation: the metric (``metrics.video_distance``:
the run-time value and its standard error) and the reports (paired comparisons
recomputed from the per-video features the run stored, ``reports.set_stats``). The descriptor
and the kernel's constants belong to the metric, which declares them with the run.

Estimator. Generated items x_i, reference items y_j, a kernel k. The squared maximum
mean discrepancy (Gretton et al. 2012, JMLR 13) is

    MMD^2 = E k(x, x') + E k(y, y') - 2 E k(x, y)

and each expectation is estimated by a mean over pairs of *independent* items only
(a U-statistic), which makes the estimate unbiased -- it can be slightly negative
when the sets come from one distribution (KID, Binkowski et al. 2018, does the same).
Items are grouped into *cases* (one case: its seeds, and in the paired layout its
ground truth); two items of one case are not independent, so pairs within a case are
left out of every mean:

- ``paired`` (the probe suites' reference: each generated item carries the ground
  truth of its own case): the cross term also leaves out same-case pairs (Gretton et
  al. 2012, eq. 3, extended from items to cases). A generator that returns the ground
  truth scores exactly 0, and the estimate stays unbiased for the distance between
  the two marginal distributions however a video depends on its own truth;
- ``unpaired``: an independent reference set (a folder of real videos), every cross
  pair counts;
- ``fixed``: the reference set is held fixed and summarised per generated item by
  its kernel mean ``m_i = mean_j k(x_i, y_j)`` and the constant ``u_rr``, the
  reference term (a conditional analysis: "closer to *this* reference set").

Case weights. Every estimate is a ratio of weighted sums over case blocks,
``w' S w / w' N w`` with S the kernel sums and N the pair counts between two cases
(same-case blocks zeroed). Weights 1 give the estimate; multinomial counts give a
bootstrap replicate (a case drawn twice never pairs with its own copy: a copy is not
an independent draw); a 0 deletes a case (the jackknife).

Standard error: the delete-one-case jackknife (Arvesen 1969 for U-statistics),
deterministic (C weightings as one matrix product; milliseconds for a few hundred
cases): ``se^2 = (C-1)/C sum_c (theta_(-c) - mean)^2``, summed
over the generated and reference sides when they are resampled independently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def rbf_kernel(x: np.ndarray, y: np.ndarray, sigmas) -> np.ndarray:
    """Mean over bandwidths sigma of exp(-|x - y|^2 / (2 sigma^2)): (n, D), (m, D) -> (n, m)
    float64 in (0, 1], 1 on identical rows."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    d2 = (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * (x @ y.T)  # (n, m)
    d2 = np.maximum(d2, 0.0)  # rounding can leave -1e-16 for identical rows
    return np.mean([np.exp(-d2 / (2.0 * float(s) ** 2)) for s in sigmas], axis=0)


def case_index(groups) -> tuple[np.ndarray, np.ndarray]:
    """(labels (C,), index (n,)): the distinct case labels in sorted order and each
    item's position among them."""
    labels, index = np.unique(np.asarray(groups), return_inverse=True)
    return labels, index.ravel()


def block_sums(k: np.ndarray, rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int) -> np.ndarray:
    """Sums of ``k`` (n, m) over (row case, column case) blocks: (n_rows, n_cols)."""
    a = np.zeros((n_rows, k.shape[0]))
    a[rows, np.arange(k.shape[0])] = 1.0
    b = np.zeros((k.shape[1], n_cols))
    b[np.arange(k.shape[1]), cols] = 1.0
    return a @ k @ b


def _zero_diagonal(m: np.ndarray) -> np.ndarray:
    m = m.copy()
    np.fill_diagonal(m, 0.0)
    return m


def _quad(s: np.ndarray, w: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Row-wise bilinear forms w_b' S v_b for weights (B, n) and (B, m) -> (B,)."""
    return ((w @ s) * v).sum(1)


@dataclass
class CaseBlocks:
    """Case-block sums of one generated set against one reference (module docstring).

    ``sxx``/``nxx`` (C, C): kernel sums and pair counts between generated cases,
    diagonal zeroed. ``paired``: ``syy``/``nyy`` and ``sxy``/``nxy`` are (C, C) over
    the same cases, diagonals zeroed. ``unpaired``: ``syy``/``nyy`` (R, R) over
    reference items (diagonal zeroed), ``sxy``/``nxy`` (C, R). ``fixed``: ``sxy`` (C,)
    per-case sums of m_i, ``nxy`` (C,) item counts, ``u_rr`` the reference term.
    """

    layout: str
    sxx: np.ndarray
    nxx: np.ndarray
    sxy: np.ndarray
    nxy: np.ndarray
    syy: np.ndarray | None = None
    nyy: np.ndarray | None = None
    u_rr: float = 0.0

    @property
    def n_cases(self) -> int:
        return int(self.sxx.shape[0])

    @property
    def n_reference(self) -> int:
        """Resampling units on the reference side (0 when it is not resampled separately)."""
        return int(self.syy.shape[0]) if self.layout == "unpaired" else 0

    # ---------------------------------------------------------------- building
    @classmethod
    def paired(cls, x: np.ndarray, y: np.ndarray, groups, sigmas) -> "CaseBlocks":
        """Generated rows ``x`` (n, D), each with its case's reference row ``y`` (n, D)."""
        _, idx = case_index(groups)
        c = int(idx.max()) + 1
        counts = np.bincount(idx, minlength=c).astype(np.float64)  # (C,)
        n = _zero_diagonal(np.outer(counts, counts))
        blocks = [_zero_diagonal(block_sums(rbf_kernel(a, b, sigmas), idx, idx, c, c))
                  for a, b in ((x, x), (y, y), (x, y))]
        return cls("paired", blocks[0], n, blocks[2], n, blocks[1], n)

    @classmethod
    def unpaired(cls, x: np.ndarray, y: np.ndarray, groups, sigmas) -> "CaseBlocks":
        """Generated rows ``x`` (n, D) in cases ``groups``; independent reference rows ``y`` (m, D)."""
        _, idx = case_index(groups)
        c, m = int(idx.max()) + 1, len(y)
        counts = np.bincount(idx, minlength=c).astype(np.float64)
        ref = np.arange(m)
        sxx = _zero_diagonal(block_sums(rbf_kernel(x, x, sigmas), idx, idx, c, c))
        syy = _zero_diagonal(rbf_kernel(y, y, sigmas))
        sxy = block_sums(rbf_kernel(x, y, sigmas), idx, ref, c, m)
        return cls("unpaired", sxx, _zero_diagonal(np.outer(counts, counts)), sxy,
                   np.outer(counts, np.ones(m)), syy, _zero_diagonal(np.ones((m, m))))

    @classmethod
    def fixed(cls, x: np.ndarray, kernel_means: np.ndarray, u_rr: float, groups, sigmas) -> "CaseBlocks":
        """Generated rows ``x`` (n, D) with ``kernel_means`` (n,) m_i = mean_j k(x_i, y_j)
        over a fixed reference whose own term is ``u_rr``."""
        _, idx = case_index(groups)
        c = int(idx.max()) + 1
        counts = np.bincount(idx, minlength=c).astype(np.float64)
        sxx = _zero_diagonal(block_sums(rbf_kernel(x, x, sigmas), idx, idx, c, c))
        msum = np.bincount(idx, weights=np.asarray(kernel_means, np.float64), minlength=c)
        return cls("fixed", sxx, _zero_diagonal(np.outer(counts, counts)), msum, counts, u_rr=float(u_rr))

    # ---------------------------------------------------------------- estimating
    def values(self, w: np.ndarray | None = None, v: np.ndarray | None = None) -> np.ndarray:
        """MMD^2 for case weights ``w`` (B, C) on the generated side and ``v`` (B, R) on
        the reference side (``unpaired`` only; ``paired`` reuses ``w``). None: all 1.
        Returns (B,); NaN where a weighting leaves no independent pair."""
        w = np.ones((1, self.n_cases)) if w is None else np.atleast_2d(np.asarray(w, np.float64))
        with np.errstate(invalid="ignore", divide="ignore"):
            xx = _quad(self.sxx, w, w) / _quad(self.nxx, w, w)
            if self.layout == "fixed":
                return xx - 2.0 * (w @ self.sxy) / (w @ self.nxy) + self.u_rr
            if self.layout == "paired":
                v = w
            elif v is None:
                v = np.ones((w.shape[0], self.n_reference))
            v = np.atleast_2d(np.asarray(v, np.float64))
            yy = _quad(self.syy, v, v) / _quad(self.nyy, v, v)
            xy = _quad(self.sxy, w, v) / _quad(self.nxy, w, v)
        return xx + yy - 2.0 * xy

    def value(self) -> float:
        return float(self.values()[0])

    def jackknife_se(self) -> float:
        """Delete-one-case jackknife standard error (module docstring); NaN with fewer
        than 3 cases on a side that is resampled."""
        if self.n_cases < 3 or (self.layout == "unpaired" and self.n_reference < 3):
            return float("nan")
        var = _jackknife_var(self.values(1.0 - np.eye(self.n_cases)))
        if self.layout == "unpaired":
            ones = np.ones((self.n_reference, self.n_cases))
            var += _jackknife_var(self.values(ones, 1.0 - np.eye(self.n_reference)))
        return float(np.sqrt(var))

    def bootstrap(self, weights: np.ndarray, ref_weights: np.ndarray | None = None) -> np.ndarray:
        """Replicates for multinomial case counts ``weights`` (B, C) (and ``ref_weights``
        (B, R) for an unpaired reference), (B,) with NaN for degenerate draws."""
        return self.values(weights, ref_weights)


def _jackknife_var(loo: np.ndarray) -> float:
    loo = loo[np.isfinite(loo)]
    k = loo.size
    return float((k - 1) / k * ((loo - loo.mean()) ** 2).sum()) if k >= 2 else float("nan")


def multinomial_weights(n_units: int, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """(n_resamples, n_units) counts of each unit in a bootstrap draw of ``n_units``."""
    return rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=n_resamples).astype(np.float64)
