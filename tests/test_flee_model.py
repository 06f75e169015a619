"""The `flee` movement model on tiny networks: Flee 3.1's rules, one at a time."""

from __future__ import annotations

import numpy as np
import pytest

from corridor.engine.flee_model import enumerate_paths
from corridor.engine.simulation import Simulation
from corridor.errors import CorridorError, ScenarioError
from corridor.scenario import load_scenario

PLACES = "id,name,country,kind,lat,lon,capacity,population\n"


def make(tmp_path, places, routes, params=None, days=3, conflicts=None, totals=None,
         closures=None, observations=None):
    """Write a Corridor scenario with model = "flee" and load it."""
    lines = ['name = "tiny"', 'start_date = "2020-01-01"', f"days = {days}", 'model = "flee"',
             "", "[parameters]"]
    for key, value in (params or {}).items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, str):
            value = f'"{value}"'
        elif isinstance(value, dict):
            value = "{" + ", ".join(f'"{k}" = {v}' for k, v in value.items()) + "}"
        lines.append(f"{key} = {value}")
    files = {"scenario.toml": "\n".join(lines) + "\n", "places.csv": PLACES + places,
             "routes.csv": "from,to,distance_km,forced_redirection\n" + routes,
             "conflicts.csv": "date,place,intensity\n" + (conflicts or ""),
             "totals.csv": "date,count\n" + (totals or ""),
             "closures.csv": "type,name1,name2,start_date,end_date\n" + (closures or "")}
    if observations is not None:
        files["observations.csv"] = "period_start,period_end,place,kind,value\n" + observations
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return load_scenario(tmp_path)


ONE_PERSON = {"conflict_driven_spawning": True, "displaced_per_conflict_day": 1,
              "conflict_weight": 0.0, "default_movechance": 1.0, "camp_movechance": 0.0,
              "max_move_speed": 200.0}
# `a` is in conflict on day 0 only, so exactly one person appears there.
ONE_DAY_CONFLICT = "2020-01-01,a,1\n2020-01-02,a,0\n"


def where(sim, i=0):
    a = sim.agents
    net = sim.network
    if a.link[i] >= 0:
        return net.link_label(int(a.link[i])), float(a.travelled[i])
    return net.place_ids[a.place[i]], 0.0


def run_days(sc, days, seed=1):
    sim = Simulation(sc, seed=seed)
    for _ in range(days):
        sim.step()
    return sim


def chain(tmp_path, bc_km, params=None, **kw):
    places = ("a,A,AA,town,0,0,,1000\nb,B,AA,town,0,1,,\nc,C,BB,camp,0,2,,\n")
    routes = f"a,b,100,0\nb,c,{bc_km},0\n"
    return make(tmp_path, places, routes, {**ONE_PERSON, **(params or {})},
                conflicts=ONE_DAY_CONFLICT, **kw)


def test_passing_through_a_place_gives_a_fresh_days_speed(tmp_path):
    """100 km then 150 km in one day at 200 km/day: each link gets a full day's speed."""
    sim = run_days(chain(tmp_path, 150), 1)
    assert sim.agents.n == 1
    assert where(sim) == ("c", 0.0)


def test_long_second_link_is_finished_the_next_day(tmp_path):
    sim = run_days(chain(tmp_path, 250), 1)
    assert where(sim) == ("b>c", 200.0)
    sim.step()
    assert where(sim) == ("c", 0.0)


def test_start_on_foot_walks_the_first_link(tmp_path):
    sim = run_days(chain(tmp_path, 150, {"start_on_foot": True, "max_walk_speed": 35.0}), 1)
    assert where(sim) == ("a>b", 35.0)


def test_country_closure_keeps_people_out_until_it_ends(tmp_path):
    sc = chain(tmp_path, 150, {"displaced_per_conflict_day": 20},
               closures="country,AA,BB,2020-01-01,2020-01-03\n", days=8)
    sim = run_days(sc, 2)
    assert sim.agents.n == 20
    assert (sim.agents.place != 2).all() and (sim.agents.link < 2).all()
    for _ in range(6):
        sim.step()
    assert (sim.agents.place == 2).sum() > 10


@pytest.mark.parametrize("compat, reached", [("documented", False), ("flee-3.1", True)])
def test_link_closure_works_as_documented_not_as_flee_31(tmp_path, compat, reached):
    sc = chain(tmp_path, 150, {"compat": compat}, closures="link,c,b,2020-01-01,\n")
    sim = run_days(sc, 2)
    assert (where(sim)[0] == "c") is reached


def test_people_on_a_link_that_closes_go_back_to_its_start(tmp_path):
    sc = chain(tmp_path, 250, closures="link,b,c,2020-01-02,2020-01-03\n", days=4)
    sim = run_days(sc, 1)
    assert where(sim) == ("b>c", 200.0)
    sim.step()  # closed today: arrives at the end of the link, is sent back to b
    assert where(sim) == ("b", 0.0)


def test_awareness_zero(tmp_path):
    """Flee 3.1 never moves anybody at level 0; documented: choose by road length only."""
    stuck = run_days(chain(tmp_path, 150, {"awareness_level": 0, "compat": "flee-3.1"}), 2)
    assert where(stuck) == ("a", 0.0) and stuck.agents.prev_place[0] == -1
    moving = run_days(chain(tmp_path, 150, {"awareness_level": 0}), 2)
    assert moving.agents.prev_place[0] >= 0


def test_forced_redirection(tmp_path):
    """From hub h people must go to camp y, although camp x is nearer (documented only)."""
    places = ("a,A,AA,town,0,0,,1000\nh,H,AA,forwarding_hub,0,1,,\nx,X,BB,camp,0,2,,\n"
              "y,Y,BB,camp,0,3,,\n")
    routes = "a,h,10,0\nh,x,10,0\nh,y,1000,2\n"
    for compat, expect in (("documented", "y"), ("flee-3.1", "x")):
        sc = make(tmp_path, places, routes, {**ONE_PERSON, "compat": compat,
                                             "max_move_speed": 2000.0},
                  conflicts=ONE_DAY_CONFLICT)
        sim = run_days(sc, 2)
        assert where(sim)[0] == expect, compat


def test_full_camp_is_not_a_destination(tmp_path):
    """Camp x (capacity 1) holds its day-0 person, so the 50 new people all go to y."""
    places = "a,A,AA,town,0,0,,1000\nx,X,BB,camp,0,1,1,\ny,Y,BB,camp,0,2,,\n"
    routes = "a,x,10,0\na,y,500,0\n"
    params = {**ONE_PERSON, "displaced_per_conflict_day": 50, "max_move_speed": 1000.0}
    obs = "2020-01-01,2020-01-01,x,present,1\n"
    sim = run_days(make(tmp_path, places, routes, params, conflicts=ONE_DAY_CONFLICT,
                        observations=obs), 1)
    at = np.bincount(sim.agents.place, minlength=3)
    assert at.tolist() == [0, 1, 50]


def test_capacity_counts_only_people_in_the_place(tmp_path):
    """People on their way do not count: on day 0 most of 50 choose the near camp x."""
    places = "a,A,AA,town,0,0,,1000\nx,X,BB,camp,0,1,1,\ny,Y,BB,camp,0,2,,\n"
    routes = "a,x,10,0\na,y,500,0\n"
    params = {**ONE_PERSON, "displaced_per_conflict_day": 50, "max_move_speed": 1000.0}
    sim = run_days(make(tmp_path, places, routes, params, conflicts=ONE_DAY_CONFLICT), 1)
    assert np.bincount(sim.agents.place, minlength=3)[1] > 25


def test_camps_as_sinks(tmp_path):
    """With sinks, people ending a day in camp x stay there for good."""
    places = "a,A,AA,town,0,0,,1000\nx,X,BB,camp,0,1,,\n"
    at_x = []
    for sinks in (True, False):
        params = {**ONE_PERSON, "displaced_per_conflict_day": 200, "camp_movechance": 0.5,
                  "max_move_speed": 60.0, "camps_are_sinks": sinks,
                  "deactivation_probability": {"x": 1.0}}
        sim = run_days(make(tmp_path, places, "a,x,100,0\n", params,
                            conflicts=ONE_DAY_CONFLICT, days=12), 12)
        at_x.append(int(((sim.agents.place == 1) & (sim.agents.link < 0)).sum()))
    assert at_x[0] >= 190 and at_x[1] < 170


def test_spawning_follows_the_daily_change_of_the_total_with_debt(tmp_path):
    places = "a,A,AA,conflict_zone,0,0,,1000\nx,X,BB,camp,0,1,,\n"
    totals = "2020-01-01,100\n2020-01-02,150\n2020-01-03,120\n2020-01-04,200\n"
    obs = "2020-01-01,2020-01-01,x,present,7\n"
    sc = make(tmp_path, places, "a,x,1000,0\n", {"max_move_speed": 10.0}, days=4,
              totals=totals, observations=obs)
    sim = run_days(sc, 4)
    m = sim.model
    # day 0: only the camp's 7 (insert_day0); +50; -30 becomes a debt; +80 - 30
    assert m.total_agents.tolist() == [7, 57, 57, 107]
    assert m.debt_by_day.tolist() == [0, 0, 30, 0]
    assert m.raw_by_day.tolist() == [100, 150, 120, 200]


def test_spawn_weights_are_population_times_intensity(tmp_path):
    places = ("a,A,AA,conflict_zone,0,0,,3000\nb,B,AA,conflict_zone,0,1,,1000\n"
              "c,C,AA,town,0,2,,5000\nx,X,BB,camp,0,3,,\n")
    totals = "2020-01-01,0\n2020-01-02,40000\n"
    sc = make(tmp_path, places, "a,x,1000,0\nb,x,1000,0\nc,x,1000,0\n",
              {"max_move_speed": 1.0, "conflict_movechance": 0.0}, days=2, totals=totals)
    sim = run_days(sc, 2)
    at = np.bincount(sim.agents.place, minlength=4)
    assert at[2] == 0 and at.sum() == 40000
    assert at[0] / at.sum() == pytest.approx(0.75, abs=0.015)


def test_take_from_population_runs_out(tmp_path):
    places = "a,A,AA,conflict_zone,0,0,,10\nx,X,BB,camp,0,1,,\n"
    sc = make(tmp_path, places, "a,x,10,0\n", {"take_from_population": True}, days=2,
              totals="2020-01-01,0\n2020-01-02,11\n")
    with pytest.raises(CorridorError, match="take_from_population"):
        run_days(sc, 2)


def test_same_seed_same_run_other_seed_other_run(tmp_path):
    places = ("a,A,AA,conflict_zone,0,0,,1000\nb,B,AA,town,0,1,,\nx,X,BB,camp,0,2,,\n"
              "y,Y,BB,camp,0,3,,\n")
    routes = "a,b,50,0\nb,x,100,0\nb,y,120,0\na,y,300,0\n"
    sc = make(tmp_path, places, routes, {}, days=6,
              totals="2020-01-01,0\n2020-01-07,6000\n")
    runs = [run_days(sc, 6, seed).model.camp_counts for seed in (1, 1, 2)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_conflict_rows_must_name_places(tmp_path):
    with pytest.raises(ScenarioError) as err:
        make(tmp_path, "a,A,AA,town,0,0,,1\nb,B,AA,town,0,1,,1\n", "a,b,10,0\n", {},
             conflicts="2020-01-01,zz,1\n",
             totals="2020-01-01,0\n")
    assert [(p.file, p.row, p.field) for p in err.value.problems] == [
        ("conflicts.csv", 2, "place")]


def test_paths_skip_markers_and_never_revisit():
    # 0 - 1(marker) - 2 - 3, and 0 - 3
    link_from = np.array([0, 1, 1, 2, 2, 3, 0, 3])
    link_to = np.array([1, 0, 2, 1, 3, 2, 3, 0])
    order = np.argsort(link_from, kind="stable")
    out_ptr = np.concatenate([[0], np.cumsum(np.bincount(link_from, minlength=4))])
    km = np.full(8, 10.0)
    marker = np.array([False, True, False, False])
    ends, kms, nodes = enumerate_paths(4, out_ptr, order, link_to, km, np.ones(8, bool),
                                       marker, 1)
    assert sorted(zip(ends[0], kms[0], map(tuple, nodes[0]), strict=True)) == [
        (2, 20.0, (1, 2)), (3, 10.0, (3,))]
    ends2, _, nodes2 = enumerate_paths(4, out_ptr, order, link_to, km, np.ones(8, bool),
                                       marker, 2)
    assert sorted(map(tuple, nodes2[0])) == [(1, 2), (1, 2, 3), (3,), (3, 2)]


@pytest.mark.parametrize("compat, people", [("documented", 1), ("flee-3.1", 4)])
def test_a_conflict_of_intensity_below_one_ends(tmp_path, compat, people):
    """Flee 3.1 ends a conflict only when the intensity was exactly 1 the day before."""
    places = "a,A,AA,town,0,0,,1000\nx,X,BB,camp,0,1,,\n"
    params = {**ONE_PERSON, "displaced_per_conflict_day": 2, "compat": compat}
    sc = make(tmp_path, places, "a,x,10,0\n", params, days=4,
              conflicts="2020-01-01,a,0.5\n2020-01-02,a,0\n")
    assert run_days(sc, 4).agents.n == people


def test_idp_camps_have_their_own_move_chance(tmp_path):
    places = "a,A,AA,town,0,0,,1000\nx,X,AA,idp_camp,0,1,,\n"
    params = {**ONE_PERSON, "displaced_per_conflict_day": 400, "idpcamp_movechance": 0.0,
              "camp_movechance": 1.0}
    sim = run_days(make(tmp_path, places, "a,x,500,0\n", params, conflicts=ONE_DAY_CONFLICT,
                        days=6), 6)
    assert ((sim.agents.place == 1) & (sim.agents.link < 0)).sum() == 400


def test_population_weight_of_empty_places(tmp_path):
    """Weighting by population: documented max(1, pop)^p; Flee 3.1 min(1, pop)^p zeroes b."""
    places = ("a,A,AA,town,0,0,,1000\nb,B,AA,town,0,1,,0\nc,C,AA,town,0,2,,1000\n")
    routes = "a,b,10,0\na,c,10,0\n"
    shares = {}
    for compat in ("documented", "flee-3.1"):
        params = {**ONE_PERSON, "displaced_per_conflict_day": 400, "default_movechance": 0.01,
                  "use_pop_for_loc_weight": True, "pop_power_for_loc_weight": 0.5,
                  "compat": compat, "conflict_weight": 1.0}
        sim = run_days(make(tmp_path, places, routes, params, conflicts=ONE_DAY_CONFLICT), 1)
        at = np.bincount(sim.agents.place[sim.agents.prev_place == 0], minlength=3)
        shares[compat] = at[1] / at.sum()
    assert shares["flee-3.1"] == 0.0
    assert 0.0 < shares["documented"] < 0.1  # 1 against sqrt(1000)


def test_places_with_a_tiny_move_chance_become_camps(tmp_path):
    """Flee turns a non-camp place whose move chance is below 0.005 into a camp."""
    sc = make(tmp_path, "a,A,AA,town,0,0,,1\nb,B,AA,town,0,1,,1\n", "a,b,5,0\n",
              {**ONE_PERSON, "default_movechance": 0.001}, conflicts=ONE_DAY_CONFLICT)
    assert Simulation(sc, seed=0).model.is_camp.tolist() == [True, True]


def test_extras_errors_name_file_row_field(tmp_path):
    with pytest.raises(ScenarioError) as err:
        make(tmp_path, "a,A,AA,town,0,0,,1\nb,B,AA,town,0,1,,1\n", "a,b,10,0\n", {},
             closures="camp,a,,2020-01-05,2020-01-02\nborder,a,,2020-01-01,\n"
                      "link,a,,2020-01-01,\ncountry,AA,ZZ,2020-01-01,\n",
             totals="2020-01-02,5\n2020-01-01,3\n")
    where = {(p.file, p.row, p.field) for p in err.value.problems}
    assert where == {("closures.csv", 2, "end_date"), ("closures.csv", 3, "type"),
                     ("closures.csv", 4, "name2"), ("totals.csv", 3, "date")}


def test_hasten_divides_populations_capacities_and_counts(tmp_path):
    places = "a,A,AA,conflict_zone,0,0,,1000\nx,X,BB,camp,0,1,95,\n"
    obs = "2020-01-01,2020-01-01,x,present,70\n"
    sc = make(tmp_path, places, "a,x,1000,0\n", {"hasten": 10, "max_move_speed": 1.0}, days=2,
              totals="2020-01-01,100\n2020-01-02,600\n", observations=obs)
    sim = run_days(sc, 2)
    m = sim.model
    assert m.total_agents.tolist() == [7, 57]  # 70 / 10 in the camp, then (600 - 100) / 10
    assert m.capacity[1] == 9 and m.pop[0] == 100
