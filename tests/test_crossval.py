"""Leave-one-out validation: folds, out-of-sample scores, shipped fits."""

from __future__ import annotations

import json
from pathlib import Path

from tiny_fixture import write_scenario
from typer.testing import CliRunner

from corridor.analysis import crossval as cv
from corridor.cli.main import app
from corridor.cli.register import all_commands

all_commands(app)

# everybody leaves a on day 0 and walks 30 km a day: b (50 km) is reached on day 1
OBS = """period_start,period_end,place,kind,value,low,high,source,cohort,fitted
2020-01-01,2020-01-20,b,arrived,1500,1400,1600,test,,false
2020-01-01,2020-01-01,a,departed,99999,99999,99999,test,,true
2020-01-01,2020-01-20,b,median_arrival_days,1,1,1,test,,false
"""


def _caravan(tmp_path: Path, name: str) -> Path:
    return write_scenario(tmp_path / name, observations_csv=OBS)


def test_fitted_observations_are_kept_out_of_the_out_of_sample_score(tmp_path):
    folder = _caravan(tmp_path, "one")
    row = cv.score_run(str(folder), {"ride_chance": 0.0}, seed=1, engine="counts")
    assert row.n == 2  # the fitted row is not counted
    assert row.within_25 == 1.0  # both out-of-sample rows match
    assert row.in_sample_within_25 == 0.0  # the fitted row is far off (1,000 departed there)
    assert [t["place"] for t in row.transit_days] == ["b"]
    assert row.transit_days[0]["simulated"] == 1


def test_crossval_refit_gives_a_fold_per_held_out_scenario(tmp_path):
    a, b = _caravan(tmp_path, "a"), _caravan(tmp_path, "b")
    res = CliRunner().invoke(app, ["crossval", str(a), str(b), "--refit", "--trials", "2",
                                   "--seeds", "1", "--json",
                                   "--write-fits", str(tmp_path / "fits.toml")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert [f["held_out"] for f in data["folds"]] == [str(a), str(b)]
    for fold in data["folds"]:
        assert set(fold) >= {"held_out", "within_25", "within_range", "transit_days",
                             "reached_us_border_share", "parameters"}
        assert fold["trained_on"] == [str(b) if fold["held_out"] == str(a) else str(a)]
        assert set(fold["parameters"]) == set(cv.GENERAL)
    assert len(data["in_sample"]) == 2
    fits = (tmp_path / "fits.toml").read_text()
    assert f'[fold."{b}"]' in fits and "[joint]" in fits


def test_one_scenario_is_not_a_crossval(tmp_path):
    res = CliRunner().invoke(app, ["crossval", str(_caravan(tmp_path, "a"))])
    assert res.exit_code == 2 and "at least two" in res.output


def test_without_refit_the_shipped_fits_are_used_or_their_absence_is_said(tmp_path):
    a, b = _caravan(tmp_path, "a"), _caravan(tmp_path, "b")
    res = CliRunner().invoke(app, ["crossval", str(a), str(b)])
    assert res.exit_code == 2
    assert "--refit" in res.output  # no fit for these two: says how to make one


def test_the_shipped_fits_cover_every_fold_of_the_three_caravans():
    fits = cv.shipped_fits()
    names = ["caravan-2018-10", "caravan-2020", "caravan-2021-01"]
    for held in names:
        key = "+".join(sorted(n for n in names if n != held))
        assert set(fits["fold"][key]) == set(cv.GENERAL)
        for name, value in fits["fold"][key].items():
            low, high, _ = cv.GENERAL[name]
            assert low <= value <= high
    assert set(fits["joint"]) == set(cv.GENERAL)
