"""The engine: conservation, determinism, travel, closed links, capacity."""

import datetime as dt

import numpy as np
import pyarrow.compute as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor.engine.gates import Gates
from corridor.engine.hooks import RuleHooks
from corridor.engine.movement import capacity_factor
from corridor.engine.simulation import Simulation
from corridor.engine.states import State
from corridor.scenario import load_scenario
from corridor.scenario.load import finalize
from corridor.scenario.model import DepartureRow, PlaceRow, RouteRow, Scenario, ScenarioConfig

START = dt.date(2020, 1, 1)


def build(n_places, edges, departures, days=15, params=None, kinds=None, capacity=None):
    places = tuple(
        PlaceRow(id=f"p{i}", name=f"P{i}", country=("HN", "GT", "MX")[i % 3],
                 kind=(kinds or {}).get(i, "origin" if i == 0 else "town"), lat=15.0,
                 lon=-88.0 - i, capacity=(capacity or {}).get(i))
        for i in range(n_places))
    routes = tuple(RouteRow.model_validate({"from": f"p{a}", "to": f"p{b}", "distance_km": km,
                                            "two_way": two})
                   for a, b, km, two in edges)
    deps = tuple(DepartureRow(date=START + dt.timedelta(days=d), origin=f"p{o}", count=c,
                              nationality="HN") for d, o, c in departures)
    cfg = ScenarioConfig(name="gen", start_date=START, days=days, seed=1,
                         parameters=params or {})
    return finalize(Scenario(config=cfg, places=places, routes=routes, departures=deps))


@st.composite
def networks(draw):
    n = draw(st.integers(2, 8))
    edges = []
    for i in range(1, n):  # a random tree keeps every place reachable from p0
        j = draw(st.integers(0, i - 1))
        edges.append((j, i, draw(st.floats(1, 400)), draw(st.booleans())))
    for _ in range(draw(st.integers(0, 3))):
        a, b = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        if a != b and all({a, b} != {x, y} for x, y, _, _ in edges):
            edges.append((a, b, draw(st.floats(1, 400)), draw(st.booleans())))
    days = draw(st.integers(1, 12))
    deps = [(draw(st.integers(0, days - 1)), 0, draw(st.integers(0, 300)))
            for _ in range(draw(st.integers(1, 4)))]
    params = {"walk_speed_km": draw(st.floats(1, 100)), "ride_chance": draw(st.floats(0, 1)),
              "awareness_hops": draw(st.integers(1, 3)),
              "backtrack_weight": draw(st.sampled_from([0.0, 1.0])),
              "move_chance": {"town": draw(st.floats(0, 1))}}
    return build(n, edges, deps, days=days, params=params)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_agents_are_conserved_every_day(scenario):
    sim = Simulation(scenario, seed=5)
    schedule = {}
    for d in scenario.departures:
        schedule[scenario.day_of(d.date)] = schedule.get(scenario.day_of(d.date), 0) + d.count
    departed = 0
    net = sim.network
    for day in range(scenario.config.days):
        sim.step()
        departed += schedule.get(day, 0)
        a = sim.agents
        assert a.n == departed
        assert ((a.link == -1) | ((a.link >= 0) & (a.link < net.n_links))).all()
        on_link = a.link >= 0
        assert (a.place[on_link] == net.link_from[a.link[on_link]]).all()
        assert (a.travelled[on_link] < net.link_km[a.link[on_link]]).all()
        assert sim.recorder.counts.sum() == departed
    result = sim.run()
    daily = result.daily
    for day in range(scenario.config.days):
        total = pc.sum(daily.filter(pc.equal(daily["day"], day))["count"]).as_py() or 0
        assert total == sum(v for d, v in schedule.items() if d <= day)


def test_same_seed_same_result_and_other_seed_differs():
    sc = build(4, [(0, 1, 50, True), (1, 2, 60, True), (1, 3, 65, True)], [(0, 0, 2000)])
    a = Simulation(sc, seed=11).run().daily
    b = Simulation(sc, seed=11).run().daily
    c = Simulation(sc, seed=12).run().daily
    assert a.equals(b)
    assert not a.drop_columns(["run_id"]).equals(c.drop_columns(["run_id"]))


def test_several_hops_in_one_day():
    params = {"walk_speed_km": 100, "ride_chance": 0.0}
    sc = build(4, [(0, 1, 30, False), (1, 2, 30, False), (2, 3, 30, False)], [(0, 0, 50)],
               days=1, params=params)
    sim = Simulation(sc, seed=1)
    sim.step()
    assert (sim.agents.place == 3).all() and (sim.agents.link == -1).all()


def test_travel_takes_distance_over_speed_days():
    params = {"walk_speed_km": 30, "ride_chance": 0.0}
    sc = build(2, [(0, 1, 100, False)], [(0, 0, 10)], days=4, params=params)
    sim = Simulation(sc, seed=1)
    for _ in range(3):
        sim.step()
        assert (sim.agents.link == 0).all()
    sim.step()
    assert (sim.agents.place == 1).all()


def test_no_backtracking_by_default():
    params = {"walk_speed_km": 1000, "ride_chance": 0.0}
    sc = build(3, [(0, 1, 10, True), (1, 2, 10, True)], [(0, 0, 200)], days=1, params=params,
               kinds={2: "destination"})
    sim = Simulation(sc, seed=2)
    sim.step()
    assert (sim.agents.place == 2).all()


class CloseLink(RuleHooks):
    def __init__(self, sim, link):
        super().__init__(sim)
        self.link = link

    def gates(self, day):
        g = Gates.open(self.sim.network.n_places, self.sim.network.n_links)
        g.link_open[self.link] = False
        return g


@settings(max_examples=25, deadline=None)
@given(networks(), st.data())
def test_nobody_crosses_a_closed_link(scenario, data):
    sim = Simulation(scenario, seed=3)
    link = data.draw(st.integers(0, sim.network.n_links - 1))
    sim.rules = CloseLink(sim, link)
    flows = sim.run().flows.to_pylist()
    net = sim.network
    a, b = net.place_ids[net.link_from[link]], net.place_ids[net.link_to[link]]
    assert not [f for f in flows if (f["from_place"], f["to_place"]) == (a, b)]
    assert not (sim.agents.link == link).any()


def test_stop_place_ends_the_day_and_reports_arrivals():
    params = {"walk_speed_km": 1000, "ride_chance": 0.0}
    sc = build(3, [(0, 1, 10, False), (1, 2, 10, False)], [(0, 0, 40)], days=1, params=params)
    sim = Simulation(sc, seed=2)
    seen = []

    class Stop(RuleHooks):
        def gates(self, day):
            g = Gates.open(3, 2)
            g.stop_place[1] = True
            return g

        def on_arrival(self, day, arrived):
            seen.append(np.sort(arrived))

    sim.rules = Stop(sim)
    sim.step()
    assert (sim.agents.place == 1).all()
    assert np.array_equal(seen[0], np.arange(40))


def test_change_state_is_counted_as_a_transition():
    sc = build(2, [(0, 1, 100, False)], [(0, 0, 10)], days=2)
    sim = Simulation(sc, seed=1)
    sim.step()
    sim.change_state(np.arange(4), State.DETAINED, "test-rule")
    sim.recorder.end_day(sim.day)
    sim.recorder.flush()
    tr = sim.sink.tables()["transitions"].to_pylist()
    assert {"to_state": "detained", "rule": "test-rule", "count": 4} in [
        {k: r[k] for k in ("to_state", "rule", "count")} for r in tr]


def test_capacity_factor():
    occ = np.array([0.0, 89.0, 95.0, 100.0, 150.0, 5.0])
    cap = np.array([100.0, 100.0, 100.0, 100.0, 100.0, np.inf])
    f = capacity_factor(occ, cap, 0.9)
    assert np.allclose(f, [1.0, 1.0, 0.5, 0.0, 0.0, 1.0])


def test_agents_use_less_than_64_bytes(tiny):
    sim = Simulation(load_scenario(tiny))
    assert sim.agents.bytes_per_agent() < 64


def test_two_simulations_do_not_interfere(tiny):
    sc = load_scenario(tiny)
    a, b = Simulation(sc, seed=4), Simulation(sc, seed=4)
    for _ in range(5):
        a.step()
    for _ in range(20):
        b.step()
    for _ in range(15):
        a.step()
    assert np.array_equal(a.agents.place, b.agents.place)


def test_threads_do_not_change_results():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.generated import generated_scenario

    from corridor.engine import movement

    sc = generated_scenario(20_000, days=25)
    old = movement.PARALLEL_MIN_AGENTS
    movement.PARALLEL_MIN_AGENTS = 0
    try:
        one = Simulation(sc, seed=3, threads=1).run()
        two = Simulation(sc, seed=3, threads=2).run()
    finally:
        movement.PARALLEL_MIN_AGENTS = old
    assert one.daily.equals(two.daily) and one.flows.equals(two.flows)


def test_auto_engine_choice(tiny, shared_dir):
    from corridor.engine.simulation import choose_engine
    from corridor.flee.convert import load_flee

    small = load_scenario(tiny)
    assert choose_engine(small, "auto") == "agents"
    big = small.replace(departures=tuple(d.model_copy(update={"count": 300_000})
                                         for d in small.departures))
    assert choose_engine(big, "auto") == "counts"
    mali = shared_dir / "flee-scenarios" / "mali2012"
    flee = load_flee(mali / "input", mali / "validation", mali / "simsetting.yml")
    assert choose_engine(flee, "auto") == "agents"  # ~150,000 people
    burundi = shared_dir / "flee-scenarios" / "burundi2015"
    stints = load_flee(burundi / "input", burundi / "validation", burundi / "simsetting.yml")
    assert choose_engine(stints, "auto") == "counts"  # ~253,000 people, avoid_short_stints
    assert choose_engine(stints, "counts") == "counts"
