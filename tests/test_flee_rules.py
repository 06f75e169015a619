"""Rules inside the `flee` model: people a rule holds stay put, in both representations, and a
closure that turns people back sends them where they came from."""

from __future__ import annotations

import numpy as np
import pytest
from test_flee_model import make

from corridor.engine.simulation import Simulation
from corridor.engine.states import State
from corridor.scenario import load_scenario

# z is place 0 and on no route; a -> b, then b -> c (closed from day 2 to day 7) or b -> d.
PLACES = ("z,Z,AA,town,5,5,,\na,A,AA,town,0,0,,1000\nb,B,AA,town,0,1,,\n"
          "c,C,BB,camp,0,2,,\nd,D,BB,camp,1,1,,\n")
ROUTES = "a,b,150,0\nb,c,700,0\nb,d,300,0\n"
PARAMS = {"conflict_driven_spawning": True, "displaced_per_conflict_day": 500,
          "conflict_weight": 0.0, "default_movechance": 1.0, "camp_movechance": 0.0,
          "max_move_speed": 200.0}
CLOSURE = """[[rule]]
id = "shut"
kind = "closure"
where = {{ route = "b>c" }}
action = "{action}"
start = "2020-01-03"
end = "2020-01-08"
"""


def _positions(tmp_path, action: str, engine: str) -> list[dict[tuple[str, int], int]]:
    """People by (place, state) after each of 12 days (`link` for people on a route)."""
    make(tmp_path, PLACES, ROUTES, PARAMS, days=12, conflicts="2020-01-01,a,1\n2020-01-02,a,0\n")
    (tmp_path / "rules.toml").write_text(CLOSURE.format(action=action))
    sim = Simulation(load_scenario(tmp_path), seed=1, engine=engine)
    days = []
    for _ in range(12):
        sim.step()
        a = sim.agents
        count = a.full("count")[:a.n] if engine == "counts" else np.ones(a.n, dtype=np.int64)
        pos: dict[tuple[str, int], int] = {}
        for place, link, state, k in zip(a.place, a.link, a.state, count, strict=True):
            key = (sim.network.place_ids[place] if link < 0 else "link", int(state))
            pos[key] = pos.get(key, 0) + int(k)
        days.append(pos)
    return days


@pytest.mark.parametrize("engine", ["agents", "counts"])
def test_people_a_closure_holds_wait_where_they_are_until_it_reopens(tmp_path, engine):
    days = _positions(tmp_path, "wait", engine)
    at_b = days[3].get(("b", int(State.IN_TRANSIT)), 0)
    assert at_b > 50  # people reached b before the closure held them
    for day in range(4, 8):  # the closure holds them: waiting at b, nobody moves on to d
        assert days[day].get(("b", int(State.WAITING))) == at_b, (day, days[day])
        assert days[day].get(("d", int(State.IN_CAMP))) == days[3][("d", int(State.IN_CAMP))]
    assert not any(state == State.WAITING for place, state in days[9])  # released on reopening


@pytest.mark.parametrize("engine", ["agents", "counts"])
def test_turn_back_never_sends_people_to_place_zero(tmp_path, engine):
    days = _positions(tmp_path, "turn_back", engine)
    assert all(place != "z" for day in days for place, _ in day), days
    waiting = sum(n for (place, state), n in days[5].items() if state == State.WAITING)
    assert waiting > 50
