"""Speed a user sees: Flee 3.1 and Corridor on Mali 2012 ×1, 300 days, side by side in one run.

Measured in one go, on the same machine within minutes (issue #13):

* **Flee 3.1, whole process**: `FLEE_PYTHON benchmarks/flee_driver.py ...` (Flee's daily loop,
  as its published runner; interpreter start, imports, reading the scenario, 300 days, writing
  `out.csv`), timed from outside, once (a run of minutes needs no repeat).
* **Corridor, whole process**: `corridor run INPUT --flee-validation ... --flee-settings ...
  --engine counts|agents --no-report -q --out FOLDER` in a fresh process (interpreter start,
  imports, reading and converting the Flee scenario, loading the cached kernels, 300 days,
  writing the run folder: Parquet tables, summary, run.json, scenario copy). One untimed run
  first fills numba's cache (and writes Corridor's bytecode, see `_env`); then `COLD_RUNS`
  fresh processes are timed before Flee's run and `COLD_RUNS` after it, and the median of
  these counts. No HTML report (Flee's runner writes none either).
* **Corridor, warm inside one process**: `benchmarks.flee_benchmark.corridor_measure` (imports
  done, kernels loaded, scenario read; median of at least 5 runs of the 300 days).
* **Peak memory** (resident, `ru_maxrss`) of each process.
* **CPU time** (user + system) of each case besides its wall time, and the speed-up in CPU
  time: on a shared machine a process that waits for a core loses wall time only, and a run of
  seconds and one of minutes do not wait alike.

Run: `.venv/bin/python -m benchmarks.flee_end_to_end` (or `make bench`, test
`benchmarks/test_flee_end_to_end.py`, which asserts the issue's targets). Rows go to
`benchmarks/results/flee-end-to-end.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.flee_benchmark import FLEE_PYTHON, REPO, SHARED, scenario_dirs, with_ard

RESULTS = REPO / "benchmarks" / "results" / "flee-end-to-end.json"
COLD_RUNS = 3
# the targets of issue #13 (speed-ups over Flee 3.1's whole process)
TARGETS = {"counts, whole process": 150, "agents, whole process": 60, "counts, warm": 2000}


def timed_process(cmd: list[str], env: dict | None = None, cwd: Path | None = None
                  ) -> tuple[float, float, str, float]:
    """Run a command; return its wall time (s), peak resident memory (MB), stdout and CPU time.

    The CPU time (user + system, s) moves less than the wall time when other processes load
    the machine (a process waiting for a core shows in wall time only).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    return wall, usage.ru_maxrss / 1024, stdout, usage.ru_utime + usage.ru_stime


def _env() -> dict:
    """The environment with this checkout's sources first on the path.

    Without `PYTHONDONTWRITEBYTECODE`: an installed package has its modules' bytecode compiled
    at install (as Flee 3.1's and every library's in the benchmark's environments); a checkout
    run with that variable set would compile Corridor's ~60 modules from source in every
    process (0.1-0.2 s). The untimed first run writes the bytecode, as it fills numba's cache.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": os.pathsep.join(
        p for p in (str(REPO / "src"), str(REPO), os.environ.get("PYTHONPATH", "")) if p)}


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as `uptime` prints them."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def flee_whole(name: str, days: int, folder: Path) -> dict:
    """Flee 3.1 through its runner, timed from outside (one run)."""
    input_dir, validation_dir, settings = scenario_dirs(name)
    out_csv = folder / "flee.csv"
    cmd = [FLEE_PYTHON, str(REPO / "benchmarks" / "flee_driver.py"), str(input_dir),
           str(validation_dir), "--settings", str(settings), "--days", str(days),
           "--out", str(out_csv)]
    wall, peak, stdout, cpu = timed_process(cmd)
    inner = json.loads(stdout)
    row = {"case": "Flee 3.1, whole process", "wall_s": round(wall, 3),
           "wall_times_s": [round(wall, 3)], "cpu_s": round(cpu, 3),
           "cpu_times_s": [round(cpu, 3)], "peak_rss_mb": round(peak, 1),
           "final_agents": inner["final_agents"], "out_csv": str(out_csv),
           "inside_s": inner["wall_time_s"]}
    return with_ard(row)


def corridor_whole(name: str, days: int, engine: str, folder: Path,
                   runs: int = COLD_RUNS) -> dict:
    """`corridor run` on the Flee folder in fresh processes (kernels cached by a first run).

    `runs` fresh processes are timed before Flee's run and as many after it (the load of a
    shared machine changes over Flee's minutes); the median of all of them counts.
    """
    input_dir, validation_dir, settings = scenario_dirs(name)
    out = folder / f"run-{engine}"
    cmd = [sys.executable, "-m", "corridor.cli.main", "run", str(input_dir),
           "--flee-validation", str(validation_dir), "--flee-settings", str(settings),
           "--days", str(days), "--engine", engine, "--no-report", "-q", "--out", str(out),
           "--overwrite"]
    env = _env()
    timed_process(cmd, env=env, cwd=folder)  # fills numba's cache if it is not yet
    walls, peaks, cpus = [], [], []
    for _ in range(runs):
        wall, peak, _, cpu = timed_process(cmd, env=env, cwd=folder)
        walls.append(wall)
        peaks.append(peak)
        cpus.append(cpu)
    summary = json.loads((out / "summary.json").read_text())
    return {"case": f"Corridor {engine}, whole process",
            "wall_s": round(statistics.median(walls), 3),
            "wall_times_s": [round(w, 3) for w in walls],
            "cpu_s": round(statistics.median(cpus), 3), "cpu_times_s": [round(c, 3) for c in cpus],
            "peak_rss_mb": round(max(peaks), 1),
            "final_agents": int(summary["departed"]), "cmd": cmd, "env": env, "cwd": folder}


def _again(row: dict, runs: int = COLD_RUNS) -> dict:
    """Time a whole-process case `runs` more times; the median is over all its runs."""
    cmd, env, cwd = row.pop("cmd"), row.pop("env"), row.pop("cwd")
    for _ in range(runs):
        wall, peak, _, cpu = timed_process(cmd, env=env, cwd=cwd)
        row["wall_times_s"].append(round(wall, 3))
        row["cpu_times_s"].append(round(cpu, 3))
        row["peak_rss_mb"] = max(row["peak_rss_mb"], round(peak, 1))
    row["wall_s"] = round(statistics.median(row["wall_times_s"]), 3)
    row["cpu_s"] = round(statistics.median(row["cpu_times_s"]), 3)
    return row


def corridor_warm(name: str, days: int, engine: str, folder: Path) -> dict:
    """Corridor inside one process after a warm-up (median of at least 5 runs)."""
    cmd = [sys.executable, "-m", "benchmarks.flee_benchmark", "--one", name, "1", str(days),
           "1", str(folder / f"warm-{engine}.csv"), "--engine", engine, "--min-runs", "5"]
    _, peak, stdout, _ = timed_process(cmd, env=_env(), cwd=REPO)
    inner = json.loads(stdout.strip().splitlines()[-1])
    row = {"case": f"Corridor {engine}, warm", "wall_s": inner["wall_time_s"],
           "wall_times_s": inner["wall_times_s"], "cpu_s": inner["cpu_s"],
           "cpu_times_s": inner["cpu_times_s"], "peak_rss_mb": round(peak, 1),
           "final_agents": inner["final_agents"], "out_csv": inner["out_csv"]}
    return with_ard(row)


def one_run(name: str = "mali2012", days: int = 300, folder: Path | None = None) -> dict:
    """Measure everything once; return the rows with the load average before and after."""
    folder = Path(folder or tempfile.mkdtemp(prefix="flee-e2e-"))
    folder.mkdir(parents=True, exist_ok=True)
    load_before = load_average()
    started = time.strftime("%Y-%m-%d %H:%M")
    counts, agents = (corridor_whole(name, days, "counts", folder),
                      corridor_whole(name, days, "agents", folder))
    warm_counts = corridor_warm(name, days, "counts", folder)
    warm_agents = corridor_warm(name, days, "agents", folder)
    load_flee = load_average()
    flee = flee_whole(name, days, folder)
    flee["load_before"] = load_flee
    rows = [_again(counts), _again(agents), warm_counts, warm_agents, flee]
    flee, flee_cpu = rows[-1]["wall_s"], rows[-1]["cpu_s"]
    for row in rows:
        row["speed_up"] = round(flee / row["wall_s"], 1)
        row["cpu_speed_up"] = round(flee_cpu / row["cpu_s"], 1)
    return {"scenario": name, "days": days, "started": started, "load_before": load_before,
            "load_after": load_average(), "cpus": os.cpu_count(), "rows": rows}


def table(result: dict) -> str:
    """Format a result of `one_run` as a text table."""
    head = (f"{'case':<32}{'wall s':>9}  {'runs (s)':<40}{'speed-up':>9}{'CPU s':>9}"
            f"{'CPU ×':>8}{'peak MB':>9}{'people':>10}{'ARD':>8}")
    lines = [f"{result['scenario']}, {result['days']} days, {result['started']}; load average "
             f"{result['load_before']} before, {result['rows'][-1].get('load_before', '?')} "
             f"when Flee started, {result['load_after']} after; {result['cpus']} CPUs",
             head, "-" * len(head)]
    for r in result["rows"]:
        runs = ", ".join(f"{w:.3g}" for w in r["wall_times_s"][:6])
        ard = f"{r['ard']:.4f}" if "ard" in r else ""
        lines.append(f"{r['case']:<32}{r['wall_s']:>9.3f}  {runs:<40}{r['speed_up']:>8.1f}×"
                     f"{r['cpu_s']:>9.3f}{r['cpu_speed_up']:>7.1f}×"
                     f"{r['peak_rss_mb']:>9.0f}{r['final_agents']:>10,}{ard:>8}")
    return "\n".join(lines)


def shortfalls(result: dict) -> list[str]:
    """The targets of issue #13 that this result misses (empty when all are met)."""
    by = {r["case"]: r for r in result["rows"]}
    checks = {"counts, whole process": "Corridor counts, whole process",
              "agents, whole process": "Corridor agents, whole process",
              "counts, warm": "Corridor counts, warm"}
    missed = []
    for target, case in checks.items():
        got = by[case]["speed_up"]
        if got < TARGETS[target]:
            missed.append(f"{target}: {got:.0f}× < {TARGETS[target]}×")
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="mali2012")
    parser.add_argument("--days", type=int, default=300)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not Path(FLEE_PYTHON).exists() or not (SHARED / "flee-scenarios").is_dir():
        print(f"needs Flee 3.1 at {FLEE_PYTHON} (FLEE_PYTHON) and {SHARED}/flee-scenarios",
              file=sys.stderr)
        return 2
    result = one_run(args.scenario, args.days, args.folder)
    print(table(result))
    for line in shortfalls(result):
        print(f"target missed: {line}")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
