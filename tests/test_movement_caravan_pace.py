"""A caravan's pace across places, on both representations: `pace_by` (one pace for a caravan
wherever its members are) and `gather_km` (the head waits for the tail)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tiny_fixture import write_scenario

import corridor
from corridor.engine.movement import pace_warnings
from corridor.errors import ScenarioError

ENGINES = ("agents", "counts")

# a line of places 30 km apart (a day's walk), from the origin o to the border city z
LINE_IDS = ["o", *(f"p{k}" for k in range(1, 30)), "z"]
LINE_PLACES = "id,name,country,kind,lat,lon,capacity\n" + "".join(
    f"{pid},{pid.upper()},{'HN' if k == 0 else 'MX'},"
    f"{'origin' if k == 0 else 'border_city' if pid == 'z' else 'town'},15.0,{-88.0 - k * 0.3},\n"
    for k, pid in enumerate(LINE_IDS))
LINE_ROUTES = "from,to,distance_km,mode,two_way\n" + "".join(
    f"{a},{b},30,road,false\n" for a, b in zip(LINE_IDS, LINE_IDS[1:], strict=False))


def _scenario(tmp_path: Path, name: str, params: str, departures: str, days: int = 12) -> Path:
    toml = f"""name = "{name.lower()}"
description = "a caravan's pace"
start_date = "2020-01-01"
days = {days}
seed = 5

[parameters]
overnight_at_places = true
pace_cohesion = 1.0
destination_kinds = ["border_city"]
{params}
"""
    return write_scenario(tmp_path / name, places_csv=LINE_PLACES, routes_csv=LINE_ROUTES,
                          scenario_toml=toml,
                          departures_csv="date,origin,count,nationality,cohort,caravan\n"
                          + departures)


def _km(result, day: int) -> dict[str, float]:
    """Km from the origin of the travellers at each place at the end of `day` (place → km)."""
    out = {}
    for r in result.daily.to_pylist():
        if r["day"] == day and r["count"] > 0 and r["state"] == "in_transit":
            out[r["place"]] = out.get(r["place"], 0) + r["count"]
    return {p: 30.0 * LINE_IDS.index(p) for p in out if p in LINE_IDS}


def _front(result, day: int) -> float:
    """Km from the origin of the traveller furthest ahead at the end of `day`."""
    return max(_km(result, day).values())


SEATS = ("walk_speed_km = 30\nride_speed_km = 300\nride_chance = 1.0\nride_seats = 100\n"
         "destination_km = 1000")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("pace_by", ["", "caravan"])
def test_a_caravan_keeps_one_pace_wherever_its_members_are(tmp_path, engine, pace_by):
    """100 seats a day at every place. An advance group of 100 leaves on day 0 and finds a
    seat each (300 km a day, with nights at places: 10 places a day); the caravan's 10,000
    leave on day 1 and share their seats (1 %: 33 km a day). Without `pace_by` the advance
    group goes on at its own place's pace; with it, the caravan's pace is the mean over all
    its members (about 2 % of a ride: 35 km, one place a day), so on day 1 the head moves one
    place, not ten."""
    folder = _scenario(tmp_path, f"pace{pace_by or 'none'}",
                       SEATS + (f'\npace_by = "{pace_by}"' if pace_by else ""),
                       "2020-01-01,o,100,HN,caravan,x\n2020-01-02,o,10000,HN,caravan,x\n",
                       days=3)
    result = corridor.run(corridor.load_scenario(folder), engine=engine, seed=1)
    assert _front(result, 0) == 300.0  # alone on day 0: a seat each
    assert _front(result, 1) == (330.0 if pace_by else 600.0)


@pytest.mark.parametrize("engine", ENGINES)
def test_people_travelling_on_their_own_keep_the_pace_of_their_place(tmp_path, engine):
    """Same as above, but the advance group has no caravan (an empty value): it is not held
    back by the caravan's pace."""
    folder = _scenario(tmp_path, "own", SEATS + '\npace_by = "caravan"',
                       "2020-01-01,o,100,HN,caravan,\n2020-01-02,o,10000,HN,caravan,x\n",
                       days=3)
    result = corridor.run(corridor.load_scenario(folder), engine=engine, seed=1)
    assert _front(result, 1) == 600.0


WALK = "walk_speed_km = 30\nride_chance = 0\ndestination_km = 1000\npace_by = \"caravan\""


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("gather", [None, 50.0])
def test_the_head_waits_for_the_tail(tmp_path, engine, gather):
    """Everybody walks 30 km (one place) a day. 100 leave on day 0 and are 120 km out by the
    evening of day 3; the caravan's 1,000 leave on day 4. Without `gather_km` the head keeps
    walking; with 50 km it waits where it is while the middle (the 1,000, weighted median)
    is more than 50 km behind it at the start of the day: 120 km behind on day 4, 90 on day
    5, 60 on day 6; on day 7 the middle is 30 km behind and the head walks on."""
    extra = "" if gather is None else f"\ngather_km = {gather}"
    folder = _scenario(tmp_path, f"gather{gather}", WALK + extra,
                       "2020-01-01,o,100,HN,caravan,x\n2020-01-05,o,1000,HN,caravan,x\n")
    result = corridor.run(corridor.load_scenario(folder), engine=engine, seed=1)
    fronts = [_front(result, day) for day in range(9)]
    if gather is None:
        assert fronts == [30.0 * (day + 1) for day in range(9)]
    else:
        assert fronts == [30, 60, 90, 120, 120, 120, 120, 150, 180]


@settings(max_examples=12, deadline=None)
@given(head=st.integers(1, 300), tail=st.integers(1, 3000), lag=st.integers(0, 6),
       gather=st.sampled_from([None, 20.0, 45.0, 100.0, 400.0]))
def test_both_representations_move_a_caravan_alike(tmp_path_factory, head, tail, lag, gather):
    """On foot (no chance involved), any advance group, caravan and gathering distance give
    the same places and counts every day in both representations; nobody is lost; and once the
    caravan's main group is on the road, its head moves only on days it starts no more than
    `gather_km` ahead of the main group, so the gap never grows beyond `gather_km` plus a
    day's walk."""
    tmp = tmp_path_factory.mktemp("alike")
    extra = "" if gather is None else f"\ngather_km = {gather}"
    start = f"2020-01-{1 + lag:02d}"
    folder = _scenario(tmp, "alike", WALK + extra,
                       f"2020-01-01,o,{head},HN,caravan,x\n{start},o,{tail},HN,caravan,y\n"
                       if gather is None else
                       f"2020-01-01,o,{head},HN,caravan,x\n{start},o,{tail},HN,caravan,x\n")
    sc = corridor.load_scenario(folder)
    tables = {}
    for engine in ENGINES:
        result = corridor.run(sc, engine=engine, seed=3)
        rows = sorted((r["day"], r["place"], r["state"], r["count"])
                      for r in result.daily.to_pylist() if r["count"] > 0)
        tables[engine] = rows
        for day in range(lag, 12):  # from the day the main group leaves
            assert sum(r[3] for r in rows if r[0] == day) == head + tail
    assert tables["agents"] == tables["counts"]
    if gather is not None and tail > head:
        result = corridor.run(sc, engine="counts", seed=3)
        head_km, main_km = {lag - 1: 0.0}, {lag - 1: 0.0}  # both at the origin before
        if lag > 0:
            head_km[lag - 1] = _front(result, lag - 1)
        for day in range(lag, 12):
            here = {}
            for r in result.daily.to_pylist():
                if r["day"] == day and r["count"] > 0 and r["place"] in LINE_IDS:
                    here[r["place"]] = here.get(r["place"], 0) + r["count"]
            kms = [(30.0 * LINE_IDS.index(p), n) for p, n in here.items()]
            head_km[day] = max(km for km, _ in kms)
            main_km[day] = max(km for km, n in kms if n >= tail)  # the main group's place
            gap_before = head_km[day - 1] - main_km[day - 1]
            if head_km[day] > head_km[day - 1]:  # the head moved: it was not too far ahead
                assert gap_before <= gather
            assert head_km[day] - main_km[day] <= max(gap_before, gather + 30.0)


def test_a_pace_by_column_nobody_has_is_a_warning(tmp_path):
    """`pace_by` naming a column with no value in departures.csv: `corridor check` warns."""
    folder = _scenario(tmp_path, "nocol", WALK.replace('"caravan"', '"convoy"'),
                       "2020-01-01,o,100,HN,caravan,x\n")
    assert "convoy" in pace_warnings(corridor.load_scenario(folder))[0]
    folder = _scenario(tmp_path, "col", WALK, "2020-01-01,o,100,HN,caravan,x\n")
    assert pace_warnings(corridor.load_scenario(folder)) == []


def test_gather_km_without_pace_by_is_an_error(tmp_path):
    folder = _scenario(tmp_path, "nopace", "walk_speed_km = 30\ngather_km = 50",
                       "2020-01-01,o,100,HN,caravan,x\n")
    with pytest.raises(ScenarioError, match="gather_km"):
        corridor.load_scenario(folder)
