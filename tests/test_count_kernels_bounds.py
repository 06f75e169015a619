"""The count kernels never write out of bounds, whatever one row splits into (issue #12).

A row of c people can split into up to c - 1 rows in a day, so no fixed margin of free rows is
enough: the kernels check the room wherever a bounded number of rows can follow, and return
(suspend) when it is short so that the caller grows the buffers and they go on where they
stopped. These tests run rows that need far more rows than the buffers hold (a dense network,
huge counts, buffers of 16 rows with no reserve) and require the same tables, bit for bit, as
the same run with roomy buffers, and every person kept. Bounds-checked runs (NUMBA_BOUNDSCHECK=1
in a fresh process with its own kernel cache) show that no write leaves its array.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from benchmarks.generated import dense_scenario

from corridor.engine import count_kernels, flee_count_kernels, flee_model, movement
from corridor.engine.agents import Agents
from corridor.engine.flags import Flag
from corridor.engine.simulation import Simulation
from corridor.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]
CASES = Path(__file__).with_name("boundscheck_cases.py")


def _run(scenario, monkeypatch, tight: bool, seed: int = 5):
    """Run with the count representation; tight: 16 rows to start with and no reserve.

    Returns:
        (simulation, its tables, how many kernel calls stopped because a buffer was short).
    """
    short = [0]
    move_rows, flee_day = movement.move_rows, flee_model.flee_count_day

    def spy_rows(*args):
        out = move_rows(*args)
        short[0] += out[-1] != 0
        return out

    def spy_flee(prog, *args):
        out = flee_day(prog, *args)
        short[0] += prog[flee_count_kernels.STAGE] != flee_count_kernels.STAGE_DONE
        return out

    with monkeypatch.context() as m:
        m.setattr(movement, "move_rows", spy_rows)
        m.setattr(flee_model, "flee_count_day", spy_flee)
        if tight:
            m.setattr(count_kernels, "ROOM", 0)
            m.setattr(flee_count_kernels, "ROOM", 0)
        sim = Simulation(scenario, seed=seed, engine="counts")
        if tight:
            sim.agents = Agents()
        sim.run()
    assert sim.engine == "counts"
    return sim, sim.sink.tables(), short[0]


def _conserved(sim, tables) -> None:
    """Everybody who left is somewhere, on every day."""
    assert sim.people() == sim.departed
    daily = tables["daily"].to_pydict()
    per_day: dict[int, int] = {}
    for day, state, count in zip(daily["day"], daily["state"], daily["count"], strict=True):
        if state != "not_departed":
            per_day[day] = per_day.get(day, 0) + count
    assert per_day[sim.days - 1] == sim.departed


def _same_tables(a, b) -> None:
    for name in a:
        assert a[name].equals(b[name]), name


@pytest.fixture(scope="module")
def mali(shared_dir):
    from corridor.flee.convert import load_flee

    base = shared_dir / "flee-scenarios" / "mali2012"
    return load_flee(base / "input", base / "validation", base / "simsetting.yml",
                     ["days=120"])


def test_a_row_that_needs_more_rows_than_the_buffers_hold(monkeypatch):
    # one origin row of 100,000 people a day; 60 × 60 routes two hops on: thousands of rows
    sc = dense_scenario(1_000_000, width=60, layers=2, days=4)
    tight, tables, short = _run(sc, monkeypatch, tight=True)
    roomy, roomy_tables, _ = _run(sc, monkeypatch, tight=False)
    assert short > 10  # the grow-and-go-on path ran, many times
    assert roomy.agents.n > 4096  # rows made in one day by a handful of rows: more than any
    _conserved(tight, tables)  # fixed margin the kernels assumed before
    _same_tables(tables, roomy_tables)


def test_corridor_model_with_rules_same_result_whatever_the_buffers(monkeypatch):
    # caravan-2020 has rules: people stop at gates (the `stopped` buffer grows too)
    sc = load_scenario("caravan-2020")
    sc = sc.replace(config=sc.config.model_copy(update={"days": 90}))
    tight, tables, short = _run(sc, monkeypatch, tight=True)
    _, roomy_tables, _ = _run(sc, monkeypatch, tight=False)
    assert short > 0
    _conserved(tight, tables)
    _same_tables(tables, roomy_tables)


def test_a_thinning_caravan_same_result_whatever_the_buffers(monkeypatch):
    # breakaways and legal rides split a row into up to 6 rows when it starts its day
    sc = load_scenario("caravan-2018-10", ["days=50", "pace_cohesion=1.0",
                                           "breakaway_chance=0.1", "legal_ride_chance=0.7",
                                           "ride_seats=200", "overnight_at_places=true"])
    tight, tables, short = _run(sc, monkeypatch, tight=True)
    _, roomy_tables, _ = _run(sc, monkeypatch, tight=False)
    assert short > 0
    assert (tight.agents.full("flags")[: tight.agents.n] & Flag.LEFT_GROUP).any()
    _conserved(tight, tables)
    _same_tables(tables, roomy_tables)


def test_flee_model_same_result_whatever_the_buffers(monkeypatch, mali):
    tight, tables, short = _run(mali, monkeypatch, tight=True)
    _, roomy_tables, _ = _run(mali, monkeypatch, tight=False)
    assert short > 0
    _conserved(tight, tables)
    _same_tables(tables, roomy_tables)


def test_avoid_short_stints_rows_same_result_whatever_the_buffers(monkeypatch, shared_dir):
    # Burundi's own settings turn avoid_short_stints on: rows carry `recent_q` and `moved`,
    # which a row split while suspended must keep
    from corridor.flee.convert import load_flee

    base = shared_dir / "flee-scenarios" / "burundi2015"
    sc = load_flee(base / "input", base / "validation", base / "simsetting.yml", ["days=90"])
    assert sc.parameters.avoid_short_stints
    tight, tables, short = _run(sc, monkeypatch, tight=True)
    _, roomy_tables, _ = _run(sc, monkeypatch, tight=False)
    assert short > 0
    assert tight.agents.full("recent_q")[: tight.agents.n].any()
    _conserved(tight, tables)
    _same_tables(tables, roomy_tables)


def _bounds_checked(tmp_path: Path, *cases: str, timeout: float) -> list[dict]:
    """Run cases of `boundscheck_cases.py` in a fresh process under NUMBA_BOUNDSCHECK=1.

    The kernel cache is private: kernels compiled without bounds checks are not reused.
    """
    env = dict(os.environ, NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR=str(tmp_path / "numba"),
               PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO),
                                           os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, str(CASES), *cases], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [r["case"] for r in rows] == list(cases)
    for r in rows:
        assert r["engine"] == ("agents" if r["case"].endswith("-agents") else "counts")
        assert r["departed"] > 0
        assert r["people"] == r["departed"] == r["last_day_people"], r
    return rows


def test_kernels_stay_in_bounds_under_numba_boundscheck(tmp_path, shared_dir):
    # `dense` aborted (glibc heap corruption; IndexError with bounds checks) before the fix
    rows = _bounds_checked(tmp_path, "dense", "dense-tight", "mali-tight",
                           "burundi-stints-tight", "mali-agents", "caravan-group-tight",
                           timeout=900)
    assert rows[0]["departed"] == 1_000_000


@pytest.mark.slow
def test_scale_cases_under_numba_boundscheck(tmp_path, shared_dir):
    """The bounds-checked CI job: Burundi ×1000 and a dense generated corridor, counts."""
    rows = _bounds_checked(tmp_path, "burundi-1000", "generated", timeout=1800)
    assert rows[0]["departed"] > 200_000_000
