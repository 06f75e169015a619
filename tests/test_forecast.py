"""`corridor forecast`: only counts known by the as-of date weigh; same seed, same forecast."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import corridor
from corridor.analysis.backends import InlineBackend
from corridor.analysis.forecast import (
    quantities,
    run_smc,
    split,
    stage_dates,
)
from corridor.analysis.forecast_members import particle_scenario
from corridor.cli.main import app
from corridor.cli.register import all_commands

all_commands(app)
NAME = "caravan-2021-01"  # the fastest built-in caravan (~0.1 s a run)
AS_OF = dt.date(2021, 1, 16)


@pytest.fixture(scope="module")
def scenario():
    return corridor.load_scenario(NAME)


def _forecast(sc, seed=3, runs=4):
    return run_smc(sc, AS_OF, runs=runs, stages=2, horizon_days=3, seed=seed,
                   backend=InlineBackend(), bands=False)


def test_split_keeps_only_counts_whose_period_ended_by_the_date(scenario):
    known, later = split(scenario.observations, AS_OF)
    assert known and later
    assert all(o.period_end <= AS_OF for o in known)
    assert all(o.period_end > AS_OF for o in later)
    assert len(known) + len(later) == len(scenario.observations)


def test_a_later_count_does_not_change_the_forecast(scenario):
    """Changing every count after the as-of date must leave the posterior as it was."""
    _, later = split(scenario.observations, AS_OF)
    changed = tuple(o.model_copy(update={"value": o.value * 50 + 7, "low": None, "high": None})
                    if o.period_end > AS_OF else o for o in scenario.observations)
    assert sum(a != b for a, b in zip(changed, scenario.observations, strict=True)) == len(later)
    a = _forecast(scenario)
    b = _forecast(scenario.replace(observations=changed))
    assert np.array_equal(a.weights, b.weights)
    assert np.array_equal(a.z, b.z)
    assert np.array_equal(a.log_likelihood, b.log_likelihood)


def test_a_known_count_does_change_the_forecast(scenario):
    """The counterpart of the leak test: the filter does read the counts it may read."""
    changed = tuple(o.model_copy(update={"value": o.value * 50 + 7, "low": None, "high": None})
                    if o.period_end <= AS_OF else o for o in scenario.observations)
    a = _forecast(scenario)
    b = _forecast(scenario.replace(observations=changed))
    assert not np.array_equal(a.log_likelihood, b.log_likelihood)


def test_same_seed_same_forecast_other_seed_other_draws(scenario):
    a, b, c = _forecast(scenario, 3), _forecast(scenario, 3), _forecast(scenario, 4)
    assert np.array_equal(a.z, b.z) and np.array_equal(a.weights, b.weights)
    assert np.array_equal(a.simulated, b.simulated, equal_nan=True)
    assert not np.array_equal(a.z, c.z)


def test_the_weights_are_normalised_and_stages_end_on_the_as_of_date(scenario):
    r = _forecast(scenario)
    assert r.weights.sum() == pytest.approx(1.0)
    assert r.stages[-1].date == AS_OF
    assert [s.date for s in r.stages] == sorted(s.date for s in r.stages)
    known, _ = split(scenario.observations, AS_OF)
    assert r.stages[-1].n_observations == len(known)


def test_stage_dates_split_the_known_counts():
    class Obs:
        def __init__(self, day):
            self.period_end = dt.date(2021, 1, day)

    known = [Obs(d) for d in (10, 10, 11, 12, 12, 12)]
    assert stage_dates(known, dt.date(2021, 1, 13), 2) == [dt.date(2021, 1, 11),
                                                           dt.date(2021, 1, 13)]
    assert stage_dates(known, dt.date(2021, 1, 13), 1) == [dt.date(2021, 1, 13)]
    assert stage_dates([], dt.date(2021, 1, 13), 3) == [dt.date(2021, 1, 13)]


def test_a_particle_scales_the_caravan_and_the_rules(scenario):
    names = [q.name for q in quantities(scenario)]
    assert names[0] == "caravan_size" and names[-1] == "obs_error"
    assert "walk_speed_km" in names
    sc = particle_scenario(scenario, {"caravan_size": 2.0, "returns": 0.5,
                                      "enforcement": 10.0}, days=10)
    before = sum(d.count for d in scenario.departures)
    assert sum(d.count for d in sc.departures) == pytest.approx(2 * before, abs=3)
    assert sc.config.days == 10
    for old, new in zip(scenario.rules, sc.rules, strict=True):
        if old.kind == "assisted_return" and old.daily_seats:
            assert new.daily_seats == round(old.daily_seats * 0.5)
        for field in ("intercept_chance", "stop_chance"):
            if old.kind in ("checkpoint", "border_control") and getattr(old, field, None):
                assert getattr(new, field) == min(getattr(old, field) * 10, 1.0)


def test_forecast_command_writes_bands_posterior_and_page(tmp_path: Path):
    out = tmp_path / "fc"
    result = CliRunner().invoke(app, ["forecast", NAME, "--as-of", "2021-01-16", "--runs", "4",
                                      "--horizon", "3", "--jobs", "1", "--out", str(out),
                                      "--seed", "2", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["as_of"] == "2021-01-16" and summary["runs"] == 4
    assert any(not r["known"] for r in summary["observations"])
    bands = pq.read_table(out / "bands.parquet").to_pylist()
    assert {r["cohort"] for r in bands} >= {"caravan", "*"}
    assert min(r["date"] for r in bands) == dt.date(2021, 1, 16)
    assert max(r["date"] for r in bands) == dt.date(2021, 1, 19)
    by_key: dict = {}
    for r in bands:
        by_key.setdefault((r["day"], r["place"], r["state"], r["cohort"]), []).append(
            (r["quantile"], r["count"]))
    for rows in by_key.values():
        counts = [c for _, c in sorted(rows)]
        assert counts == sorted(counts)  # 5 % ≤ 25 % ≤ … ≤ 95 %
    post = pq.read_table(out / "posterior.parquet")
    assert sum(post["weight"].to_pylist()) == pytest.approx(1.0)
    assert "caravan_size" in post.column_names
    html = (out / "forecast.html").read_text(encoding="utf-8")
    assert "<script src=" not in html and "came later" in html
    # the fan's panels are titled by the places' names, not their ids
    from corridor.report.forecast import _label
    names = {"vado-hondo": "Vado Hondo", "chiquimula": "Chiquimula"}
    assert _label("vado-hondo>chiquimula", names) == "Vado Hondo → Chiquimula"
    fan = [r["place"] for r in bands if r["cohort"] == "caravan" and r["state"] == "*"
           and r["quantile"] == 0.5 and r["count"] > 0 and ">" not in r["place"]]
    names = {pl.id: pl.name for pl in corridor.load_scenario(NAME).places}
    assert any(f'"text":"{names[p]}"' in html for p in fan if names[p] != p)


@pytest.mark.parametrize(("args", "needle"), [
    (["--as-of", "2021-13-40"], "--as-of"),
    (["--as-of", "2019-01-01"], "outside the scenario's run"),
])
def test_bad_dates_exit_2(args, needle, tmp_path):
    result = CliRunner().invoke(app, ["forecast", NAME, *args, "--runs", "2", "--jobs", "1",
                                      "--out", str(tmp_path / "fc")])
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert not (tmp_path / "fc" / "forecast.json").exists()


def test_a_bad_counts_file_exits_2_naming_file_row_and_field(tmp_path, scenario):
    text = scenario.files["observations.csv"].splitlines()
    head, rows = text[0], text[1:]
    cols = head.split(",")
    bad = rows[2].split(",")
    bad[cols.index("value")] = "lots"
    path = tmp_path / "counts.csv"
    path.write_text("\n".join([head, rows[0], rows[1], ",".join(bad)]) + "\n")
    result = CliRunner().invoke(app, ["forecast", NAME, "--as-of", "2021-01-16",
                                      "--observations", str(path), "--runs", "2", "--jobs",
                                      "1", "--out", str(tmp_path / "fc")])
    assert result.exit_code == 2, result.output
    assert "counts.csv" in result.output and "row 4" in result.output
    assert "value" in result.output
    missing = CliRunner().invoke(app, ["forecast", NAME, "--as-of", "2021-01-16",
                                       "--observations", str(tmp_path / "nope.csv"),
                                       "--out", str(tmp_path / "fc")])
    assert missing.exit_code == 2


def test_new_counts_from_a_file_are_what_is_assimilated(tmp_path, scenario):
    text = scenario.files["observations.csv"].splitlines()
    path = tmp_path / "counts.csv"
    path.write_text("\n".join(text[:4]) + "\n")  # the first three counts only
    out = tmp_path / "fc"
    result = CliRunner().invoke(app, ["forecast", NAME, "--as-of", "2021-01-16",
                                      "--observations", str(path), "--runs", "3",
                                      "--horizon", "2", "--jobs", "1", "--out", str(out),
                                      "--json", "--no-report"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["n_known"] == 3 and summary["n_later"] == 0


def test_a_caravan_s_forecast_centres_on_the_fit_that_left_it_out():
    """The prior of a built-in caravan is its leave-one-out fold, never a fit on its own
    (later) counts; another scenario gets the joint fit."""
    from corridor.analysis.crossval import shipped_fits
    from corridor.analysis.forecast import general_center

    fits = shipped_fits()
    for name in ("caravan-2018-10", "caravan-2020", "caravan-2021-01"):
        key = next(k for k in fits["fold"] if name not in k.split("+"))
        assert general_center(name) == pytest.approx(dict(fits["fold"][key]))
        for k in fits["fold"]:
            if name in k.split("+"):
                assert general_center(name) != pytest.approx(dict(fits["fold"][k]))
    assert general_center("somewhere-else") == pytest.approx(dict(fits["joint"]))
