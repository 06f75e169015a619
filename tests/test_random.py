"""Counter-based random draws: uniform, independent of order, keyed by day and purpose."""

import numpy as np
import pytest
from scipy import stats

from corridor.engine.random import binomials, day_key, uniforms


def test_draws_are_uniform():
    u = uniforms(day_key(123, 0, 1), np.arange(200_000), 0)
    assert stats.kstest(u, "uniform").pvalue > 1e-4
    assert 0.0 <= u.min() and u.max() < 1.0


def test_draws_do_not_depend_on_order():
    key = day_key(7, 3, 1)
    idx = np.arange(1000)
    perm = np.random.default_rng(0).permutation(idx)
    assert np.array_equal(uniforms(key, idx, 2)[perm], uniforms(key, perm, 2))


def test_counters_days_and_purposes_give_independent_streams():
    idx = np.arange(50_000)
    a = uniforms(day_key(7, 3, 1), idx, 0)
    for other in (uniforms(day_key(7, 3, 1), idx, 1), uniforms(day_key(7, 4, 1), idx, 0),
                  uniforms(day_key(7, 3, 2), idx, 0), uniforms(day_key(8, 3, 1), idx, 0)):
        assert abs(np.corrcoef(a, other)[0, 1]) < 0.02
        assert stats.ks_2samp(a, other).pvalue > 1e-4


@pytest.mark.parametrize("n,p", [(1, 0.3), (7, 0.5), (40, 0.05), (40, 0.9), (200, 0.3),
                                 (5000, 0.5), (10**6, 0.001), (10**6, 0.37), (3, 0.999)])
def test_binomial_matches_the_exact_distribution(n, p):
    draws = binomials(day_key(11, 2, 9), np.arange(40_000), 3, np.full(40_000, n), p)
    assert draws.min() >= 0 and draws.max() <= n
    mean, var = n * p, n * p * (1 - p)
    assert abs(draws.mean() - mean) < 5 * np.sqrt(var / len(draws)) + 1e-9
    assert abs(draws.var() - var) < 0.05 * var + 1e-9
    # chi-square over the central values
    lo, hi = stats.binom.ppf([0.001, 0.999], n, p).astype(int)
    edges = np.arange(lo, hi + 2)
    observed = np.histogram(np.clip(draws, lo, hi), bins=edges)[0]
    probs = np.diff(stats.binom.cdf(edges - 1, n, p))
    probs[0] += stats.binom.cdf(lo - 1, n, p)
    probs[-1] += stats.binom.sf(hi, n, p)
    expected = probs * len(draws)
    keep = expected > 5
    if keep.sum() > 1:
        chi2 = ((observed[keep] - expected[keep]) ** 2 / expected[keep]).sum()
        assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-4


def test_binomial_edges_and_reproducibility():
    key = day_key(1, 1, 1)
    rows = np.arange(100)
    assert (binomials(key, rows, 0, np.zeros(100, dtype=np.int64), 0.5) == 0).all()
    assert (binomials(key, rows, 0, np.full(100, 9), 1.0) == 9).all()
    assert (binomials(key, rows, 0, np.full(100, 9), 0.0) == 0).all()
    a = binomials(key, rows, 4, np.full(100, 1000), 0.4)
    assert np.array_equal(a, binomials(key, rows, 4, np.full(100, 1000), 0.4))
    assert not np.array_equal(a, binomials(key, rows, 5, np.full(100, 1000), 0.4))
