"""Known answers for the unbiased MMD^2 estimators of ``vbench_lite.mmd``: direct
O(n^2) loops, an analytic Gaussian case, and the weights that make bootstrap and
jackknife replicates."""

import itertools

import numpy as np
import pytest

from vbench_lite import mmd

SIGMAS = (0.5, 1.0)


def k(a, b):
    """The kernel of one pair, written out."""
    d2 = float(((np.asarray(a) - np.asarray(b)) ** 2).sum())
    return np.mean([np.exp(-d2 / (2 * s * s)) for s in SIGMAS])


def loop_unpaired(x, y, gx):
    """KID's unbiased estimator, pairs of one case left out of the generated term."""
    xx = [k(x[i], x[j]) for i, j in itertools.permutations(range(len(x)), 2) if gx[i] != gx[j]]
    yy = [k(y[i], y[j]) for i, j in itertools.permutations(range(len(y)), 2)]
    xy = [k(a, b) for a in x for b in y]
    return np.mean(xx) + np.mean(yy) - 2 * np.mean(xy)


def loop_paired(x, y, g):
    """Gretton et al. 2012 eq. 3 over pairs of items of different cases."""
    h = [k(x[i], x[j]) + k(y[i], y[j]) - k(x[i], y[j]) - k(x[j], y[i])
         for i, j in itertools.permutations(range(len(x)), 2) if g[i] != g[j]]
    return np.mean(h)


@pytest.fixture()
def sets():
    rng = np.random.default_rng(7)
    x = rng.normal(0.0, 1.0, (9, 3))
    y = rng.normal(0.4, 1.2, (9, 3))
    return x, y


def test_rbf_kernel_matches_the_pairwise_formula(sets):
    x, y = sets
    km = mmd.rbf_kernel(x, y, SIGMAS)
    assert km.shape == (9, 9)
    assert km[2, 5] == pytest.approx(k(x[2], y[5]), rel=1e-12)
    np.testing.assert_allclose(np.diag(mmd.rbf_kernel(x, x, SIGMAS)), 1.0, rtol=0, atol=1e-12)


def test_unpaired_matches_the_direct_loop(sets):
    x, y = sets
    assert mmd.CaseBlocks.unpaired(x, y[:7], np.arange(9), SIGMAS).value() == pytest.approx(
        loop_unpaired(x, y[:7], np.arange(9)), rel=1e-10)
    seeds = np.array([0, 0, 1, 1, 2, 2, 3, 3, 4])  # 5 cases, most with two seeds
    assert mmd.CaseBlocks.unpaired(x, y, seeds, SIGMAS).value() == pytest.approx(
        loop_unpaired(x, y, seeds), rel=1e-10)


def test_paired_matches_the_direct_loop_and_is_zero_for_the_truth_itself(sets):
    x, y = sets
    g = np.array([3, 3, 1, 1, 0, 0, 2, 2, 4])  # labels need not be sorted or contiguous
    y_case = y[g]  # every seed of a case carries the same truth
    assert mmd.CaseBlocks.paired(x, y_case, g, SIGMAS).value() == pytest.approx(
        loop_paired(x, y_case, g), rel=1e-10)
    oracle = mmd.CaseBlocks.paired(y_case, y_case, g, SIGMAS)
    assert oracle.value() == 0.0 and oracle.jackknife_se() == 0.0
    # the unpaired estimator on the same identical sets is biased low: -2(1 - mean k)/n
    assert mmd.CaseBlocks.unpaired(y, y, np.arange(9), SIGMAS).value() < -0.05


def test_fixed_reference_equals_unpaired_value(sets):
    """Summarising a reference by m_i = mean_j k(x_i, y_j) and its own term loses nothing."""
    x, y = sets
    ky = mmd.rbf_kernel(y, y, SIGMAS)
    u_rr = (ky.sum() - np.trace(ky)) / (9 * 8)
    m = mmd.rbf_kernel(x, y, SIGMAS).mean(1)
    g = np.array([0, 0, 1, 2, 3, 4, 5, 6, 6])
    assert mmd.CaseBlocks.fixed(x, m, u_rr, g, SIGMAS).value() == pytest.approx(
        mmd.CaseBlocks.unpaired(x, y, g, SIGMAS).value(), rel=1e-10)


def test_bootstrap_weights_equal_explicit_duplication_without_self_pairs(sets):
    """Counts (2, 0, 1, ...) give the U-statistic of the resampled multiset in which a
    case never pairs with its own copy."""
    x, y = sets
    g = np.arange(9)
    w = np.array([2, 0, 1, 1, 3, 0, 1, 1, 0], float)
    blocks = mmd.CaseBlocks.paired(x, y, g, SIGMAS)
    rep = blocks.bootstrap(w[None])[0]
    idx = np.repeat(g, w.astype(int))  # the drawn items, copies share their case label
    assert rep == pytest.approx(loop_paired(x[idx], y[idx], idx), rel=1e-10)
    u = mmd.CaseBlocks.unpaired(x, y, g, SIGMAS)
    v = np.array([1, 1, 0, 2, 1, 1, 0, 2, 1], float)
    rep_u = u.bootstrap(w[None], v[None])[0]
    ridx = np.repeat(np.arange(9), v.astype(int))
    yy = [k(y[ridx[i]], y[ridx[j]]) for i, j in itertools.permutations(range(len(ridx)), 2) if ridx[i] != ridx[j]]
    xx = [k(x[idx[i]], x[idx[j]]) for i, j in itertools.permutations(range(len(idx)), 2) if idx[i] != idx[j]]
    xy = [k(x[a], y[b]) for a in idx for b in ridx]
    assert rep_u == pytest.approx(np.mean(xx) + np.mean(yy) - 2 * np.mean(xy), rel=1e-10)


def test_jackknife_matches_explicit_leave_one_case_out(sets):
    x, y = sets
    g = np.array([0, 0, 1, 2, 3, 4, 5, 6, 6])
    blocks = mmd.CaseBlocks.paired(x, y, g, SIGMAS)
    loo = [loop_paired(x[g != c], y[g != c], g[g != c]) for c in range(7)]
    want = np.sqrt(6 / 7 * ((np.array(loo) - np.mean(loo)) ** 2).sum())
    assert blocks.jackknife_se() == pytest.approx(want, rel=1e-10)
    assert np.isnan(mmd.CaseBlocks.paired(x[:2], y[:2], [0, 1], SIGMAS).jackknife_se())  # 2 cases


def analytic_mmd2(mu, s1, s2, sigma, d):
    """MMD^2 between N(0, s1^2 I) and N(mu, s2^2 I) in d dimensions for one RBF
    bandwidth: E exp(-|a - b|^2 / 2 sigma^2) = (sigma^2 / (sigma^2 + v))^(d/2)
    exp(-|m|^2 / 2 (sigma^2 + v)), with a - b ~ N(m, v I)."""
    def e(m2, v):
        return (sigma ** 2 / (sigma ** 2 + v)) ** (d / 2) * np.exp(-m2 / (2 * (sigma ** 2 + v)))
    return e(0, 2 * s1 ** 2) + e(0, 2 * s2 ** 2) - 2 * e(mu ** 2 * d, s1 ** 2 + s2 ** 2)


def test_unbiased_against_the_analytic_gaussian_value():
    """Mean over 400 small samples (n = 8) equals the analytic MMD^2 within 4 standard
    errors of that mean; the biased V-statistic (diagonals kept) is far off at this n."""
    rng = np.random.default_rng(11)
    d, sigma = 2, 1.0
    truth = analytic_mmd2(0.5, 1.0, 1.0, sigma, d)
    est, biased = [], []
    for _ in range(400):
        x = rng.normal(0.0, 1.0, (8, d))
        y = rng.normal(0.5, 1.0, (8, d))
        est.append(mmd.CaseBlocks.unpaired(x, y, np.arange(8), (sigma,)).value())
        kxx, kyy, kxy = (mmd.rbf_kernel(a, b, (sigma,)) for a, b in ((x, x), (y, y), (x, y)))
        biased.append(kxx.mean() + kyy.mean() - 2 * kxy.mean())
    est = np.asarray(est)
    sem = est.std(ddof=1) / np.sqrt(est.size)
    assert abs(est.mean() - truth) < 4 * sem, (est.mean(), truth, sem)
    assert np.mean(biased) - truth > 10 * sem
    # and the same distribution on both sides: mean 0
    null = [mmd.CaseBlocks.unpaired(rng.normal(size=(8, d)), rng.normal(size=(8, d)), np.arange(8),
                                    (sigma,)).value() for _ in range(400)]
    assert abs(np.mean(null)) < 4 * np.std(null, ddof=1) / np.sqrt(400)


def test_jackknife_se_tracks_the_sampling_spread():
    """The mean jackknife SE is within 30 % of the spread of the estimate over draws."""
    rng = np.random.default_rng(3)
    vals, ses = [], []
    for _ in range(200):
        x = rng.normal(0.0, 1.0, (16, 2))
        y = rng.normal(0.7, 1.0, (16, 2))
        b = mmd.CaseBlocks.unpaired(x, y, np.arange(16), (1.0,))
        vals.append(b.value())
        ses.append(b.jackknife_se())
    assert np.mean(ses) == pytest.approx(np.std(vals, ddof=1), rel=0.3)


def test_degenerate_weights_give_nan_not_an_error(sets):
    x, y = sets
    blocks = mmd.CaseBlocks.paired(x, y, np.arange(9), SIGMAS)
    one_case = np.zeros((1, 9))
    one_case[0, 4] = 9  # every draw the same case: no independent pair
    assert np.isnan(blocks.bootstrap(one_case)[0])
