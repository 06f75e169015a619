"""CRPS, quantiles, coverage, weights and resampling of the forecast (no simulation)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.analysis import assimilation as am
from corridor.analysis.crps import (
    coverage,
    covered,
    crps_normal,
    crps_sample,
    skill,
    weighted_quantiles,
)


@pytest.mark.parametrize(("mu", "sigma", "y"), [(0.0, 1.0, 0.0), (2.0, 0.5, 3.1),
                                                 (-1.0, 3.0, 4.0)])
def test_crps_of_a_large_normal_sample_matches_the_closed_form(mu, sigma, y):
    rng = np.random.default_rng(1)
    sample = rng.normal(mu, sigma, 200_000)
    assert crps_sample(sample, y) == pytest.approx(crps_normal(mu, sigma, y), rel=0.01,
                                                   abs=2e-3)


def test_crps_normal_closed_form_at_the_mean():
    # CRPS(N(0, 1), 0) = 2 φ(0) − 1/√π = (√2 − 1)/√π
    assert crps_normal(0.0, 1.0, 0.0) == pytest.approx((math.sqrt(2) - 1) / math.sqrt(math.pi))


def test_crps_of_a_point_forecast_is_the_absolute_error():
    assert crps_sample(np.array([5.0]), 2.0) == pytest.approx(3.0)


def test_crps_weights_act_as_repetitions():
    x = np.array([1.0, 4.0, 10.0])
    repeated = np.array([1.0, 1.0, 4.0, 10.0, 10.0, 10.0])
    assert crps_sample(x, 3.0, np.array([2.0, 1.0, 3.0])) == pytest.approx(
        crps_sample(repeated, 3.0))


@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=30), st.floats(-1e3, 1e3))
@settings(max_examples=60, deadline=None)
def test_crps_is_never_negative_nor_above_the_mean_absolute_error(values, y):
    x = np.array(values)
    score = crps_sample(x, y)
    assert -1e-9 <= score <= float(np.mean(np.abs(x - y))) + 1e-9


def test_weighted_quantiles_with_equal_weights_are_hazen():
    x = np.array([3.0, 1.0, 7.0, 2.0, 9.0, 4.0])
    q = (0.05, 0.25, 0.5, 0.75, 0.95)
    assert weighted_quantiles(x, None, q) == pytest.approx(np.quantile(x, q, method="hazen"))


def test_a_value_of_weight_zero_has_no_say_in_the_quantiles():
    x = np.array([1.0, 2.0, 1000.0])
    assert weighted_quantiles(x, np.array([1.0, 1.0, 0.0]), (0.95,))[0] <= 2.0


def test_coverage_counts_values_inside_the_central_bands():
    sample = np.arange(1.0, 101.0)  # 1..100: the 50 % band is about 25.5–75.5
    assert covered(sample, None, 50.0, 50)
    assert not covered(sample, None, 90.0, 50)
    assert covered(sample, None, 90.0, 90)
    assert not covered(sample, None, 99.0, 90)
    assert coverage([True, False, True, True]) == 0.75
    assert coverage([]) is None


def test_skill_is_one_minus_the_ratio_of_mean_crps():
    assert skill([1.0, 1.0], [2.0, 2.0]) == pytest.approx(0.5)
    assert skill([3.0], [2.0]) == pytest.approx(-0.5)
    assert skill([], []) is None


@given(st.lists(st.floats(-50, 50), min_size=1, max_size=50))
def test_normalised_weights_sum_to_one(log_w):
    w = am.normalise_log_weights(np.array(log_w))
    assert np.all(w >= 0)
    assert w.sum() == pytest.approx(1.0)
    assert 1.0 - 1e-9 <= am.ess(w) <= len(w) + 1e-9


def test_all_minus_infinity_gives_equal_weights():
    w = am.normalise_log_weights(np.array([-np.inf, -np.inf]))
    assert w.tolist() == [0.5, 0.5]


@given(st.lists(st.floats(0.0, 10.0), min_size=1, max_size=40).filter(lambda v: sum(v) > 0),
       st.integers(0, 2**32 - 1))
def test_systematic_resampling_draws_each_particle_floor_or_ceil_of_n_w_times(raw, seed):
    w = np.array(raw) / sum(raw)
    n = len(w)
    idx = am.systematic_resample(w, np.random.default_rng(seed))
    counts = np.bincount(idx, minlength=n)
    assert counts.sum() == n
    assert np.all(counts >= np.floor(n * w - 1e-9))
    assert np.all(counts <= np.ceil(n * w + 1e-9))
    assert np.all(counts[w == 0] == 0)


@given(st.floats(0.0, 1.0), st.floats(1.0, 100.0), st.booleans())
def test_a_range_quantity_maps_back_inside_its_range(u, width, log):
    q = am.Quantity("x", "range", 1.0, 0.5, 0.5, 0.5 + width, log)
    x = q.low + u * (q.high - q.low)
    back = float(q.from_z(q.to_z(x)))
    assert q.low <= back <= q.high
    if 0.01 < u < 0.99:
        assert back == pytest.approx(x, rel=1e-6)


def test_liu_west_keeps_the_mean_and_spread_of_the_weighted_population():
    rng = np.random.default_rng(5)
    prior = am.Prior([am.Quantity("a", "multiplier", 1.0, 1.0),
                      am.Quantity("b", "multiplier", 1.0, 1.0)])
    z = rng.normal([1.0, -2.0], [0.5, 2.0], size=(20_000, 2))
    w = np.full(len(z), 1.0 / len(z))
    moved = am.liu_west(z, w, am.systematic_resample(w, rng), prior, rng)
    assert moved.mean(axis=0) == pytest.approx(z.mean(axis=0), abs=0.05)
    assert moved.std(axis=0) == pytest.approx(z.std(axis=0), rel=0.05)
    assert not np.array_equal(np.sort(moved[:, 0]), np.sort(z[:, 0]))


def _sims(values):
    """particles × 1 target × shifts, the same value at every shift."""
    return np.repeat(np.array(values, dtype=float)[:, None, None], len(am.SHIFTS), axis=2)


def test_likelihood_prefers_a_value_inside_the_range_and_penalises_unmeasured():
    t = am.Target(1000.0, 800.0, 1500.0, False, 1)
    ll = am.log_likelihood([t], _sims([1000.0, 3000.0, np.nan]), np.array([0.3, 0.3, 0.3]))
    assert ll[0] > ll[1] > ll[2]
    days = am.Target(5.0, 5.0, 5.0, True, 10)
    ll = am.log_likelihood([days], _sims([5.0, 9.0, np.nan]), np.full(3, 0.3))
    assert ll[0] > ll[1] > ll[2]


def test_a_wider_error_is_preferred_when_the_model_misses():
    t = am.Target(100.0, 100.0, 100.0, False, 1)
    ll = am.log_likelihood([t], _sims([1000.0, 1000.0]), np.array([0.1, 2.0]))
    assert ll[1] > ll[0]


def test_a_series_weight_scales_the_log_likelihood():
    t = am.Target(100.0, 100.0, 100.0, False, 1)
    half = am.Target(100.0, 100.0, 100.0, False, 1, weight=0.5)
    sims = _sims([300.0])
    full = am.log_likelihood([t], sims, np.array([0.3]))
    assert am.log_likelihood([half], sims, np.array([0.3])) == pytest.approx(0.5 * full)


@given(st.floats(1.0, 60.0), st.floats(0.01, 2.0))
def test_timing_weights_are_probabilities_centred_on_no_shift(elapsed, rho):
    w = am.timing_weights(elapsed, np.array([rho]))[0]
    assert w.sum() == pytest.approx(1.0)
    assert np.all(w >= 0)
    density = w / am.SPACING  # mass per day of the interval each shift stands for
    right = density[am.ZERO:]
    assert np.all(np.diff(right) <= 1e-12)  # falls away from no shift
    assert w == pytest.approx(w[::-1])  # symmetric


def test_a_run_late_by_days_is_forgiven_more_with_a_larger_timing_error():
    """The count was observed on day 0; the run shows it 4 days later."""
    t = am.Target(5000.0, 5000.0, 5000.0, False, 1, elapsed=20.0)
    row = np.zeros(len(am.SHIFTS))
    row[list(am.SHIFTS).index(4)] = 5000.0
    sims = np.array([row, row])[:, None, :]
    ll = am.log_likelihood([t], sims, np.array([0.3, 0.3]), rho=np.array([0.02, 0.3]))
    assert ll[1] > ll[0] + 1.0


def test_series_weights_share_one_weight_per_place_kind_and_cohort():
    import datetime as dt

    from corridor.scenario.model import ObservationRow

    def obs(place, kind="present"):
        return ObservationRow(period_start=dt.date(2021, 1, 1), period_end=dt.date(2021, 1, 2),
                              place=place, kind=kind, value=1.0)

    rows = [obs("Tecún Umán"), obs("tecun uman"), obs("Tecún Umán", "arrived"), obs("X")]
    assert am.series_weights(rows) == [0.5, 0.5, 1.0, 1.0]


def test_tempering_keeps_the_effective_sample_size():
    log_lik = np.array([0.0, -50.0, -60.0, -70.0])
    w, lam = am.tempered(log_lik, np.zeros(4), target=2.0)
    assert lam < 1.0 and am.ess(w) >= 2.0 - 1e-6
    w, lam = am.tempered(np.zeros(4), np.zeros(4), target=2.0)
    assert lam == 1.0 and am.ess(w) == pytest.approx(4.0)
