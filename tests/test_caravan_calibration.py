"""The calibrated built-in scenario against its observations, and the transit-denial what-if."""

import pytest

import corridor
from corridor.analysis.score import score


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("caravan") / "run"
    corridor.run("caravan-2020", out=out)
    return out


def test_the_run_covers_every_observation(default_run):
    result = score(default_run)
    assert len(result["observations"]) == 30
    assert result["n_measured"] == 30  # the run covers every observed period


@pytest.mark.xfail(strict=True, reason=(
    "issue #11: since observations.csv scores the caravan's own counts on the caravan cohort "
    "only (cohort = caravan), background flows no longer fill them in: caravan-2020 is at "
    "19 of 30 within ±25 % (a factor of 16.7 at Tecún Umán on 23 Jan); the joint refit of "
    "the caravan model over the three caravans has to bring it back to the target"))
def test_default_run_matches_the_observations(default_run):
    """≥ 70 % of the observations within their range widened by 25 %, none off by more than a
    factor of 3 (the calibration target; README, "Calibration")."""
    result = score(default_run)
    assert result["matched_share_widened"] >= 0.7, result["matched_share_widened"]
    assert result["max_factor_off"] <= 3, result["max_factor_off"]


def test_the_caravan_figures_are_the_caravan_s(default_run):
    """The counts that are the caravan's alone (departures, INM's return operation) are not
    swelled by the background flows."""
    rows = {(o["place"], o["kind"], str(o["period_start"])): o
            for o in score(default_run)["observations"]}
    assert rows[("San Pedro Sula", "departed", "2020-01-15")]["simulated"] == 1000
    returned = rows[("Mexico to Honduras", "returned", "2020-01-18")]["simulated"]
    by_air = rows[("Mexico to Honduras", "returned_by_air", "2020-01-18")]["simulated"]
    by_land = rows[("Mexico to Honduras", "returned_by_land", "2020-01-18")]["simulated"]
    assert returned == by_air + by_land
    assert by_air <= 7 * 170 and by_land <= 7 * 177  # the operation's seats, 21–27 Jan


def reached_the_us_border_from_the_south(result):
    """People who came through Guatemala and reached a Mexican border city."""
    return sum(r["count"] for r in result.outcomes.to_pylist()
               if "GT" in r["countries"].split(",") and "border_city" in r["kinds"].split(","))


def test_without_transit_denial_far_more_people_reach_the_us_border():
    """Switching off Mexico's refusal of transit permits lets reviewed cases go north and lifts
    the interceptions on the way out of Chiapas and Tabasco."""
    base = corridor.run("caravan-2020")
    off = corridor.run("caravan-2020", settings=["rules.mx-transit-denial.enabled=false"])
    assert off.summary["departed"] == base.summary["departed"]
    north_base = reached_the_us_border_from_the_south(base)
    north_off = reached_the_us_border_from_the_south(off)
    assert north_off >= 1.5 * north_base, (north_base, north_off)
    assert "settled_south" not in off.summary["by_state"]  # no review offers work without it
