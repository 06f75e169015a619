"""Ensembles over a posterior (`corridor ensemble --posterior`): draws by weight, members run
with their particle's values, what-ifs over the same draws, bad files refused with exit 2."""

import json
import math

import pytest
from conftest import write_scenario
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from corridor.cli.main import app
from corridor.cli.register import all_commands
from corridor.scenario import load_scenario

duckdb = pytest.importorskip("duckdb")

from corridor.analysis.backends import InlineBackend  # noqa: E402
from corridor.analysis.ensemble import point_scenario, run_ensemble  # noqa: E402
from corridor.analysis.posterior_members import draw_points  # noqa: E402

all_commands(app)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return load_scenario(write_scenario(tmp_path_factory.mktemp("s") / "tiny"), ["days=8"])


def _posterior(path, particles):
    path.write_text(json.dumps({"particles": particles}))
    return path


@settings(max_examples=40, deadline=None)
@given(weights=st.lists(st.floats(0.0, 10.0), min_size=1, max_size=8).filter(
    lambda w: sum(w) > 0), runs=st.integers(1, 60), seed=st.integers(0, 2**32))
def test_particles_are_drawn_in_proportion_to_their_weights(tiny, tmp_path_factory, weights,
                                                            runs, seed):
    """Systematic resampling: particle i is drawn floor(n w_i) or ceil(n w_i) times (one of
    weight 0 never), and the same seed draws the same particles."""
    path = _posterior(tmp_path_factory.mktemp("p") / "post.json",
                      [{"weight": w, "walk_speed_km": 20.0 + i} for i, w in enumerate(weights)])
    points, info = draw_points(path, runs, seed, tiny)
    drawn = [p.values["particle"] for p in points]
    total = sum(weights)
    for i, w in enumerate(weights):
        share = runs * w / total
        assert math.floor(share - 1e-9) <= drawn.count(i) <= math.ceil(share + 1e-9)
    assert [p.settings for p in points] == [
        (f"walk_speed_km={20.0 + i!r}",) for i in drawn]
    assert [p.index for p in points] == list(range(runs))
    again, _ = draw_points(path, runs, seed, tiny)
    assert again == points
    assert info["distinct_drawn"] == len(set(drawn))


def test_each_member_runs_with_its_particles_values(tiny, tmp_path):
    """Two particles, no rides: walking 5 km a day nobody gets past Bravo (50 km) in 8 days; at
    300 km a day people reach a destination. Each member's arrivals say which particle it ran,
    and they match the particles drawn for it."""
    path = _posterior(tmp_path / "post.json", [
        {"weight": 0.25, "log_likelihood": -1.0, "walk_speed_km": 5.0, "obs_error": 0.4},
        {"weight": 0.75, "log_likelihood": -2.0, "walk_speed_km": 300.0, "obs_error": 0.4}])
    out = ("reached:destination",)
    res = run_ensemble(point_scenario(tiny, ["ride_chance=0"]), 8, tmp_path / "ens", seed=5,
                       backend=InlineBackend(), outputs=out, posterior=path)
    points, _ = draw_points(path, 8, 5, tiny)
    fast = {p.index for p in points if p.values["walk_speed_km"] == 300.0}
    assert len(fast) == 6  # 0.75 of 8
    reached = {s.member: s.metrics["reached:destination"] for s in res.study.summaries}
    assert sorted(reached) == list(range(8))
    for k, value in reached.items():
        assert (value > 0) == (k in fast), (k, value)
    assert res.info["posterior"]["particles"] == 2
    assert res.info["posterior"]["parameters"] == ["walk_speed_km"]  # obs_error left out


def test_a_what_if_draws_the_same_particles(tiny, tmp_path):
    """The same posterior and seed with another --set: the same particle for every member."""
    path = _posterior(tmp_path / "post.json", [{"weight": w, "walk_speed_km": v}
                                               for w, v in ((1, 20.0), (2, 30.0), (3, 40.0))])
    runs = {}
    for name, sc in (("base", tiny), ("what-if", point_scenario(tiny, ["ride_chance=0"]))):
        res = run_ensemble(sc, 6, tmp_path / name, seed=9, backend=InlineBackend(),
                           outputs=("reached:destination",), posterior=path)
        catalog = duckdb.connect(str(tmp_path / name / "catalog.duckdb"), read_only=True)
        runs[name] = sorted(catalog.execute('select point, "values" from points').fetchall())
        catalog.close()
        assert res.study.done == 6
    assert runs["base"] == runs["what-if"]


@pytest.mark.parametrize("particles, message", [
    (None, "no such file"),
    ([], "no particles"),
    ([{"weight": -1, "walk_speed_km": 20.0}], "weight"),
    ([{"weight": 0, "walk_speed_km": 20.0}], "every weight is 0"),
    ([{"weight": 1, "walk_speed_km": "fast"}], "not a number"),
    ([{"weight": 1}], "no parameter columns"),
    ([{"weight": 1, "caravan_size": 1.2, "walk_speed_km": 20.0}], "caravan_size"),
])
def test_a_bad_posterior_is_refused_with_exit_2_before_any_run(tmp_path, particles, message):
    folder = write_scenario(tmp_path / "tiny")
    path = tmp_path / "post.json"
    if particles is not None:
        _posterior(path, particles)
    out = tmp_path / "ens"
    res = CliRunner().invoke(app, ["ensemble", str(folder), "--runs", "3", "-j", "1",
                                   "--posterior", str(path), "--out", str(out),
                                   "--no-report"])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert not (out / "members").exists()
