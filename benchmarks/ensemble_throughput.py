"""Ensemble throughput (members per second) by backend, and the overhead per member.

Run: `.venv/bin/python -m benchmarks.ensemble_throughput [MEMBERS] [DAYS]` or `make bench`
(DAYS: default the scenario's).

Each backend first runs a warm-up study (worker start-up, imports, compiled kernels loaded),
then a timed study of MEMBERS members of caravan-2020 in a fresh folder. The overhead per
member is what one worker spends on a member beyond the simulation itself: writing its tables
(Parquet, scenario copy), metrics and observations, scheduling and the catalog.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _scenario(days: int | None):
    from corridor.scenario import load_scenario

    settings = [f"days={days}", "drop_late_departures=true"] if days else []
    return load_scenario("caravan-2020", settings)


def _study(scenario, members: int, folder: Path):
    from corridor.analysis.ensemble import Point, Study, ensemble_outputs

    return Study("ensemble", scenario, [Point(0)], members, 1, folder,
                 ensemble_outputs(scenario), keep=True,
                 observations=bool(scenario.observations))


def time_backend(name: str, backend, scenario, members: int, root: Path) -> dict:
    """Warm the backend up, then time a study of `members` members on it."""
    from corridor.analysis.ensemble import run_study

    started = time.perf_counter()
    run_study(_study(scenario, max(2, backend.workers), root / f"{name}-warm"), backend)
    warm = time.perf_counter() - started
    result = run_study(_study(scenario, members, root / name), backend)
    assert result.done == members and not result.failed, result.failed[:1]
    member_times = [s.wall_time_s for s in result.summaries]
    return {"backend": name, "workers": backend.workers, "members": members,
            "wall_s": result.wall_time_s, "members_per_s": members / result.wall_time_s,
            "worker_s_per_member": float(np.mean(member_times)), "startup_s": warm}


def bare_simulation_s(scenario, repeats: int = 5) -> tuple[float, float]:
    """Return the mean time of a bare run (tables in memory) and of a run writing its folder."""
    from corridor.api import run
    from corridor.engine.simulation import Simulation

    children = np.random.SeedSequence(1).spawn(repeats + 1)
    Simulation(scenario, seed_sequence=children[-1], threads=1).run()  # kernels loaded
    bare, written = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(repeats):
            t = time.perf_counter()
            Simulation(scenario, seed_sequence=children[k], member=k, threads=1).run()
            bare.append(time.perf_counter() - t)
            t = time.perf_counter()
            run(scenario, out=Path(tmp) / str(k), seed_sequence=children[k], member=k,
                threads=1)
            written.append(time.perf_counter() - t)
    return float(np.mean(bare)), float(np.mean(written))


def run_all(members: int = 24, days: int | None = None, dask: bool = True
            ) -> tuple[list[dict], dict]:
    """Time every backend; return the rows and the per-member costs."""
    from corridor.analysis.backends import DaskBackend, InlineBackend, ProcessBackend

    scenario = _scenario(days)
    bare, written = bare_simulation_s(scenario)
    rows = []
    with tempfile.TemporaryDirectory(prefix="corridor-bench-") as tmp:
        root = Path(tmp)
        rows.append(time_backend("inline", InlineBackend(), scenario, members, root))
        for n in (1, 2):
            with ProcessBackend(n) as procs:
                rows.append(time_backend(f"processes-{n}", procs, scenario, members, root))
        if dask:
            from dask.distributed import Client, LocalCluster

            for n in (1, 2):
                with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
                        Client(cluster) as client:
                    rows.append(time_backend(f"dask-localcluster-{n}", DaskBackend(client),
                                             scenario, members, root))
    costs = {"simulation_s": bare, "simulation_and_files_s": written,
             "days": scenario.config.days, "people": int(sum(d.count for d in
                                                              scenario.departures))}
    for row in rows:
        # what a worker spends per member beyond the bare simulation
        row["overhead_s_per_member"] = row["workers"] / row["members_per_s"] - bare
    return rows, costs


def table(rows: list[dict], costs: dict) -> str:
    """Return the rows as a plain-text table with the per-member costs underneath."""
    head = f"{'backend':<22}{'workers':>8}{'members':>8}{'wall s':>9}{'members/s':>11}" \
           f"{'worker s/member':>17}{'overhead s/member':>19}{'start-up s':>12}"
    lines = [f"caravan-2020: {costs['days']} days, {costs['people']:,} people; cores here: "
             f"{os.cpu_count()}", head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['backend']:<22}{r['workers']:>8}{r['members']:>8}{r['wall_s']:>9.2f}"
                     f"{r['members_per_s']:>11.2f}{r['worker_s_per_member']:>17.3f}"
                     f"{r['overhead_s_per_member']:>19.3f}{r['startup_s']:>12.2f}")
    lines.append(f"one member, in this process: simulation {costs['simulation_s']:.3f} s; "
                 f"with its folder written {costs['simulation_and_files_s']:.3f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 24
    d = int(sys.argv[2]) if len(sys.argv) > 2 else None
    result_rows, result_costs = run_all(n, d)
    print(table(result_rows, result_costs))
