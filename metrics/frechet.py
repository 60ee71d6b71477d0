"""Fréchet distance between Gaussians fitted to two feature sets (FID/FVD), plus the
mergeable sufficient statistics behind it.

    d^2 = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr( (S1^{1/2} S2 S1^{1/2})^{1/2} )

(Dowson & Landau 1982; Heusel et al. 2017 use the equivalent tr((S1 S2)^{1/2})).
The matrix square root is taken through two *symmetric* eigendecompositions: S1^{1/2}
from ``eigh(S1)``, then the eigenvalues of the symmetric PSD matrix S1^{1/2} S2 S1^{1/2}
via ``eigvalsh``. That needs no complex arithmetic, no ``scipy.linalg.sqrtm`` (whose
``disp`` argument is deprecated) and is several times faster at d = 2048. Tiny
negative eigenvalues from rounding are clipped to zero, which is what makes the result
well defined for rank-deficient covariances (fewer samples than dimensions).

Units: squared feature units; >= 0; 0 for identical statistics.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from vbench_lite.errors import UserError

# How this module computes the distance, named in protocol strings (FVD): symmetric
# eigendecompositions (not ``sqrtm``), float64, unbiased covariance (divides by N - 1).
# Another square root or covariance gives another number; change this with the code.
PROTOCOL = "eigh,float64,cov/(n-1)"


def _psd_sqrt(sigma: np.ndarray) -> np.ndarray:
    """Symmetric PSD square root of a symmetric matrix (negative eigenvalues -> 0)."""
    w, v = np.linalg.eigh(sigma)  # w (D,), v (D, D)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T  # (D, D)


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """tr((S1 S2)^{1/2}) for symmetric PSD S1, S2, computed as the sum of square roots
    of the eigenvalues of S1^{1/2} S2 S1^{1/2} (similar to S1 S2, and symmetric)."""
    root1 = _psd_sqrt(sigma1)  # (D, D)
    m = root1 @ sigma2 @ root1  # (D, D)
    m = 0.5 * (m + m.T)  # remove rounding asymmetry before eigvalsh
    eig = np.linalg.eigvalsh(m)  # (D,)
    return float(np.sqrt(np.clip(eig, 0.0, None)).sum())


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Squared Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2), float64."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    d = mu1.shape[0]
    if mu1.shape != (d,) or mu2.shape != (d,) or s1.shape != (d, d) or s2.shape != (d, d):
        raise UserError(
            f"Fréchet distance needs means (D,) and covariances (D, D) of one D; got "
            f"{mu1.shape}, {s1.shape}, {mu2.shape}, {s2.shape}"
        )
    if not (np.all(np.isfinite(s1)) and np.all(np.isfinite(s2)) and np.all(np.isfinite(mu1 - mu2))):
        raise UserError("Fréchet distance: statistics contain NaN or inf; check the features")
    diff = mu1 - mu2
    value = diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * trace_sqrt_product(s1, s2)
    # rounding can leave a tiny negative for identical sets; a distance is >= 0
    return float(max(value, 0.0))


@dataclass
class FrechetStats:
    """Mergeable sufficient statistics of a feature set (float64).

    ``total`` (D,) sum of rows, ``outer`` (D, D) sum of outer products, ``count`` rows.
    Statistics from shards add up exactly (``a.merge(b)`` or ``a + b``), so sharded
    or resumed runs give the same distance as one pass.
    """

    total: np.ndarray
    outer: np.ndarray
    count: int

    @classmethod
    def empty(cls, dim: int) -> "FrechetStats":
        return cls(np.zeros(dim), np.zeros((dim, dim)), 0)

    @classmethod
    def from_features(cls, features: np.ndarray) -> "FrechetStats":
        x = np.asarray(features, dtype=np.float64)
        if x.ndim != 2 or x.shape[0] == 0:
            raise UserError(f"features must be a non-empty (N, D) array, got shape {x.shape}")
        if not np.all(np.isfinite(x)):
            raise UserError("features contain NaN or inf")
        return cls(x.sum(axis=0), x.T @ x, int(x.shape[0]))  # (D,), (D, D)

    @property
    def dim(self) -> int:
        return int(self.total.shape[0])

    def merge(self, other: "FrechetStats") -> "FrechetStats":
        if other.dim != self.dim:
            raise UserError(f"cannot merge feature statistics of dimension {self.dim} and {other.dim}")
        return FrechetStats(self.total + other.total, self.outer + other.outer, self.count + other.count)

    __add__ = merge

    def mean(self) -> np.ndarray:
        return self.total / self.count  # (D,)

    def cov(self) -> np.ndarray:
        """Unbiased sample covariance (divides by N - 1, as ``np.cov``)."""
        if self.count < 2:
            raise UserError(f"a covariance needs at least 2 samples, got {self.count}")
        mu = self.mean()
        return (self.outer - self.count * np.outer(mu, mu)) / (self.count - 1)  # (D, D)


def stats_distance(a: FrechetStats, b: FrechetStats, what: str = "features") -> float:
    """Fréchet distance between two statistics; warns when a set has fewer samples
    than dimensions (the covariance is then rank-deficient and the distance biased)."""
    for name, s in (("generated", a), ("reference", b)):
        if s.count < s.dim:
            warnings.warn(
                f"{name} set has {s.count} {what} for {s.dim} dimensions; the covariance is "
                "rank-deficient and the Fréchet distance is biased (use more samples)",
                stacklevel=2,
            )
    return frechet_distance(a.mean(), a.cov(), b.mean(), b.cov())


def frechet_distance_from_features(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between two (N, D) feature sets."""
    return stats_distance(FrechetStats.from_features(a), FrechetStats.from_features(b))
