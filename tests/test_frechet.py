"""Fréchet distance: analytic cases, agreement with a sqrtm formula, statistics merge."""

import warnings

import numpy as np
import pytest
import scipy.linalg

from vbench_lite.errors import UserError
from vbench_lite.metrics.frechet import (
    FrechetStats, frechet_distance, frechet_distance_from_features, stats_distance,
)


def _sqrtm_reference(mu1, s1, mu2, s2):
    """The straightforward formula (pytorch-fid style) as an independent reference."""
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    covmean = np.real(covmean)
    diff = mu1 - mu2
    return diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)


def _random_cov(rng, d, n):
    x = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) / np.sqrt(d)
    return np.cov(x, rowvar=False)


def test_equal_covariances_give_squared_mean_distance():
    rng = np.random.default_rng(0)
    s = _random_cov(rng, 16, 200)
    mu1, mu2 = rng.normal(size=16), rng.normal(size=16)
    assert frechet_distance(mu1, s, mu2, s) == pytest.approx(np.sum((mu1 - mu2) ** 2), rel=1e-9, abs=1e-9)


def test_diagonal_case_closed_form():
    # for commuting (diagonal) covariances: sum (sqrt(a) - sqrt(b))^2
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 16.0])
    expected = np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(np.zeros(3), np.diag(a), np.zeros(3), np.diag(b)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("d,n", [(8, 100), (64, 500), (64, 40)])
def test_agrees_with_sqrtm_formula(d, n):
    rng = np.random.default_rng(d + n)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d) + 0.3
    s1, s2 = _random_cov(rng, d, n), _random_cov(rng, d, n)
    ours = frechet_distance(mu1, s1, mu2, s2)
    ref = _sqrtm_reference(mu1, s1, mu2, s2)
    assert ours == pytest.approx(ref, rel=1e-6)


def test_symmetric_and_zero_for_identical_sets():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(300, 12))
    b = rng.normal(size=(250, 12)) * 1.5 + 0.2
    assert frechet_distance_from_features(a, b) == pytest.approx(frechet_distance_from_features(b, a), rel=1e-9)
    assert frechet_distance_from_features(a, a) == pytest.approx(0.0, abs=1e-9)
    assert frechet_distance_from_features(a, b) > 0.1


def test_grows_with_shift():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(400, 6))
    dists = [frechet_distance_from_features(a, a + s) for s in (0.0, 0.5, 1.0)]
    assert dists[0] < dists[1] < dists[2]
    assert dists[2] == pytest.approx(6.0, rel=1e-6)  # pure shift of 1 in 6 dims


def test_merge_equals_one_pass():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(90, 5)) + 3.0
    merged = FrechetStats.from_features(x[:30]) + FrechetStats.from_features(x[30:])
    one = FrechetStats.from_features(x)
    assert merged.count == 90
    np.testing.assert_allclose(merged.cov(), np.cov(x, rowvar=False), rtol=1e-10)
    np.testing.assert_allclose(merged.mean(), one.mean(), rtol=1e-12)
    empty = FrechetStats.empty(5)
    assert (empty + one).count == 90
    with pytest.raises(UserError, match="dimension"):
        one.merge(FrechetStats.empty(4))


def test_warns_when_fewer_samples_than_dims():
    rng = np.random.default_rng(4)
    a, b = FrechetStats.from_features(rng.normal(size=(10, 20))), FrechetStats.from_features(rng.normal(size=(30, 20)))
    with pytest.warns(UserWarning, match="10 features for 20 dimensions"):
        stats_distance(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stats_distance(b, FrechetStats.from_features(rng.normal(size=(25, 20))))


def test_bad_input():
    with pytest.raises(UserError, match="non-empty"):
        FrechetStats.from_features(np.zeros((0, 3)))
    with pytest.raises(UserError, match="NaN"):
        FrechetStats.from_features(np.array([[np.nan, 1.0]]))
    with pytest.raises(UserError, match="one D"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(UserError, match="at least 2"):
        FrechetStats.from_features(np.ones((1, 3))).cov()
