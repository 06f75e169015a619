"""`corridor calibrate --posterior`: weighted particles of the calibrated factors."""

import json

import pytest

import corridor
from corridor.analysis.backends import InlineBackend
from corridor.analysis.factors import Factor
from corridor.analysis.posterior import calibrate_posterior, factor_quantities, write_posterior


def test_a_posterior_gives_weighted_particles_inside_the_factors_ranges(tmp_path):
    sc = corridor.load_scenario("caravan-2021-01", ["days=10", "drop_late_departures=true"])
    factors = [Factor("walk_speed_km", 20.0, 50.0), Factor("ride_chance", 0.1, 1.0)]
    post = calibrate_posterior(sc, factors, {"walk_speed_km": 30.0, "ride_chance": 0.8},
                               runs=4, seed=3, backend=InlineBackend())
    particles = post["particles"]
    assert len(particles) == 4
    assert sum(p["weight"] for p in particles) == pytest.approx(1.0)
    for p in particles:
        assert 20.0 <= p["walk_speed_km"] <= 50.0 and 0.1 <= p["ride_chance"] <= 1.0
    assert set(post["quantities"]) == {"walk_speed_km", "ride_chance", "gross_error",
                                       "timing_error", "obs_error"}
    path = write_posterior(tmp_path / "post.json", post)
    assert json.loads(path.read_text())["particles"][0].keys() >= {"weight", "walk_speed_km"}


def test_switches_are_not_assimilated_and_a_posterior_needs_a_range():
    switch = Factor("rules.x.enabled", 0, 1, kind="switch")
    names = [q.name for q in factor_quantities([Factor("a", 0.0, 1.0), switch], {})]
    assert names == ["a", "gross_error", "timing_error", "obs_error"]
    with pytest.raises(corridor.errors.CorridorError):
        factor_quantities([switch], {})
