"""Flee 3.1 against Corridor's `flee` model on Mali 2012, at ×1 and ×10 populations.

Each run happens in its own process, so that peak memory (ru_maxrss) belongs to it alone.
Flee runs in its own virtual environment (`FLEE_PYTHON`, default `/work/flee-venv/bin/python`,
with `flee==3.1`) through `benchmarks/flee_driver.py`. Corridor's wall time is measured after a
short warm-up run in the same process (so numba compilation is not counted; it is reported
separately); it is the median of up to 5 timed runs (as many as fit in 20 s; all are kept in
`wall_times_s`), since a run of a tenth of a second varies by ±30 % on a shared machine. Flee's
one run of minutes needs no repeat.

Memory is reported two ways: the peak resident memory of the process (`peak_rss_mb`), and the
model's memory (`model_mb`): the peak minus the resident memory of the runtime measured just
before the scenario is read (`runtime_rss_mb`: the interpreter with the simulator imported —
and, for Corridor, its numba kernels loaded, about 150 MB of LLVM and compiled code whatever
the scenario). Run: `.venv/bin/python -m benchmarks.flee_benchmark [--scales 1 10]`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CORRIDOR_SHARED", REPO.parent / "shared"))
FLEE_PYTHON = os.environ.get("FLEE_PYTHON", "/work/flee-venv/bin/python")
RESULTS = REPO / "benchmarks" / "results" / "flee.json"
REPEATS = 5  # Corridor runs timed per case (while they take under REPEAT_SECONDS in all)
REPEAT_SECONDS = 20.0


def scenario_dirs(name: str = "mali2012") -> tuple[Path, Path, Path]:
    """Return the input, validation and settings paths of a shared Flee scenario."""
    base = SHARED / "flee-scenarios" / name
    return base / "input", base / "validation", base / "simsetting.yml"


def corridor_measure(name: str, scale: int, days: int, seed: int, out_csv: Path,
                     engine: str = "agents", min_runs: int = 0) -> dict:
    """Run Corridor's flee model on a (scaled) Flee scenario; write a Flee out.csv.

    The run is timed up to `REPEATS` times while that takes under `REPEAT_SECONDS` in all, and
    at least `min_runs` times whatever it takes; the median counts.
    """
    from benchmarks.flee_driver import scaled_copy
    from corridor.engine.simulation import Simulation
    from corridor.flee.convert import load_flee
    from corridor.flee.outcsv import write_out_csv

    input_dir, validation_dir, settings = scenario_dirs(name)
    with tempfile.TemporaryDirectory() as tmp:
        if scale != 1:
            input_dir, validation_dir = scaled_copy(input_dir, validation_dir, scale, Path(tmp))
        t0 = time.perf_counter()
        warm = load_flee(input_dir, validation_dir, settings, [f"days={min(days, 5)}"])
        Simulation(warm, seed=seed, engine=engine).run()
        warm_s = time.perf_counter() - t0
        base = _current_rss_mb()  # the interpreter with Corridor and its kernels loaded
        sc = load_flee(input_dir, validation_dir, settings, [f"days={days}"])
    before = _current_rss_mb()
    walls = []  # a short run is timed several times (the machine is noisy): the median counts
    cpus = []  # the process's CPU time of each run (less sensitive to other processes' load)
    while len(walls) < min_runs or (len(walls) < REPEATS and sum(walls) < REPEAT_SECONDS):
        sim = Simulation(sc, seed=seed, engine=engine)
        started, cpu_started = time.perf_counter(), time.process_time()
        sim.run()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu_started)
        if len(walls) == 1:  # memory: the first run's peak, before repeats add their own
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            first = sim
    wall = statistics.median(walls)
    sim = first
    write_out_csv(sim, out_csv)
    steps = int(sim.model.total_agents.sum())
    label = "corridor" if engine == "agents" else f"corridor-{engine}"
    return {"engine": label, "scale": scale, "days": days, "wall_time_s": round(wall, 3),
            "wall_times_s": [round(w, 4) for w in walls],
            "cpu_s": round(statistics.median(cpus), 4),
            "cpu_times_s": [round(c, 4) for c in cpus],
            "warmup_s": round(warm_s, 3), "agent_steps": steps,
            "agent_steps_per_s": round(steps / wall, 1),
            "peak_rss_mb": round(peak_mb, 1),
            "rss_before_run_mb": round(before, 1),
            "runtime_rss_mb": round(base, 1),
            "model_mb": round(peak_mb - base, 1),
            "final_agents": sim.people(), "rows": int(sim.agents.n), "out_csv": str(out_csv)}


def _current_rss_mb() -> float:
    """Resident memory now (Linux), in MB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_flee(name: str, scale: int, days: int, out_csv: Path) -> dict:
    """Run Flee 3.1 through the driver in its own environment."""
    input_dir, validation_dir, settings = scenario_dirs(name)
    cmd = [FLEE_PYTHON, str(REPO / "benchmarks" / "flee_driver.py"), str(input_dir),
           str(validation_dir), "--settings", str(settings), "--days", str(days), "--scale",
           str(scale), "--out", str(out_csv)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    result["engine"] = "flee-3.1"
    return result


def run_corridor(name: str, scale: int, days: int, out_csv: Path, seed: int = 1,
                 engine: str = "agents") -> dict:
    """Run Corridor in a fresh process (so its peak memory is its own)."""
    cmd = [sys.executable, "-m", "benchmarks.flee_benchmark", "--one", name, str(scale),
           str(days), str(seed), str(out_csv), "--engine", engine]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(done.stdout.strip().splitlines()[-1])


def with_ard(row: dict) -> dict:
    """Add the rescaled and plain ARD of the run's out.csv."""
    from corridor.analysis.ard import ard
    from corridor.flee.outcsv import read_out_csv

    out = read_out_csv(row["out_csv"])
    row["ard"] = round(ard(out.simulated, out.observed), 4)
    row["ard_plain"] = round(ard(out.simulated, out.observed, rescaled=False), 4)
    return row


def compare(name: str = "mali2012", scales: tuple[int, ...] = (1, 10), days: int = 300,
            folder: Path | None = None) -> list[dict]:
    """Run both simulators at each scale; return one row per (engine, scale)."""
    folder = folder or Path(tempfile.mkdtemp(prefix="flee-bench-"))
    rows = []
    for scale in scales:
        rows.append(with_ard(run_corridor(name, scale, days, folder / f"corridor-x{scale}.csv")))
        rows.append(with_ard(run_corridor(name, scale, days,
                                          folder / f"corridor-counts-x{scale}.csv",
                                          engine="counts")))
        rows.append(with_ard(run_flee(name, scale, days, folder / f"flee-x{scale}.csv")))
    return rows


def table(rows: list[dict]) -> str:
    """Format rows as a text table, with Corridor's speed-up over Flee per scale."""
    head = (f"{'engine':<16}{'scale':>6}{'days':>6}{'agents':>10}{'wall s':>10}"
            f"{'agent-steps/s':>15}{'peak MB':>9}{'model MB':>9}{'ARD':>8}{'ARD plain':>10}"
            f"{'speed-up':>9}{'memory':>8}")
    lines = [head, "-" * len(head)]
    flee_wall = {r["scale"]: r["wall_time_s"] for r in rows if r["engine"] == "flee-3.1"}
    flee_model = {r["scale"]: r.get("model_mb") for r in rows if r["engine"] == "flee-3.1"}
    for r in rows:
        speedup = memory = ""
        if r["engine"].startswith("corridor") and r["scale"] in flee_wall:
            speedup = f"{flee_wall[r['scale']] / r['wall_time_s']:.0f}×"
            if flee_model.get(r["scale"]) and r.get("model_mb") is not None:
                memory = f"{r['model_mb'] / flee_model[r['scale']]:.0%}"
        model = r.get("model_mb")
        lines.append(f"{r['engine']:<16}{r['scale']:>6}{r['days']:>6}{r['final_agents']:>10,}"
                     f"{r['wall_time_s']:>10.2f}{r['agent_steps_per_s']:>15,.0f}"
                     f"{r['peak_rss_mb']:>9.0f}{'—' if model is None else f'{model:.0f}':>9}"
                     f"{r['ard']:>8.4f}{r['ard_plain']:>10.4f}{speedup:>9}{memory:>8}")
    lines.append("memory: Corridor's model MB as a share of Flee's (peak minus the runtime's "
                 "resident memory before the scenario is read)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--one", nargs=5, metavar=("NAME", "SCALE", "DAYS", "SEED", "OUT"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--scenario", default="mali2012")
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--days", type=int, default=300)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--engine", default="agents", help=argparse.SUPPRESS)
    parser.add_argument("--min-runs", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--results", type=Path, default=RESULTS,
                        help="where the rows go as JSON (read by benchmarks/scale.py)")
    args = parser.parse_args(argv)
    if args.one:
        name, scale, days, seed, out = args.one
        print(json.dumps(corridor_measure(name, int(scale), int(days), int(seed), Path(out),
                                          args.engine, args.min_runs)))
        return 0
    rows = compare(args.scenario, tuple(args.scales), args.days, args.folder)
    print(table(rows))
    print(json.dumps(rows, indent=2))
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
