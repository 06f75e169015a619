"""Observations that measure passage (arrivals, first and median arrival days), by cohort,
and scores kept apart for fitted (in-sample) observations."""

import json
import math

import numpy as np
import pytest
from tiny_fixture import write_scenario
from typer.testing import CliRunner

import corridor
from corridor.analysis.measures import arrival_day
from corridor.analysis.score import compare, score, to_json
from corridor.cli.main import app
from corridor.cli.register import all_commands
from corridor.errors import ScenarioError
from corridor.scenario.load import load_scenario

all_commands(app)
ENGINES = ("agents", "counts")
SPEED = 30.0
KM = {"b": 70.0, "c": 90.0, "d": 100.0}  # a→b, b→c, c→d
# a line a → b → c → d; at constant speed, nobody waits (move chance 1, no rides)
LINE_PLACES = """id,name,country,kind,lat,lon
a,Alpha,HN,origin,15.0,-88.0
b,Bravo,GT,town,15.0,-89.0
c,Charlie,MX,town,15.0,-90.0
d,Delta,MX,destination,16.0,-92.0
"""
LINE_ROUTES = f"""from,to,distance_km
a,b,{KM['b']:g}
b,c,{KM['c']:g}
c,d,{KM['d']:g}
"""
FIRST_DAY, LATE_DAY = 2, 5  # run days of the two cohorts' departures
LINE_DEPARTURES = f"""date,origin,count,nationality,cohort
2020-01-{FIRST_DAY + 1:02d},a,30,HN,early
2020-01-{LATE_DAY + 1:02d},a,70,SV,late
"""
LINE_TOML = f"""name = "line"
start_date = "2020-01-01"
days = 30
seed = 1

[parameters]
walk_speed_km = {SPEED:g}
ride_chance = 0
"""


def transit_days(km: float) -> int:
    """Days from leaving to arriving, km away at SPEED a day with no stops.

    People travel on the day they leave, so the trip takes ceil(km / speed) days of travel
    and ends that many days minus one after the day of departure.
    """
    return math.ceil(km / SPEED) - 1


def to(place: str) -> float:
    """Kilometres from a to a place of the line."""
    order = ["b", "c", "d"]
    return sum(KM[p] for p in order[:order.index(place) + 1])


def line_observations(rows: list[str]) -> str:
    return "period_start,period_end,place,kind,value,low,high,cohort,fitted\n" + "\n".join(
        rows) + "\n"


def run_line(tmp_path, observations: str, engine: str):
    folder = write_scenario(tmp_path / "line", scenario_toml=LINE_TOML, places_csv=LINE_PLACES,
                            routes_csv=LINE_ROUTES, departures_csv=LINE_DEPARTURES,
                            observations_csv=observations)
    out = tmp_path / f"run-{engine}"
    corridor.run(folder, out=out, engine=engine)
    return out


def test_arrival_day_of_a_series():
    assert arrival_day(np.array([0.0, 0, 5, 5]), "first") == 2
    assert arrival_day(np.array([1.0, 0, 0, 99]), "first") == 0  # 1 % of 100 is one person
    assert arrival_day(np.array([1.0, 0, 0, 299]), "first") == 3  # one of 300: not yet 1 %
    assert arrival_day(np.array([0.0, 4, 0, 6]), "median", offset=3) == 6
    assert arrival_day(np.zeros(4), "median") is None


@pytest.mark.parametrize("engine", ENGINES)
def test_arrival_days_follow_the_distance(tmp_path, engine):
    start = f"2020-01-{FIRST_DAY + 1:02d}"
    late = f"2020-01-{LATE_DAY + 1:02d}"
    rows = [
        f"{start},2020-01-30,Delta,first_arrival_days,0,,,early,",
        f"{start},2020-01-30,Charlie,first_arrival_days,0,,,early,",
        f"{start},2020-01-30,Bravo,median_arrival_days,0,,,early,",
        f"{late},2020-01-30,Delta,first_arrival_days,0,,,late,",
        f"{start},2020-01-30,Delta,first_arrival_days,0,,,,",  # everybody: early first
        f"{start},2020-01-30,Delta,median_arrival_days,0,,,,",  # most are late
        f"{start},2020-01-30,Delta,arrived,0,,,,",
        f"{start},2020-01-30,Charlie,arrived,0,,,late,",
        f"{start},2020-01-30,Alpha,arrived,0,,,,",  # leaving the origin is arriving there
        "2020-01-01,2020-01-02,Delta,median_arrival_days,0,,,,",  # nobody yet
    ]
    scores = compare(run_line(tmp_path, line_observations(rows), engine))
    values = [s.simulated for s in scores]
    gap = LATE_DAY - FIRST_DAY
    assert values[:4] == [transit_days(to("d")), transit_days(to("c")),
                          transit_days(to("b")), transit_days(to("d"))]
    assert values[4:6] == [transit_days(to("d")), transit_days(to("d")) + gap]
    assert values[6:9] == [100, 70, 100]
    assert values[9] is None and scores[9].within_range is None


def test_first_arrival_is_robust_to_a_few_early_people(tmp_path):
    """With rare rides, a few arrive early; the first arrival is when 1 % have arrived."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    toml = LINE_TOML.replace("ride_chance = 0", "ride_chance = 0.0005\nride_speed_km = 300")
    deps = "date,origin,count,nationality\n2020-01-01,a,20000,HN\n"
    obs = line_observations(["2020-01-01,2020-01-30,Delta,first_arrival_days,0,,,,"])
    walked = transit_days(to("d"))
    values = {}
    for engine in ENGINES:
        folder = write_scenario(tmp_path / engine, scenario_toml=toml, places_csv=LINE_PLACES,
                                routes_csv=LINE_ROUTES, departures_csv=deps,
                                observations_csv=obs)
        out = tmp_path / f"run-{engine}"
        corridor.run(folder, out=out, engine=engine)
        values[engine] = compare(out)[0].simulated
        flows = pq.read_table(out / "flows.parquet")
        early = flows.filter(pc.and_(pc.equal(flows["to_place"], "d"),
                                     pc.less(flows["day"], walked)))
        # about 10 a day ride 300 km and arrive at once: some, but far fewer than 1 % (200)
        assert 0 < pc.sum(early["count"]).as_py() < 200
    assert values["agents"] == values["counts"] == walked


FITTED_ROWS = [
    "2020-01-03,2020-01-03,Alpha,departed,30,,,,true",  # right, in-sample
    "2020-01-06,2020-01-06,Alpha,departed,70,,,late,false",  # right
    "2020-01-03,2020-01-30,Delta,arrived,1000,,,,",  # wrong (100)
    "2020-01-03,2020-01-30,Delta,first_arrival_days,8,,,early,",  # right (8)
    "2020-01-03,2020-01-30,Delta,median_arrival_days,10,,,early,true",  # ±25 % only (8)
]


@pytest.fixture
def fitted_run(tmp_path):
    return run_line(tmp_path, line_observations(FITTED_ROWS), "agents")


def test_fitted_observations_are_scored_apart(fitted_run):
    assert transit_days(to("d")) == 8  # the rows above assume it
    result = score(fitted_run)
    assert result["out_of_sample"] == {"within_25": 2 / 3, "within_range": 2 / 3, "n": 3}
    assert result["in_sample"] == {"within_25": 1.0, "within_range": 0.5, "n": 2}
    assert result["within_range"] == result["matched_share"] == 3 / 5
    assert result["within_25"] == result["matched_share_widened"] == 4 / 5
    assert [(t["place"], t["observed"], t["simulated"]) for t in result["transit_days"]] == [
        ("Delta", 8, 8), ("Delta", 10, 8)]
    assert [o["fitted"] for o in result["observations"]] == [True, False, False, False, True]


def test_score_cli_shows_in_sample_apart_and_json_has_no_nan(fitted_run):
    res = CliRunner().invoke(app, ["score", str(fitted_run)])
    assert res.exit_code == 0, res.output
    assert "in sample (fitted" in res.output and "out of sample" in res.output
    assert "transit days" in res.output
    res = CliRunner().invoke(app, ["score", str(fitted_run), "--json"])
    data = json.loads(res.output, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert data["out_of_sample"]["n"] == 3 and data["in_sample"]["n"] == 2
    assert data["transit_days"][0] == {**data["transit_days"][0], "place": "Delta",
                                       "observed": 8, "simulated": 8}


def test_nan_never_reaches_json():
    text = to_json({"a": float("nan"), "b": [float("inf"), 1.5], "c": {"d": float("nan")}})
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert data == {"a": None, "b": [None, 1.5], "c": {"d": None}}


@pytest.mark.parametrize(("row", "field", "words"), [
    ("2020-01-03,2020-01-30,Delta,arrived,10,,,nobody,", "cohort", "unknown cohort 'nobody'"),
    ("2020-01-03,2020-01-30,Delta,arrived,10,,,,maybe", "fitted", "neither true nor false"),
    ("2020-01-03,2020-01-30,Delta,first_arrival_days,-2,,,,", "value", "negative"),
    ("2020-01-03,2020-01-30,Delta,median_arrival_days,5,-1,6,,", "low", "negative"),
])
def test_bad_observation_columns_name_file_row_and_field(tmp_path, row, field, words):
    folder = write_scenario(tmp_path / "bad", scenario_toml=LINE_TOML, places_csv=LINE_PLACES,
                            routes_csv=LINE_ROUTES, departures_csv=LINE_DEPARTURES,
                            observations_csv=line_observations([FITTED_ROWS[0], row]))
    with pytest.raises(ScenarioError) as err:
        load_scenario(folder)
    problems = err.value.problems
    assert [(p.file, p.row, p.field) for p in problems] == [("observations.csv", 3, field)]
    assert words in problems[0].message
    res = CliRunner().invoke(app, ["check", str(folder)])
    assert res.exit_code == 2 and "observations.csv" in res.output


def test_arrival_days_do_not_add_up_in_a_sum(tmp_path):
    toml = LINE_TOML + '\n[measures.nonsense]\nsum = ["arrived", "first_arrival_days"]\n'
    folder = write_scenario(tmp_path / "sum", scenario_toml=toml, places_csv=LINE_PLACES,
                            routes_csv=LINE_ROUTES, departures_csv=LINE_DEPARTURES)
    with pytest.raises(ScenarioError, match="number of days"):
        load_scenario(folder)
