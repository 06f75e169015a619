"""The corridor model's legs, rides, destinations and attrition, on both representations."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_engine import build
from tiny_fixture import write_scenario

import corridor
from corridor.engine.movement import CorridorModel
from corridor.engine.simulation import Simulation

ENGINES = ("agents", "counts")

LINE_PLACES = """id,name,country,kind,lat,lon,capacity
a,Alpha,HN,origin,15.0,-88.0,
b,Bravo,GT,town,15.0,-89.0,
c,Charlie,MX,destination,16.0,-92.0,
"""


def _arrival_days(result, place: str) -> list[int]:
    """Days on which people first appear at a place (from the daily table)."""
    daily = result.daily.to_pylist()
    return sorted({r["day"] for r in daily if r["place"] == place and r["count"] > 0})


def _line(tmp_path: Path, mode: str, extra: str = "", **params: float) -> Path:
    routes = f"from,to,distance_km,mode,two_way\na,b,60,road,false\nb,c,1000,{mode},false\n"
    values = {"walk_speed_km": 30, "ride_chance": 0, **params}
    lines = "\n".join(f"{k} = {v}" for k, v in values.items())
    toml = f"""name = "line"
description = "a road leg then a long leg"
start_date = "2020-01-01"
days = 40
seed = 5

[parameters]
{lines}
{extra}
"""
    return write_scenario(tmp_path / f"line-{mode}", places_csv=LINE_PLACES, routes_csv=routes,
                          scenario_toml=toml,
                          departures_csv="date,origin,count,nationality\n2020-01-01,a,50,HN\n")


@pytest.mark.parametrize("engine", ENGINES)
def test_transit_time_follows_the_legs_modes(tmp_path, engine):
    # 60 km of road on foot = 2 days; 1,000 km of rail at 500 km a day = 2 more days
    rail = _line(tmp_path, "rail", "[parameters.mode_speed_km]\nrail = 500\n")
    first = _arrival_days(corridor.run(corridor.load_scenario(rail), engine=engine), "c")[0]
    assert first == 3  # days 0,1 to b (arrives end of day 1), days 2,3 on the rail leg
    road = _line(tmp_path, "road")
    first_road = _arrival_days(corridor.run(corridor.load_scenario(road), engine=engine), "c")
    assert first_road[0] == math.ceil(1060 / 30) - 1  # the same km walked: 36 days


@pytest.mark.parametrize("engine", ENGINES)
def test_walked_legs_cost_a_rider_the_walking_speed(tmp_path, engine):
    foot = _line(tmp_path, "foot", ride_chance=1, ride_speed_km=300)
    first = _arrival_days(corridor.run(corridor.load_scenario(foot), engine=engine), "c")[0]
    # 60 km of road by ride costs 60 of a 300 budget; the rest of day 0 buys 240/10 = 24 km of
    # the foot leg; then 976 km at 30 km a day: arrival on day ceil(976/30) = 33
    assert first == math.ceil(976 / 30)


@pytest.mark.parametrize("engine", ENGINES)
def test_rides_are_shared_out_over_the_seats(tmp_path, engine):
    folder = _line(tmp_path, "road", ride_chance=1, ride_speed_km=300, ride_seats=100)
    folder.joinpath("departures.csv").write_text(
        "date,origin,count,nationality\n2020-01-01,a,2000,HN\n")
    sc = corridor.load_scenario(folder, ["days=1"])
    result = corridor.run(sc, engine=engine, seed=11)
    at_b = sum(r["count"] for r in result.daily.to_pylist() if r["place"] == "b" and r["day"] == 0)
    beyond = sum(r["count"] for r in result.daily.to_pylist()
                 if r["day"] == 0 and r["place"].startswith("b>c"))
    riders = at_b + beyond
    # walkers cover 30 of the 60 km; only riders pass b on day 0: 100 seats for 2,000 people
    assert riders == pytest.approx(100, abs=4 * math.sqrt(100))


DEST_PLACES = """id,name,country,kind,lat,lon,capacity
a,Alpha,HN,origin,15.0,-88.0,
m,Middle,MX,town,16.0,-90.0,
x,Near City,MX,border_city,25.0,-100.0,
y,Far City,MX,border_city,32.0,-117.0,
"""
DEST_ROUTES = """from,to,distance_km,mode,two_way
a,m,100,road,false
m,x,500,road,true
x,y,1000,road,true
"""


def _destinations(tmp_path: Path, heading: str = "", settings_extra: str = "",
                  **files: str) -> Path:
    toml = f"""name = "dest"
description = "two border cities, the far one behind the near one"
start_date = "2020-01-01"
days = 60
seed = 5

[parameters]
walk_speed_km = 100
ride_chance = 0
destination_kinds = ["border_city"]
destination_km = 1000
heading_weight = 1.5
{settings_extra}
"""
    deps = "date,origin,count,nationality,heading_for\n2020-01-01,a,4000,HN," + heading + "\n"
    files = {"places_csv": DEST_PLACES, "routes_csv": DEST_ROUTES, **files}
    return write_scenario(tmp_path / f"dest{heading}", scenario_toml=toml, departures_csv=deps,
                          **files)


def _final(result, place: str) -> int:
    last = max(r["day"] for r in result.daily.to_pylist())
    return sum(r["count"] for r in result.daily.to_pylist()
               if r["day"] == last and r["place"] == place)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("heading", ["", "y"])
def test_destination_choice_follows_the_logit(tmp_path, engine, heading):
    """Shares of destinations match exp(U) / sum exp(U) with U = -km/1000 (+1.5 announced)."""
    sc = corridor.load_scenario(_destinations(tmp_path, heading))
    result = corridor.run(sc, engine=engine, seed=2)
    u_x = -600 / 1000
    u_y = -1600 / 1000 + (1.5 if heading == "y" else 0.0)
    p_y = math.exp(u_y) / (math.exp(u_x) + math.exp(u_y))
    n = 4000
    far = _final(result, "y")
    assert _final(result, "x") + far == n  # everybody ends at a destination and stays
    assert far == pytest.approx(n * p_y, abs=4 * math.sqrt(n * p_y * (1 - p_y)))


@pytest.mark.parametrize("engine", ENGINES)
def test_city_rules_stop_only_those_ending_there(tmp_path, engine):
    """A port at the near city processes its own arrivals; people heading on pass through."""
    places = DEST_PLACES + ("px,Near Port,US,port_of_entry,25.5,-100.0,\n"
                            "us,U.S. interior,US,destination,33.0,-106.0,\n")
    routes = DEST_ROUTES + "x,px,5,road,false\npx,us,1,road,false\n"
    rules = """[[rule]]
id = "port-x"
kind = "port_of_entry"
title = "port at the near city"
start = "2019-01-01"
city = "x"
port = "px"
us_place = "us"
sources = "test"
"""
    folder = _destinations(tmp_path, "y", places_csv=places, routes_csv=routes, rules_toml=rules)
    result = corridor.run(corridor.load_scenario(folder), engine=engine, seed=4)
    at_y = _final(result, "y")
    assert at_y > 1000  # far more than zero reach the far city through the near one
    processed = result.summary["by_state"].get("us_proceedings", 0)
    assert processed + at_y == 4000


@pytest.mark.parametrize("engine", ENGINES)
def test_attrition_thins_travellers_geometrically(tmp_path, engine):
    folder = _line(tmp_path, "road", attrition_chance=0.05)
    folder.joinpath("departures.csv").write_text(
        "date,origin,count,nationality\n2020-01-01,a,20000,HN\n")
    result = corridor.run(corridor.load_scenario(folder, ["days=10"]), engine=engine, seed=8)
    gave_up = result.summary["by_state"]["gave_up"]
    p = 1 - 0.95 ** 10
    assert gave_up == pytest.approx(20000 * p, abs=4 * math.sqrt(20000 * p * (1 - p)))


def test_destinations_are_group_attributes_and_rows_stay_whole(tmp_path):
    sc = corridor.load_scenario(_destinations(tmp_path, "y"), ["days=3"])
    sim = Simulation(sc, engine="counts", seed=1)
    sim.run()
    assert isinstance(sim.model, CorridorModel)
    chosen = {g.get("destination") for g in sim.groups} - {""}
    assert chosen == {"x", "y"}
    assert int(sim.agents.count.sum()) == 4000
    assert np.all(sim.agents.count > 0)


def test_caravan_2020_people_reach_tijuana_with_destination_choice():
    """The only road to Tijuana runs through Mexicali, whose port rules processed everyone
    who arrived; with destinations, people heading for Tijuana pass through."""
    sc = corridor.load_scenario("caravan-2020", ['destination_kinds=["border_city"]'])
    result = corridor.run(sc, engine="counts", seed=1)
    flows = result.flows.to_pylist()
    into_tijuana = sum(r["count"] for r in flows if r["to_place"] == "tijuana")
    assert into_tijuana > 100


DANGER_PLACES = """id,name,country,kind,lat,lon,capacity,danger
a,Alpha,HN,origin,15.0,-88.0,,0
m,Middle,MX,town,16.0,-90.0,,0
g,Gulf town,MX,town,20.0,-97.0,,1
x,Near City,MX,border_city,25.0,-100.0,,0
y,Far City,MX,border_city,32.0,-117.0,,0
"""
DANGER_ROUTES = """from,to,distance_km,mode,two_way
a,m,100,road,false
m,g,300,road,true
g,x,200,road,true
m,y,1500,road,true
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_danger_weighs_on_destination_choice(tmp_path, engine):
    """The near city lies behind a dangerous town: with danger_km = 1000 its path weighs 1,600
    km against the far city's 1,600, so the shares are even; without, 600 against 1,600."""
    def share_far(extra: str) -> float:
        folder = _destinations(tmp_path / extra.replace(" ", "")[:12], "",
                               settings_extra=extra, places_csv=DANGER_PLACES,
                               routes_csv=DANGER_ROUTES)
        result = corridor.run(corridor.load_scenario(folder), engine=engine, seed=3)
        return _final(result, "y") / 4000
    p_even = 0.5
    p_plain = math.exp(-1.6) / (math.exp(-0.6) + math.exp(-1.6))
    assert share_far("danger_km = 1000") == pytest.approx(p_even, abs=4 * math.sqrt(0.25 / 4000))
    assert share_far("danger_km = 0") == pytest.approx(
        p_plain, abs=4 * math.sqrt(p_plain * (1 - p_plain) / 4000))


@pytest.mark.parametrize("engine", ENGINES)
def test_cohesion_sends_a_group_to_one_destination(tmp_path, engine):
    """With cohesion 1 the whole group follows its collective draw; with 0.6, 60 % plus their
    share of the individual draws."""
    folder = _destinations(tmp_path, "", settings_extra="cohesion = 1.0")
    result = corridor.run(corridor.load_scenario(folder), engine=engine, seed=5)
    assert sorted([_final(result, "x"), _final(result, "y")]) == [0, 4000]
    folder = _destinations(tmp_path / "partial", "", settings_extra="cohesion = 0.6")
    result = corridor.run(corridor.load_scenario(folder), engine=engine, seed=5)
    p_y = math.exp(-1.6) / (math.exp(-0.6) + math.exp(-1.6))
    big = max(_final(result, "x"), _final(result, "y")) / 4000
    expected = {0.6 + 0.4 * (1 - p_y), 0.6 + 0.4 * p_y}
    assert any(abs(big - e) < 4 * math.sqrt(0.25 / 4000) + 0.01 for e in expected)


# The Suchiate crossing in miniature: two ways over the river from t (a bridge into town c, a
# river landing r), both two-way and short; the border city x lies beyond f.
RIVER_PLACES = """id,name,country,kind,lat,lon,capacity
a,Alpha,GT,origin,14.7,-92.0,
t,Tecun,GT,town,14.68,-92.14,
b,Bridge,GT,town,14.675,-92.145,
r,River,GT,town,14.67,-92.145,
c,Hidalgo,MX,town,14.68,-92.15,
f,Frontera,MX,town,14.78,-92.18,
x,Border City,MX,border_city,25.0,-100.0,
"""
RIVER_ROUTES = """from,to,distance_km,mode,two_way
a,t,40,road,false
t,b,0.6,bridge,true
b,c,0.6,road,true
t,r,1.1,river,true
r,c,1.0,foot,true
r,f,12,foot,true
c,f,12,road,true
f,x,100,road,false
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_travellers_never_step_away_from_their_destination(tmp_path, engine):
    """Towards a destination only links that bring a traveller closer are taken (Dial's
    efficient links). By distance to x, f (100) < c = r (112) < b (112.6) < t (113.1): from t
    both crossings lead closer (the bridge and the river), from c and r only the road to f
    does. With a spread of 500 km per e, detours of 1-2 km weigh nearly as much as the way
    ahead: were every open link a candidate, people would step from c back to the river
    landing and from there to t (about a third of them at each step)."""
    toml = """name = "river"
description = "two short ways over a river"
start_date = "2020-01-01"
days = 12
seed = 5

[parameters]
walk_speed_km = 40
ride_chance = 0
destination_kinds = ["border_city"]
detour_km = 500
backtrack_weight = 1.0
"""
    folder = write_scenario(tmp_path / f"river{engine}", scenario_toml=toml,
                            places_csv=RIVER_PLACES, routes_csv=RIVER_ROUTES,
                            departures_csv="date,origin,count,nationality\n"
                                           "2020-01-01,a,4000,HN\n")
    result = corridor.run(corridor.load_scenario(folder), engine=engine, seed=3)
    hops: dict[tuple[str, str], int] = {}
    for r in result.flows.to_pylist():
        key = (r["from_place"], r["to_place"])
        hops[key] = hops.get(key, 0) + r["count"]
    backwards = {("c", "r"), ("r", "t"), ("b", "t"), ("c", "b"), ("r", "c"), ("f", "c"),
                 ("f", "r")}
    assert {k: v for k, v in hops.items() if k in backwards} == {}
    # both crossings are used, in proportion to their weights, and everybody arrives once
    bridge, river = hops.get(("t", "b"), 0), hops.get(("t", "r"), 0)
    assert bridge + river == 4000
    w_bridge = math.exp(-(0.6 + 112.6 - 113.1) / 500)
    w_river = math.exp(-(1.1 + 112 - 113.1) / 500)
    share = w_bridge / (w_bridge + w_river)
    assert bridge == pytest.approx(4000 * share, abs=4 * math.sqrt(4000 * share * (1 - share)))
    assert _final(result, "x") == 4000


@st.composite
def _two_way_networks(draw):
    """A random connected two-way network whose last place is the one border city."""
    n = draw(st.integers(3, 8))
    edges = []
    for i in range(1, n):  # a random tree keeps every place reachable
        edges.append((draw(st.integers(0, i - 1)), i, draw(st.floats(0.5, 300)), True))
    for _ in range(draw(st.integers(0, 4))):  # and some cycles
        a, b = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        if a != b and all({a, b} != {x, y} for x, y, _, _ in edges):
            edges.append((a, b, draw(st.floats(0.5, 300)), True))
    params = {"walk_speed_km": draw(st.floats(5, 200)), "ride_chance": draw(st.floats(0, 1)),
              "destination_kinds": ["border_city"], "detour_km": draw(st.floats(1, 1000)),
              "backtrack_weight": 1.0, "overnight_at_places": draw(st.booleans())}
    return build(n, edges, [(0, 0, 500)], days=10, params=params,
                 kinds={n - 1: "border_city"})


def _km_to(scenario, target: str) -> dict[str, float]:
    """Shortest km from every place to `target` (Bellman-Ford over the two-way routes)."""
    dist = {p.id: math.inf for p in scenario.places}
    dist[target] = 0.0
    for _ in range(len(dist)):
        for r in scenario.routes:
            a, b, km = r.from_, r.to, r.distance_km
            dist[a] = min(dist[a], km + dist[b])
            dist[b] = min(dist[b], km + dist[a])
    return dist


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=_two_way_networks())
def test_every_hop_brings_travellers_closer_to_their_destination(engine, scenario):
    """Whatever the network, speeds and spread, a traveller heading for a destination only
    ever hops to a place nearer to it (both representations)."""
    target = scenario.places[-1].id
    dist = _km_to(scenario, target)
    result = corridor.run(scenario, engine=engine, seed=3)
    for r in result.flows.to_pylist():
        assert dist[r["to_place"]] < dist[r["from_place"]], r
