"""The batched row helpers of the count representation give exactly the per-row results.

`Simulation._split_rows`, `set_timers`, `take` and `change_state` work on many rows at once
(numba kernels in `engine/row_splits.py` and `engine/row_updates.py`). Here each is checked
against a deliberately simple reference — the per-row procedure they replaced: one
`Agents.split_row` per row split in part, one binomial split per timer day, one
`Recorder.add_transitions` per change of state, numpy for a move to a place — on random
rows, and whole runs of the built-in scenarios through the reference path must give the
same tables.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from tiny_fixture import write_scenario

import corridor
from corridor.engine.agents import COLUMNS
from corridor.engine.random import binomials
from corridor.engine.simulation import Simulation
from corridor.engine.states import State
from corridor.scenario import load_scenario

# --- the per-row reference ---------------------------------------------------------------


def ref_split_rows(sim, idx, p, purpose, counter=0):
    """One binomial draw per row; each row split in part becomes a new row, one at a time."""
    a = sim.agents
    if not len(idx):
        return idx, idx
    idx = np.asarray(idx, dtype=np.int64)
    n = a.count[idx].astype(np.int64)
    k = binomials(sim.key_for(sim.day, purpose), idx, counter, n, float(p))
    all_yes, none = k == n, k == 0
    mixed = ~all_yes & ~none
    pieces = [a.split_row(int(row), int(kk)) for row, kk in zip(idx[mixed], k[mixed],
                                                                strict=True)]
    yes = np.concatenate([idx[all_yes], np.array(pieces, dtype=np.int64)])
    no = np.concatenate([idx[none], idx[mixed]])
    return yes.astype(np.int64), no.astype(np.int64)


def ref_set_timers(sim, idx, first, last, purpose):
    """A day for each person: one binomial split per day of the range."""
    if not sim.count_rows:
        return Simulation.set_timers(sim, idx, first, last, purpose)
    span = last - first + 1
    rest = idx
    for v in range(span):
        if not len(rest):
            break
        now, rest = ref_split_rows(sim, rest, 1.0 / (span - v), purpose, counter=v)
        sim.agents.timer[now] = first + v
    return None


def ref_take(sim, idx, n, fifo=True):
    """The first n people; the row where n falls is split with `split_row`."""
    if fifo and len(idx):
        idx = idx[np.lexsort((idx, sim.agents.since[idx]))]
    if not sim.count_rows:
        return idx[:n], idx[n:]
    counts = sim.agents.count[idx].astype(np.int64)
    before = np.cumsum(counts) - counts
    full = before + counts <= n
    taken = list(idx[full])
    for k in np.flatnonzero(~full & (before < n)):
        taken.append(sim.agents.split_row(int(idx[k]), int(n - before[k])))
    return np.array(taken, dtype=np.int64), np.array(list(idx[~full]), dtype=np.int64)


def ref_put_at(sim, idx, place):
    """Put people at a place, with numpy."""
    a, net = sim.agents, sim.network
    a.prev_place[idx] = np.where(a.link[idx] < 0, a.place[idx], a.prev_place[idx])
    a.place[idx] = place
    a.link[idx] = -1
    a.travelled[idx] = 0.0
    country = int(net.country[place])
    if country < 16:
        a.countries[idx] |= np.uint16(1 << country)
    a.kinds[idx] |= np.uint16(1 << int(net.kind[place]))


def use_reference(sim):
    """Make a simulation use the per-row reference for every batched helper."""
    sim._split_rows = lambda idx, p, purpose, counter=0: ref_split_rows(sim, idx, p, purpose,
                                                                        counter)
    sim.set_timers = lambda idx, first, last, purpose: ref_set_timers(sim, idx, first, last,
                                                                      purpose)
    sim.take = lambda idx, n, fifo=True: ref_take(sim, idx, n, fifo)
    sim.recorder.change_key = lambda new, rule: None  # one add_transitions per change
    sim.put_at = lambda idx, place: ref_put_at(sim, idx, place)


# --- random rows ---------------------------------------------------------------------------


def _sim(tmp_path, seed):
    scenario = load_scenario(write_scenario(tmp_path / "tiny"))
    sim = Simulation(scenario, seed=seed, engine="counts")
    sim.day = 5
    rng = np.random.default_rng(seed)
    rows = 300
    counts = rng.choice([0, 1, 2, 3, 7, 40, 500, 12_000], size=rows)
    sim.agents.add(rows, rng.integers(0, 5, rows), 0, 0, int(State.DETAINED), 1, 1,
                   per_row=counts)
    a = sim.agents
    a.since[:] = rng.integers(0, 5, rows)
    a.timer[:] = rng.integers(-1, 9, rows)
    a.flags[:] = rng.integers(0, 4, rows)
    a.link[:] = np.where(rng.random(rows) < 0.2, rng.integers(0, 4, rows), -1)
    return sim


def _same_rows(one, two):
    assert one.n == two.n
    for name in COLUMNS:
        assert np.array_equal(getattr(one, name), getattr(two, name)), name


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("p", [0.0, 0.001, 0.3, 0.5, 0.93, 1.0])
def test_split_rows_is_the_per_row_split(tmp_path, seed, p):
    fast, slow = _sim(tmp_path, seed), _sim(tmp_path, seed)
    idx = np.random.default_rng(seed).permutation(fast.agents.n)[:200]
    yes, no = fast._split_rows(idx, p, 7, counter=2)
    ref_yes, ref_no = ref_split_rows(slow, idx, p, 7, counter=2)
    assert np.array_equal(yes, ref_yes) and np.array_equal(no, ref_no)
    _same_rows(fast.agents, slow.agents)
    if 0.0 < p < 1.0:
        assert fast.agents.n > 300  # some rows were split in part: the case at stake


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("days", [(0, 0), (1, 3), (60, 120), (45, 90)])
def test_set_timers_is_one_split_per_day(tmp_path, seed, days):
    fast, slow = _sim(tmp_path, seed), _sim(tmp_path, seed)
    idx = np.random.default_rng(seed + 10).permutation(fast.agents.n)[:250]
    first, last = fast.day + days[0], fast.day + days[1]
    fast.set_timers(idx, first, last, 11)
    ref_set_timers(slow, idx, first, last, 11)
    _same_rows(fast.agents, slow.agents)
    if days[1] > days[0]:
        assert len(np.unique(fast.agents.timer[fast.agents.count > 0])) > 2


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("n", [0, 1, 999, 50_000, 10**9])
@pytest.mark.parametrize("fifo", [True, False])
def test_take_is_the_per_row_take(tmp_path, seed, n, fifo):
    fast, slow = _sim(tmp_path, seed), _sim(tmp_path, seed)
    idx = np.random.default_rng(seed).permutation(fast.agents.n)[:120]
    taken, rest = fast.take(idx, n, fifo)
    ref_taken, ref_rest = ref_take(slow, idx, n, fifo)
    assert np.array_equal(taken, ref_taken) and np.array_equal(rest, ref_rest)
    _same_rows(fast.agents, slow.agents)


@pytest.mark.parametrize("seed", [1, 2])
def test_changes_of_state_are_counted_as_one_add_transitions_per_call(tmp_path, seed):
    fast, slow = _sim(tmp_path, seed), _sim(tmp_path, seed)
    slow.recorder.change_key = lambda new, rule: None
    rng = np.random.default_rng(seed)
    states = [State.IN_TRANSIT, State.ARRIVED, State.GAVE_UP, State.WAITING_MPP]
    for call in range(40):
        idx = rng.permutation(fast.agents.n)[: rng.integers(0, 60)]
        new, rule = states[call % 4], f"rule-{call % 5}"
        if call % 7 == 3:  # direct counts in between keep their place in the order
            for sim in (fast, slow):
                sim.add_people(5, 1, 0)
        for sim in (fast, slow):
            sim.change_state(idx, new, rule)
    fast.recorder._settle()
    assert list(fast.recorder._trans.items()) == list(slow.recorder._trans.items())
    assert len(fast.recorder._trans) > 20
    _same_rows(fast.agents, slow.agents)


@pytest.mark.parametrize("seed", [1, 2])
def test_put_at_is_the_numpy_move(tmp_path, seed):
    fast, slow = _sim(tmp_path, seed), _sim(tmp_path, seed)
    rng = np.random.default_rng(seed)
    for place in (3, 0, 2, 4, 1):
        idx = rng.permutation(fast.agents.n)[:90]
        fast.put_at(idx, place)
        ref_put_at(slow, idx, place)
        _same_rows(fast.agents, slow.agents)
    assert (fast.agents.prev_place >= 0).sum() > 100


# --- whole runs ----------------------------------------------------------------------------


def _tables(result):
    return {name: result.table(name) for name in ("daily", "flows", "transitions", "outcomes")}


@pytest.mark.parametrize("name,seed", [("caravan-2018-10", 4), ("caravan-2021-01", 9),
                                       ("caravan-2020", 2)])
def test_a_run_gives_the_tables_of_the_per_row_reference(name, seed):
    scenario = corridor.load_scenario(name)
    fast = Simulation(scenario, seed=seed, engine="counts").run()
    slow_sim = Simulation(scenario, seed=seed, engine="counts")
    use_reference(slow_sim)
    slow = slow_sim.run()
    fast_tables, slow_tables = _tables(fast), _tables(slow)
    for table in fast_tables:
        assert fast_tables[table].equals(slow_tables[table]), table
    moved = pa.compute.sum(fast_tables["transitions"]["count"]).as_py()
    assert moved and fast_tables["transitions"].num_rows > 100
