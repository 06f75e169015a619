"""`corridor backtest`: cases, persistence, pooled scores and the JSON keys."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

import corridor
from corridor.analysis.backtest import aggregate, default_dates, first_departure, persistence
from corridor.cli.main import app
from corridor.cli.register import all_commands
from corridor.scenario.model import ObservationRow

all_commands(app)
KEYS = ("coverage_50", "coverage_90", "crps", "skill_vs_prior", "skill_vs_persistence")


def _obs(end: int, value: float, place="Tecún Umán", kind="present", cohort="caravan"):
    return ObservationRow(period_start=dt.date(2021, 1, 1), period_end=dt.date(2021, 1, end),
                          place=place, kind=kind, value=value, cohort=cohort)


def test_persistence_carries_the_last_count_of_the_same_place_kind_and_cohort():
    known = [_obs(3, 100), _obs(5, 250), _obs(6, 999, place="Tapachula"),
             _obs(7, 5, cohort=""), _obs(8, 7, kind="departed")]
    assert persistence(known, _obs(9, 400)) == 250
    assert persistence(known, _obs(9, 400, place="tecun uman")) == 250  # names fold
    assert persistence(known, _obs(9, 1, place="Huixtla")) is None


def test_aggregate_pools_coverage_crps_and_skills():
    rows = [{"in_50": True, "in_90": True, "crps": 0.2, "crps_prior": 0.4,
             "crps_persistence": 0.1},
            {"in_50": False, "in_90": True, "crps": 0.4, "crps_prior": 0.4,
             "crps_persistence": None},
            {"in_50": False, "in_90": False, "crps": 0.6, "crps_prior": 1.0,
             "crps_persistence": 0.5}]
    out = aggregate(rows)
    assert out["coverage_50"] == pytest.approx(1 / 3)
    assert out["coverage_90"] == pytest.approx(2 / 3)
    assert out["crps"] == pytest.approx(0.4)
    assert out["skill_vs_prior"] == pytest.approx(1 - 0.4 / 0.6)
    assert out["n_persistence"] == 2
    assert out["skill_vs_persistence"] == pytest.approx(1 - 0.4 / 0.3)


@pytest.mark.parametrize("name", ["caravan-2018-10", "caravan-2020", "caravan-2021-01"])
def test_default_dates_start_after_the_departure_with_counts_on_both_sides(name):
    sc = corridor.load_scenario(name)
    dates = default_dates(sc)
    assert dates, name
    assert dates[0] == first_departure(sc) + dt.timedelta(days=2)
    for d in dates:
        assert any(o.period_end <= d for o in sc.observations)
        assert any(o.period_end > d and not o.fitted for o in sc.observations)


def test_backtest_command_gives_the_keys_per_case_and_overall(tmp_path):
    out = tmp_path / "bt.json"
    res = CliRunner().invoke(app, ["backtest", "caravan-2021-01", "--as-of", "2021-01-17",
                                   "--runs", "3", "--stages", "1", "--jobs", "1", "--seed", "1",
                                   "--json", "--out", str(out)])
    assert res.exit_code == 0, res.output
    result = json.loads(res.output)
    assert json.loads(out.read_text()) == result
    (case,) = result["cases"]
    assert case["as_of"] == "2021-01-17" and case["n_scored"] > 0
    for key in KEYS:
        assert key in case and key in result["overall"]
    assert all(r["period_end"] > "2021-01-17" for r in case["rows"])
    assert 0.0 <= case["coverage_50"] <= case["coverage_90"] <= 1.0


def test_backtest_refuses_a_date_inside_no_run():
    res = CliRunner().invoke(app, ["backtest", "caravan-2021-01", "--as-of", "2030-01-01",
                                   "--runs", "2", "--jobs", "1"])
    assert res.exit_code == 2
    assert "2030-01-01" in res.output
    res = CliRunner().invoke(app, ["backtest", "caravan-2021-01", "--as-of", "yesterday",
                                   "--jobs", "1"])
    assert res.exit_code == 2 and "YYYY-MM-DD" in res.output
