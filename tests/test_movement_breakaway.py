"""A caravan that holds together and thins (`breakaway_chance`) and rides by legal status
(`legal_ride_chance`, `free_movement_countries`), on both representations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_movement_group import _at, _scenario

import corridor
from corridor.engine.flags import Flag
from corridor.engine.legs import ride_chance_of

ENGINES = ("agents", "counts")
STEP_KM = 15
N_STOPS = 80


def _chain(tmp_path, name: str, params: str, people: int, days: int):
    """A straight road from a through N_STOPS towns STEP_KM apart (s1 ... s80, a destination)."""
    places = ["id,name,country,kind,lat,lon,capacity",
              "a,Alpha,HN,origin,15.0,-88.0,"]
    for k in range(1, N_STOPS + 1):
        kind = "destination" if k == N_STOPS else "town"
        places.append(f"s{k},S{k},GT,{kind},15.0,{-88.0 - 0.1 * k:.1f},")
    stops = ["a", *(f"s{k}" for k in range(1, N_STOPS + 1))]
    routes = ["from,to,distance_km,mode,two_way"]
    routes += [f"{x},{y},{STEP_KM},road,false" for x, y in zip(stops[:-1], stops[1:], strict=True)]
    return _scenario(tmp_path, name, params, "\n".join(routes) + "\n", people=people,
                     places="\n".join(places) + "\n", days=days)


@pytest.mark.parametrize("engine", ENGINES)
def test_members_leave_the_group_for_good(tmp_path, engine):
    """The group's pace is 30 + 0.5 × 255 = 157.5 km a day: it sleeps 10 towns further each
    night; on their own people walk 2 towns or ride 19, so no one who left the group is where
    the group sleeps (2x + 19y = 10m has no solution with x + y = m < 17). Each day a member
    leaves with chance 0.1: on day t the group holds 0.9^(t+1) of the caravan. They leave for
    good: those who left on day 0 and walked (to s2) walk or ride on their own on day 1, so a
    quarter of them, 0.1 × 0.5 × 0.5 of the caravan, is at s4 (2 + 2 towns). Were the choice
    drawn anew each day, 90 % of them would go at the group's pace (to s12) and only
    0.1 × 0.5 × 0.1 × 0.5 would be at s4."""
    people, chance = 6000, 0.1
    folder = _chain(tmp_path, f"break{engine}", "walk_speed_km = 30\nride_chance = 0.5\n"
                    "ride_speed_km = 285\npace_cohesion = 1.0\novernight_at_places = true\n"
                    f"breakaway_chance = {chance}", people, days=6)
    result = corridor.run(corridor.load_scenario(folder), engine=engine, seed=2)
    for day in range(6):
        expected = people * (1 - chance) ** (day + 1)
        sd = math.sqrt(people * (1 - chance) ** (day + 1) * (1 - (1 - chance) ** (day + 1)))
        assert _at(result, day, f"s{10 * (day + 1)}") == pytest.approx(expected, abs=4 * sd)
    walked_twice = people * chance * 0.25
    assert _at(result, 1, "s4") == pytest.approx(walked_twice, abs=4 * math.sqrt(walked_twice))
    # those who left are spread ahead of and behind the group, not lost
    assert sum(r["count"] for r in result.daily.to_pylist() if r["day"] == 5) == people


@pytest.mark.parametrize("engine", ENGINES)
def test_without_breakaways_the_group_stays_whole(tmp_path, engine):
    """The same caravan with breakaway_chance 0 sleeps in one town every night."""
    people = 3000
    folder = _chain(tmp_path, f"whole{engine}", "walk_speed_km = 30\nride_chance = 0.5\n"
                    "ride_speed_km = 285\npace_cohesion = 1.0\novernight_at_places = true",
                    people, days=6)
    result = corridor.run(corridor.load_scenario(folder), engine=engine, seed=2)
    assert [_at(result, day, f"s{10 * (day + 1)}") for day in range(6)] == [people] * 6


BORDER = """id,name,country,kind,lat,lon,capacity
a,Alpha,HN,origin,15.0,-88.0,
b,Bravo,GT,town,15.0,-89.0,
c,Charlie,MX,town,16.0,-90.0,
d,Delta,MX,town,17.0,-92.0,
e,Echo,MX,destination,18.0,-93.0,
"""
BORDER_ROUTES = """from,to,distance_km,mode,two_way
a,b,30,road,false
b,c,30,road,false
c,d,300,road,false
d,e,300,road,false
"""


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("free", [True, False])
def test_rides_follow_legal_status(tmp_path, engine, free):
    """30 km a day on foot, 300 with a ride; 20 seats a day per place for 2000 people. In
    Guatemala (free movement) everyone may buy a ride: with legal_ride_chance 1 the whole
    caravan rides from b on day 1 and reaches c, then d is reached only by the ~20 who find a
    seat at c. Without free movement the seats limit rides in Guatemala too: ~20 ride on."""
    people = 2000
    countries = '["HN", "GT"]' if free else "[]"
    folder = _scenario(tmp_path, f"legal{engine}{free}",
                       "walk_speed_km = 30\nride_chance = 1.0\nride_speed_km = 300\n"
                       "ride_seats = 20\nlegal_ride_chance = 1.0\novernight_at_places = true\n"
                       f"free_movement_countries = {countries}", BORDER_ROUTES, people=people,
                       places=BORDER, days=3)
    result = corridor.run(corridor.load_scenario(folder), engine=engine, seed=4)
    # day 0: a → b → c (60 km): riders from a go on to c; everyone is legal in HN
    if free:
        assert _at(result, 0, "c") == people
        # day 1 at c (Mexico): only the seats ride (300 km to d), the others walk 30 km
        assert _at(result, 1, "d") == pytest.approx(20, abs=4 * math.sqrt(20))
    else:
        assert _at(result, 0, "c") == pytest.approx(20, abs=4 * math.sqrt(20))


@pytest.mark.parametrize("engine", ENGINES)
def test_legal_rides_share_the_buses_a_place_offers(tmp_path, engine):
    """As above in free movement, with 50 bus seats a day at each place (`legal_ride_seats`):
    day 0 at a, 50 of the 2000 ride (300 km, past c) and the rest walk 30 km to b. The
    caravan does not travel together here (pace_cohesion 0): each traveller rides or walks."""
    people = 2000
    folder = _scenario(tmp_path, f"buses{engine}",
                       "walk_speed_km = 30\nride_chance = 1.0\nride_speed_km = 300\n"
                       "ride_seats = 20\nlegal_ride_chance = 1.0\nlegal_ride_seats = 50\n"
                       'overnight_at_places = true\nfree_movement_countries = ["HN", "GT"]',
                       BORDER_ROUTES, people=people, places=BORDER, days=2)
    result = corridor.run(corridor.load_scenario(folder), engine=engine, seed=4)
    assert _at(result, 0, "b") == pytest.approx(people - 50, abs=4 * math.sqrt(50))
    assert _at(result, 0, "c") == pytest.approx(50, abs=4 * math.sqrt(50))


def test_a_permit_makes_rides_legal_anywhere():
    """The per-traveller chance: seats outside free movement, legal rides with a permit."""
    seat_chance = np.array([0.05, 0.05])
    free = np.array([True, False])
    f = ride_chance_of.py_func
    legal, unset = np.array([0.8, 0.8]), np.array([-1.0, -1.0])
    assert f(np.uint16(0), 0, seat_chance, legal, free) == 0.8        # free movement
    assert f(np.uint16(0), 1, seat_chance, legal, free) == 0.05       # no papers
    assert f(Flag.PERMIT, 1, seat_chance, legal, free) == 0.8         # a permit
    assert f(Flag.IRREGULAR, 1, seat_chance, legal, free) == 0.05
    assert f(Flag.PERMIT, 1, seat_chance, unset, free) == 0.05        # not set: seats for all


def test_a_country_code_that_is_not_one_says_so(tmp_path):
    """`free_movement_countries = ["gt"]` would match no place: exit 2 naming the field."""
    from typer.testing import CliRunner

    from corridor.cli.main import app

    folder = _scenario(tmp_path, "badcode", 'free_movement_countries = ["gt"]', BORDER_ROUTES,
                       places=BORDER)
    result = CliRunner().invoke(app, ["check", str(folder)])
    assert result.exit_code == 2
    assert "free_movement_countries" in result.output and "two capital letters" in result.output
