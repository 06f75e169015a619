"""A caravan's group behaviour, on both representations: nights at places, travelling with the
group, going home on one's own, waiting at closures, shelters and a port's list ahead."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from tiny_fixture import write_scenario

import corridor

ENGINES = ("agents", "counts")

PLACES = """id,name,country,kind,lat,lon,capacity
a,Alpha,HN,origin,15.0,-88.0,
b,Bravo,GT,town,15.0,-89.0,
c,Charlie,MX,town,16.0,-90.0,
d,Delta,MX,destination,17.0,-92.0,
"""


def _scenario(tmp_path: Path, name: str, params: str, routes: str, people: int = 2000,
              places: str = PLACES, rules: str | None = None, days: int = 20,
              extra: str = "") -> Path:
    toml = f"""name = "{name.lower()}"
description = "a caravan's group behaviour"
start_date = "2020-01-01"
days = {days}
seed = 5

[parameters]
{params}
{extra}
"""
    files = {"places_csv": places, "routes_csv": routes, "scenario_toml": toml,
             "departures_csv": f"date,origin,count,nationality,cohort\n2020-01-01,a,{people},HN,"
                               f"caravan\n"}
    if rules is not None:
        files["rules_toml"] = rules
    return write_scenario(tmp_path / name, **files)


def _at(result, day: int, place: str, state: str | None = None) -> int:
    return sum(r["count"] for r in result.daily.to_pylist()
               if r["day"] == day and r["place"] == place
               and (state is None or r["state"] == state))


def _positions(result, day: int) -> set[str]:
    return {r["place"] for r in result.daily.to_pylist() if r["day"] == day and r["count"] > 0}


LINE = """from,to,distance_km,mode,two_way
a,b,20,road,false
b,c,20,road,false
c,d,100,road,false
"""


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("overnight", [False, True])
def test_nights_are_spent_at_places(tmp_path, engine, overnight):
    """30 km a day: 20 km to b leaves 10 km, too little for the 20 km to c. With
    overnight_at_places everybody sleeps at b; without, everybody is 10 km on the road."""
    folder = _scenario(tmp_path, f"night{overnight}",
                       f"walk_speed_km = 30\nride_chance = 0\n"
                       f"overnight_at_places = {str(overnight).lower()}", LINE)
    result = corridor.run(corridor.load_scenario(folder), engine=engine, seed=1)
    assert _at(result, 0, "b") == (2000 if overnight else 0)
    assert _at(result, 0, "b>c") == (0 if overnight else 2000)
    # a leg longer than a day is started in the morning: on day 2 they set out for d (100 km)
    assert _at(result, 2, "c>d") == 2000 if overnight else True


RIDES = """from,to,distance_km,mode,two_way
a,b,300,road,false
b,c,300,road,false
c,d,300,road,false
"""


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("cohesion", [0.0, 1.0])
def test_the_group_goes_at_its_mean_pace(tmp_path, engine, cohesion):
    """Half the travellers get a ride each day (300 km; on foot 30 km). With pace_cohesion 1
    the cohort goes at its mean pace, 30 + 0.5 × 270 = 165 km a day, all in one spot; with 0
    about half are at b (300 km) after day 0, the others 30 km down the road."""
    folder = _scenario(tmp_path, f"pace{cohesion}",
                       f"walk_speed_km = 30\nride_chance = 0.5\nride_speed_km = 300\n"
                       f"pace_cohesion = {cohesion}", RIDES, days=4)
    result = corridor.run(corridor.load_scenario(folder), engine=engine, seed=3)
    if cohesion == 1.0:
        assert [_positions(result, day) for day in range(4)] == [
            {"a>b"}, {"b>c"}, {"b>c"}, {"c>d"}]  # 165, 330, 495, 660 km; b at 300, c at 600
        assert _at(result, 3, "c>d") == 2000
    else:
        assert _at(result, 0, "b") == pytest.approx(1000, abs=4 * math.sqrt(500))
        assert _at(result, 0, "a>b") == 2000 - _at(result, 0, "b")


FORK = """from,to,distance_km,mode,two_way
a,b,100,road,false
a,c,100,road,false
b,d,100,road,false
c,d,100,road,false
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_the_group_takes_one_way(tmp_path, engine):
    """Two equal ways from a: with pace_cohesion 1 everyone takes the group's; with 0.5, the
    group's way gets 50 % plus half of the individual draws (75 %)."""
    for seed in (1, 2):
        folder = _scenario(tmp_path, f"fork{seed}", "walk_speed_km = 100\nride_chance = 0\n"
                           "pace_cohesion = 1.0", FORK)
        result = corridor.run(corridor.load_scenario(folder), engine=engine, seed=seed)
        assert sorted([_at(result, 0, "b"), _at(result, 0, "c")]) == [0, 2000]
    folder = _scenario(tmp_path, "forkhalf", "walk_speed_km = 100\nride_chance = 0\n"
                       "pace_cohesion = 0.5", FORK, people=20000)
    result = corridor.run(corridor.load_scenario(folder), engine=engine, seed=4)
    big = max(_at(result, 0, "b"), _at(result, 0, "c"))
    assert big == pytest.approx(15000, abs=4 * math.sqrt(20000 * 0.25))


@pytest.mark.parametrize("engine", ENGINES)
def test_people_who_give_up_go_home_on_their_own(tmp_path, engine):
    """attrition 5 % a day, 60 % of those go home: they are returned_voluntary at the origin,
    counted there by the model cause `attrition`, which an aggregate can name."""
    routes = "from,to,distance_km,mode,two_way\na,d,5000,road,false\n"
    extra = """[aggregates."back in Honduras"]
countries = ["HN"]
rules = ["attrition"]
"""
    folder = _scenario(tmp_path, "home", "walk_speed_km = 30\nride_chance = 0\n"
                       "attrition_chance = 0.05\nattrition_home_share = 0.6", routes,
                       people=20000, days=10, extra=extra)
    folder.joinpath("observations.csv").write_text(
        "period_start,period_end,place,kind,value\n"
        "2020-01-01,2020-01-10,back in Honduras,returned_voluntary,1\n")
    sc = corridor.load_scenario(folder)
    out = tmp_path / f"home-{engine}"
    result = corridor.run(sc, engine=engine, seed=8, out=out)
    p = 1 - 0.95 ** 10
    by_state = result.summary["by_state"]
    home = by_state.get("returned_voluntary", 0)
    stayed = by_state.get("gave_up", 0)
    assert home + stayed == pytest.approx(20000 * p, abs=4 * math.sqrt(20000 * p * (1 - p)))
    assert home / (home + stayed) == pytest.approx(0.6, abs=0.03)
    assert _at(result, 9, "a", "returned_voluntary") == home  # at their origin
    from corridor.analysis.score import score
    (row,) = score(out)["observations"]
    assert row["simulated"] == home  # the aggregate names the model cause `attrition`


CLOSED = """from,to,distance_km,mode,two_way
a,m,100,road,false
m,x,200,road,false
a,y,1500,road,false
"""
CLOSED_PLACES = """id,name,country,kind,lat,lon,capacity
a,Alpha,HN,origin,15.0,-88.0,
m,Middle,GT,town,16.0,-90.0,
x,Near City,MX,border_city,25.0,-100.0,
y,Far City,MX,border_city,32.0,-117.0,
"""


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("action", ["wait", "reroute"])
def test_people_keep_their_way_to_a_closure_they_wait_at(tmp_path, engine, action):
    """A road closed on the first days: people who wait at it keep choosing the near city
    (they do not plan around it); a closure that reroutes sends them to the far one."""
    rules = f"""[[rule]]
id = "blockade"
kind = "closure"
title = "road closed"
start = "2020-01-01"
end = "2020-01-05"
where = {{ route = "m>x" }}
action = "{action}"
sources = "test"
"""
    folder = _scenario(tmp_path, f"closed{action}", "walk_speed_km = 100\nride_chance = 0\n"
                       'destination_kinds = ["border_city"]\ndestination_km = 300',
                       CLOSED, places=CLOSED_PLACES, rules=rules, days=40)
    result = corridor.run(corridor.load_scenario(folder), engine=engine, seed=2)
    near = _at(result, 39, "x")
    if action == "wait":
        assert near > 0.9 * 2000
    else:
        assert near < 0.1 * 2000


SHELTER = """[[rule]]
id = "stadium"
kind = "shelter"
title = "a stadium opened for the caravan"
start = "2020-01-01"
end = "2020-01-30"
place = "b"
capacity = 1500
stay_days = { min = 3, max = 3 }
who = { attributes = { cohort = "caravan" } }
sources = "test"
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_a_shelter_holds_people_for_their_stay(tmp_path, engine):
    """1,500 of 2,000 arrivals rest at b (capacity); they go on after 3 days; the others pass."""
    folder = _scenario(tmp_path, "shelter", "walk_speed_km = 200\nride_chance = 0", LINE,
                       rules=SHELTER)
    result = corridor.run(corridor.load_scenario(folder), engine=engine, seed=1)
    assert _at(result, 0, "b", "waiting") == 1500
    assert _at(result, 2, "b", "waiting") == 1500
    assert _at(result, 3, "b", "waiting") == 0
    assert _at(result, 3, "b") == 0  # released on day 3 and gone on the same day
    assert _at(result, 0, "b", "in_transit") == 500  # stopped there for the night, not held
    assert _at(result, 1, "b", "in_transit") == 0


PORT_PLACES = """id,name,country,kind,lat,lon,capacity
a,Alpha,HN,origin,15.0,-88.0,
x,Border City,MX,border_city,25.0,-100.0,
px,Port,US,port_of_entry,25.5,-100.0,
us,U.S. interior,US,destination,33.0,-106.0,
"""
PORT_ROUTES = """from,to,distance_km,mode,two_way
a,x,100,road,false
x,px,5,road,false
px,us,1,road,false
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_the_list_ahead_is_called_first(tmp_path, engine):
    """A quota of 10 a day from day 0; the model's 100 arrive on day 0 after the day's call.
    Without a list ahead they are called from day 1; with 55 listed before, the quota of
    days 0-4 and half of day 5's goes to those, so by day d, 10 (d + 1) - 55 are called."""
    processed = {}
    for before in (0, 55):
        rules = f"""[[rule]]
id = "port"
kind = "port_of_entry"
title = "metered port"
start = "2020-01-01"
city = "x"
port = "px"
us_place = "us"
daily_quota = 10
listed_before = {before}
sources = "test"
"""
        folder = _scenario(tmp_path, f"port{before}", "walk_speed_km = 200\nride_chance = 0",
                           PORT_ROUTES, people=100, places=PORT_PLACES, rules=rules, days=16)
        result = corridor.run(corridor.load_scenario(folder), engine=engine, seed=1)
        processed[before] = [_at(result, day, "us") for day in range(16)]
    assert processed[0] == [min(100, 10 * d) for d in range(16)]
    assert processed[55] == [min(100, max(0, 10 * (d + 1) - 55)) for d in range(16)]
