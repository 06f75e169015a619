"""Engine throughput and memory on a generated network at 10^4, 10^5 and 10^6 agents.

Each size runs in its own process so that peak memory (ru_maxrss) belongs to that size alone.
Run: `.venv/bin/python -m benchmarks.engine_speed` (or `make bench`).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

DAYS = 100
SIZES = (10**4, 10**5, 10**6)


def measure(agents: int, days: int = DAYS, busy: bool = False) -> dict:
    """Run the generated scenario once (after a warm-up that compiles the kernels)."""
    from benchmarks.generated import generated_scenario
    from corridor.engine.simulation import Simulation

    Simulation(generated_scenario(1000, days=12), seed=0).run()  # compile / load kernels
    scenario = generated_scenario(agents, days=days, busy=busy)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    sim = Simulation(scenario, seed=1)
    started = time.perf_counter()
    sim.run()
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    steps = sum(min(days, days - d) for d in range(10)) * agents // 10  # agents × days active
    return {"workload": "busy" if busy else "flee-like", "agents": agents, "days": days,
            "wall_s": wall, "agent_steps_per_s": steps / wall,
            "state_bytes_per_agent": sim.agents.bytes_per_agent(),
            "peak_rss_growth_bytes_per_agent": max(peak - base, 0) / agents}


def run_all(sizes: tuple[int, ...] = SIZES, busy: bool = False, threads: int = 1) -> list[dict]:
    """Measure each size in a fresh process (with `threads` kernel threads); return the rows."""
    rows = []
    for n in sizes:
        args = ["--one", str(n)] + (["--busy"] if busy else [])
        out = subprocess.run([sys.executable, "-m", "benchmarks.engine_speed", *args],
                             capture_output=True, text=True, check=True,
                             cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             env={**os.environ, "NUMBA_NUM_THREADS": str(threads)})
        row = json.loads(out.stdout.strip().splitlines()[-1])
        row["threads"] = threads
        rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    """Format rows as a text table."""
    lines = [f"{'workload':>9} {'threads':>7} {'agents':>10} {'days':>5} {'wall s':>8} "
             f"{'M agent-steps/s':>16} {'state B/agent':>14} {'peak RSS B/agent':>17}"]
    for r in rows:
        lines.append(f"{r['workload']:>9} {r.get('threads', 1):>7} {r['agents']:>10,} "
                     f"{r['days']:>5} {r['wall_s']:>8.2f} "
                     f"{r['agent_steps_per_s'] / 1e6:>16.1f} {r['state_bytes_per_agent']:>14} "
                     f"{r['peak_rss_growth_bytes_per_agent']:>17.1f}")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--one":
        print(json.dumps(measure(int(sys.argv[2]), busy="--busy" in sys.argv)))
    else:
        one = run_all() + run_all(busy=True)
        two = run_all((10**6,), threads=2) + run_all((10**6,), busy=True, threads=2)
        print(table(one + two))
        for r2 in two:
            r1 = next(r for r in one if r["agents"] == r2["agents"]
                      and r["workload"] == r2["workload"])
            print(f"speed-up with 2 threads, {r2['workload']}, {r2['agents']:,} agents: "
                  f"{r1['wall_s'] / r2['wall_s']:.2f}x")
