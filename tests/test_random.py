"""Counter-based random draws: uniform, independent of order, keyed by day and purpose."""

import numpy as np
from scipy import stats

from corridor.engine.random import day_key, uniforms


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
