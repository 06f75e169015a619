"""Run count-representation cases and print one JSON line per case (for bounds-checked runs).

Run as a script, in a fresh process, so that `NUMBA_BOUNDSCHECK=1` and a private
`NUMBA_CACHE_DIR` apply to every kernel: `python tests/boundscheck_cases.py CASE ...`.
The repository root must be importable (for `benchmarks`). Cases:

* `dense`: one million people on `dense_scenario` (100 places a row, every place linked to
  every place of the next row): one row splits into about 10,000 rows a day;
* `dense-tight`: a shorter dense run that starts from 16 rows and keeps no free rows in
  reserve, so that every kernel runs out of room again and again;
* `mali-tight`: Mali 2012 (Flee model), the same way;
* `mali-agents`: Mali 2012 with the individual representation (`flee_day`, which lists the
  people a rule holds in a buffer of one entry per person), 60 days;
* `burundi-N`: Burundi 2015 (Flee model, `avoid_short_stints` off) with every count × N;
* `burundi-stints-tight`: Burundi 2015 with its own settings (`avoid_short_stints` on: rows
  carry the rule's `recent_q` and `moved` columns), 120 days, tight buffers;
* `caravan-group-tight`: caravan-2018-10 as a group that thins (`pace_cohesion` 1,
  `breakaway_chance`, rides by legal status: up to 6 new rows when a row starts), 50 days,
  tight buffers;
* `generated`: the corridor model on a dense generated corridor (each town linked to the
  towns up to 4 columns aside in the next row, busy towns), 1,000,000 people.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(os.environ.get("CORRIDOR_SHARED",
                             Path(__file__).resolve().parents[2] / "shared"))


def flee_case(name: str, factor: int, *settings: str):
    """Load a Flee scenario from the shared folder with every count × factor."""
    from benchmarks.flee_driver import scaled_copy

    from corridor.flee.convert import load_flee

    folder = SHARED / "flee-scenarios" / name
    input_dir, validation_dir = folder / "input", folder / "validation"
    with tempfile.TemporaryDirectory() as tmp:
        if factor != 1:
            input_dir, validation_dir = scaled_copy(input_dir, validation_dir, factor,
                                                    Path(tmp))
        return load_flee(input_dir, validation_dir, folder / "simsetting.yml", list(settings))


def scenario(case: str):
    """Return the scenario of a case and whether it runs with tight buffers."""
    from benchmarks.generated import dense_scenario, generated_scenario

    if case == "dense":
        return dense_scenario(1_000_000, width=100, layers=2, days=12), False
    if case == "dense-tight":
        return dense_scenario(200_000, width=60, layers=2, days=4), True
    if case == "mali-tight":
        return flee_case("mali2012", 1, "days=60"), True
    if case == "mali-agents":
        return flee_case("mali2012", 1, "days=60"), False
    if case == "burundi-stints-tight":
        return flee_case("burundi2015", 1, "days=120"), True
    if case.startswith("burundi-"):
        return flee_case("burundi2015", int(case.split("-")[1]),
                         "avoid_short_stints=false"), False
    if case == "caravan-group-tight":
        from corridor.scenario import load_scenario

        return load_scenario("caravan-2018-10", [
            "days=50", "pace_cohesion=1.0", "breakaway_chance=0.1", "legal_ride_chance=0.7",
            "ride_seats=200", "overnight_at_places=true"]), True
    if case == "generated":
        return generated_scenario(1_000_000, days=60, width=10, length=12, busy=True,
                                  reach=4), False
    raise SystemExit(f"unknown case {case!r}")


def run(case: str) -> dict:
    """Run one case (count representation unless it ends in `-agents`); return its totals."""
    from corridor.engine import count_kernels, flee_count_kernels
    from corridor.engine.agents import Agents
    from corridor.engine.simulation import Simulation

    sc, tight = scenario(case)
    if tight:
        count_kernels.ROOM = flee_count_kernels.ROOM = 0
    started = time.perf_counter()
    sim = Simulation(sc, seed=7, engine="agents" if case.endswith("-agents") else "counts")
    if tight:
        sim.agents = Agents()  # 16 rows to start with
    sim.run()
    daily = sim.sink.tables()["daily"]
    last = daily.filter(daily["day"].to_numpy() == sim.days - 1)
    people = sum(c for c, s in zip(last["count"].to_pylist(), last["state"].to_pylist(),
                                   strict=True) if s != "not_departed")
    return {"case": case, "engine": sim.engine, "departed": sim.departed,
            "people": sim.people(), "last_day_people": people, "rows": int(sim.agents.n),
            "days": sim.days, "wall_s": round(time.perf_counter() - started, 2)}


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(json.dumps(run(name)), flush=True)
