"""`corridor score`: a run against its scenario's observations."""

import json
import math

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from tiny_fixture import write_scenario
from typer.testing import CliRunner

import corridor
from corridor.analysis.score import ObservationScore, compare, factor_off, score, to_json
from corridor.cli.main import app
from corridor.cli.register import all_commands

all_commands(app)

MEASURES = """
[measures.entered]
crossed = "HN>GT"
"""
OBSERVATIONS = """period_start,period_end,place,kind,value,low,high,source
2020-01-01,2020-01-01,Alpha,departed,1000,,,D1
2020-01-01,2020-01-05,GT,entered,1500,1400,1600,D2
2020-01-03,2020-01-03,a,departed,350,300,380,D3
2019-12-30,2020-01-01,Alpha,departed,2000,,,D4
2020-03-01,2020-03-02,Delta,present,10,,,D5
2020-01-01,2020-01-20,Delta,arrived,100,,,D6
"""


@pytest.fixture
def run_dir(tmp_path):
    from tiny_fixture import TINY_TOML

    folder = write_scenario(tmp_path / "sc", scenario_toml=TINY_TOML + MEASURES,
                            observations_csv=OBSERVATIONS)
    out = tmp_path / "run"
    corridor.run(folder, out=out)
    return out


def test_factor_off_a_range():
    assert factor_off(120, 100, 150) == 1.0
    assert factor_off(300, 100, 150) == 2.0
    assert factor_off(50, 100, 150) == 2.0
    assert math.isinf(factor_off(0, 100, 150))
    assert factor_off(0, 0, 0) == 1.0


def test_compare_measures_each_observation_over_its_period(run_dir):
    scores = compare(run_dir)
    assert [s.source for s in scores] == ["D1", "D2", "D3", "D4", "D5", "D6"]
    assert all(isinstance(s, ObservationScore) for s in scores)
    departed, entered, wrong, partial, outside, arrived = scores
    assert departed.simulated == 1000 and departed.within_range and departed.relative_error == 0
    flows = pq.read_table(run_dir / "flows.parquet")
    crossed = flows.filter(pc.and_(pc.equal(flows["from_place"], "a"),
                                   pc.equal(flows["to_place"], "b")))
    assert entered.simulated == pc.sum(crossed["count"]).as_py() == 1500
    assert entered.within_range and entered.low == 1400 and entered.high == 1600
    assert wrong.simulated == 500 and not wrong.within_range and not wrong.within_widened
    assert wrong.relative_error == pytest.approx(150 / 350)
    assert wrong.factor_off == pytest.approx(500 / 380)
    assert partial.coverage == pytest.approx(1 / 3) and partial.simulated == 1000
    assert outside.simulated is None and outside.within_range is None
    assert outside.coverage == 0
    daily = pq.read_table(run_dir / "daily.parquet")
    at_d = daily.filter(pc.and_(pc.equal(daily["place"], "d"),
                                pc.equal(daily["state"], "arrived")))
    assert arrived.simulated == pc.max(at_d["count"]).as_py()


def test_score_sums_up_and_leaves_room_for_ard(run_dir):
    result = score(run_dir)
    for key in ("observations", "matched_share", "matched_share_widened",
                "mean_abs_relative_error", "max_factor_off", "ard"):
        assert key in result
    n = len(result["observations"])
    within = sum(bool(o["within_range"]) for o in result["observations"])
    assert result["matched_share"] == within / n
    assert result["matched_share"] <= result["matched_share_widened"]
    assert result["ard"] is None  # not a Flee run
    measured = [o for o in result["observations"] if o["simulated"] is not None]
    assert result["max_factor_off"] == max(o["factor_off"] for o in measured)


def test_json_is_strict_json_with_non_finite_numbers_as_null():
    text = to_json({"max_factor_off": math.inf, "observations": [{"factor_off": math.inf},
                                                                 {"relative_error": math.nan}]})
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))
    assert data == {"max_factor_off": None,
                    "observations": [{"factor_off": None}, {"relative_error": None}]}


def test_cli_prints_a_table_or_json(run_dir):
    cli = CliRunner()
    res = cli.invoke(app, ["score", str(run_dir)])
    assert res.exit_code == 0, res.output
    assert "within the range widened by 25 %" in res.output and "Alpha" in res.output
    res = cli.invoke(app, ["score", str(run_dir), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert len(data["observations"]) == 6
    assert data["observations"][0]["period_start"] == "2020-01-01"


def test_cli_bad_input_exits_2_without_traceback(tmp_path, run_dir):
    cli = CliRunner()
    res = cli.invoke(app, ["score", str(tmp_path / "nothing")])
    assert res.exit_code == 2 and "not a run folder" in res.output
    assert "Traceback" not in res.output
    with (run_dir / "scenario" / "observations.csv").open("a") as f:
        f.write("2020-01-01,2020-01-02,Narnia,present,5,,,X\n")
    res = cli.invoke(app, ["score", str(run_dir)])
    assert res.exit_code == 2
    assert "observations.csv, row 8, field 'place'" in res.output
    assert "Traceback" not in res.output


def test_a_run_without_observations_has_nothing_to_score(tmp_path):
    out = tmp_path / "run"
    corridor.run(write_scenario(tmp_path / "sc"), out=out)
    assert compare(out) == []
    res = CliRunner().invoke(app, ["score", str(out)])
    assert res.exit_code == 2 and "nothing to score" in res.output


def test_an_infinite_factor_is_explained_not_printed_as_inf(tmp_path):
    """Nobody is at Echo on day 1 (people start at Alpha): the factor has no finite size."""
    from tiny_fixture import TINY_TOML

    folder = write_scenario(tmp_path / "sc", scenario_toml=TINY_TOML, observations_csv=(
        "period_start,period_end,place,kind,value,low,high,source\n"
        "2020-01-01,2020-01-01,Alpha,departed,1000,,,D1\n"
        "2020-01-01,2020-01-01,Echo,present,250,200,300,D2\n"))
    out = tmp_path / "run"
    corridor.run(folder, out=out)
    result = score(out)
    assert math.isinf(result["max_factor_off"])
    assert result["max_factor_where"]["place"] == "Echo"
    res = CliRunner().invoke(app, ["score", str(out)])
    assert res.exit_code == 0, res.output
    line = next(t for t in res.output.splitlines() if t.startswith("largest factor"))
    assert "inf" not in line
    assert "the run has 0 where 200–300 were observed (Echo, present, 2020-01-01)" in line
