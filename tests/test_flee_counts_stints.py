"""`avoid_short_stints` with the count representation is statistically the individual one.

Burundi 2015 (whose FabFlee settings turn `avoid_short_stints` on), shortened to 120 days and
with populations divided by 20 (`hasten=20`, about 8,500 people), runs with 30 seeds in each
representation; every (day, place, state) cell on 8 days is compared with the procedure of
`test_counts_equivalence.py` (Welch + Brown–Forsythe, Holm-corrected at 1 %). The same
procedure tells the rule from its absence: count runs without it differ from individual runs
with it. Rows keep the rule's moving average (`recent`, rounded to 1/4096 of a day at
`max_move_speed`), and people are conserved; without the rule its columns stay 0, so they keep
no rows apart.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_counts_equivalence import cells, rejections

from corridor.engine.simulation import Simulation, choose_engine
from corridor.flee.convert import load_flee

SEEDS = list(range(30))
DAYS = [15, 30, 45, 60, 75, 90, 105, 119]


def _burundi(shared_dir, *settings):
    base = shared_dir / "flee-scenarios" / "burundi2015"
    return load_flee(base / "input", base / "validation", base / "simsetting.yml",
                     ["days=120", "hasten=20", *settings])


def _aligned(a, keys_a, b, keys_b):
    keys = sorted(set(keys_a) | set(keys_b))
    ia = {k: i for i, k in enumerate(keys_a)}
    ib = {k: i for i, k in enumerate(keys_b)}
    n = a.shape[0]
    left = np.stack([a[:, ia[k]] if k in ia else np.zeros(n) for k in keys], axis=1)
    right = np.stack([b[:, ib[k]] if k in ib else np.zeros(n) for k in keys], axis=1)
    return left, right


@pytest.fixture(scope="module")
def stints(shared_dir):
    sc = _burundi(shared_dir)
    assert sc.parameters.avoid_short_stints  # Burundi's own setting
    return sc


@pytest.fixture(scope="module")
def agent_cells(stints):
    return cells(stints, "agents", SEEDS, DAYS)


def test_counts_match_agents_with_avoid_short_stints(stints, agent_cells):
    b, keys_b = cells(stints, "counts", [s + 10_000 for s in SEEDS], DAYS)
    a, b = _aligned(*agent_cells, b, keys_b)
    assert a.shape[1] > 50
    assert rejections(a, b) == []


def test_the_comparison_tells_the_rule_from_its_absence(shared_dir, agent_cells):
    without = _burundi(shared_dir, "avoid_short_stints=false")
    b, keys_b = cells(without, "counts", [s + 10_000 for s in SEEDS], DAYS)
    a, b = _aligned(*agent_cells, b, keys_b)
    assert len(rejections(a, b)) > 0


def test_rows_keep_the_average_and_people_are_conserved(stints):
    assert choose_engine(stints, "counts") == "counts"  # no longer refused
    sim = Simulation(stints, seed=1, engine="counts")
    sim.run()
    a = sim.agents
    assert sim.people() == sim.departed
    recent = a.full("recent_q")[: a.n]
    assert recent.max() > 0 and recent.min() >= 0  # people who travelled lately are marked
    assert recent.max() <= 4096  # at most a full day at max_move_speed, on average
    assert (a.full("moved")[: a.n] == 0).all()  # today's km folded into the average
    assert a.n < 3000  # rows, for about 8,500 people


def test_without_the_rule_its_columns_stay_zero_and_keep_no_rows_apart(shared_dir):
    sim = Simulation(_burundi(shared_dir, "avoid_short_stints=false"), seed=1, engine="counts")
    sim.run()
    a = sim.agents
    assert not a.full("recent_q")[: a.n].any()
    assert not a.full("moved")[: a.n].any()
