"""Drive Flee 3.1 on a Flee scenario folder and measure it.

Flee's own runner script is not part of its wheel, so this is a small runner written for
Corridor's benchmarks. It must be run with the Python of a virtual environment where
``flee==3.1`` is installed (default ``/work/flee-venv/bin/python``); it does not import
Corridor. It follows the daily order of Flee's published runner: new conflict zones, spawning
from the daily difference of the UNHCR total, spawn weights, closures, then one ``evolve``.

Usage::

    /work/flee-venv/bin/python benchmarks/flee_driver.py INPUT_DIR VALIDATION_DIR \\
        --settings simsetting.yml --days 300 --scale 10 --out out.csv --json metrics.json

``--scale N`` multiplies every population and capacity in ``locations.csv`` and every count in
the validation files by N (on copies, in a temporary folder), so the run has N times the agents.
The JSON holds wall time, agent-steps per second, peak resident memory and the final number of
agents.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import random
import re
import resource
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

_DATE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")


def _scale_locations(src: Path, dst: Path, factor: int) -> None:
    rows = list(csv.reader(src.open(newline="", encoding="utf-8")))
    with dst.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        for row in rows:
            if row and not row[0].startswith("#") and len(row) > 7 and row[7].strip():
                row[7] = str(int(row[7]) * factor)
            w.writerow(row)


def _scale_counts(src: Path, dst: Path, factor: int) -> None:
    rows = list(csv.reader(src.open(newline="", encoding="utf-8")))
    with dst.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        for row in rows:
            if len(row) > 1 and _DATE.match(row[0]) and row[1].strip():
                row[1] = str(int(float(row[1])) * factor)
            w.writerow(row)


def scaled_copy(input_dir: Path, validation_dir: Path, factor: int, tmp: Path) -> tuple[Path, Path]:
    """Copy a scenario to ``tmp`` with populations, capacities and counts times ``factor``."""
    new_input, new_validation = tmp / "input", tmp / "validation"
    shutil.copytree(input_dir, new_input)
    shutil.copytree(validation_dir, new_validation)
    _scale_locations(input_dir / "locations.csv", new_input / "locations.csv", factor)
    layout = validation_dir / "data_layout.csv"
    for row in csv.reader(layout.open(newline="", encoding="utf-8")):
        if len(row) < 2 or row[0].startswith("#"):
            continue
        for name in row[1:]:
            for part in name.split("+"):
                part = part.strip()
                if part:
                    _scale_counts(validation_dir / part, new_validation / part, factor)
    return new_input, new_validation


def _read_period(input_dir: Path) -> tuple[str, int]:
    for name in ("conflict_period.csv", "sim_period.csv"):
        path = input_dir / name
        if path.exists():
            start, length = "", 0
            for row in csv.reader(path.open(encoding="utf-8")):
                if len(row) > 1 and row[0].strip().lower() == "startdate":
                    start = row[1].strip()
                if len(row) > 1 and row[0].strip().lower() == "length":
                    length = int(row[1])
            return start, length
    raise SystemExit(f"no conflict_period.csv or sim_period.csv in {input_dir}")


def _rss_now_mb() -> float:
    """Resident memory now (Linux), in MB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_flee(input_dir: Path, validation_dir: Path, settings: Path, days: int, out_csv: Path,
             seed: int | None = None, quiet: bool = True) -> dict:
    """Run Flee 3.1 on one scenario and write its ``out.csv``; return the measurements."""
    t_start = time.perf_counter()
    import numpy as np
    from flee import InputGeography, flee, spawning
    from flee.datamanager import handle_refugee_data
    from flee.SimulationSettings import SimulationSettings

    base_mb = _rss_now_mb()  # the interpreter with Flee imported, before the scenario
    if seed is not None:
        random.seed(seed)
        np.random.seed(seed)

    start_date, length = _read_period(input_dir)
    end_time = days if days > 0 else length

    sink = open(os.devnull, "w") if quiet else sys.stderr
    with contextlib.redirect_stderr(sink), contextlib.redirect_stdout(sink):
        SimulationSettings.ReadFromYML(str(settings))
        conflicts = input_dir / "conflicts.csv"
        SimulationSettings.ConflictInputFile = str(conflicts) if conflicts.exists() else ""
        e = flee.Ecosystem()
        ig = InputGeography.InputGeography()
        if conflicts.exists():
            ig.ReadConflictInputCSV(str(conflicts))
        ig.ReadLocationsFromCSV(str(input_dir / "locations.csv"))
        ig.ReadLinksFromCSV(str(input_dir / "routes.csv"))
        ig.ReadClosuresFromCSV(str(input_dir / "closures.csv"))
        e, lm = ig.StoreInputGeographyInEcosystem(e)
        d = handle_refugee_data.RefugeeTable(
            csvformat="generic",
            data_directory=str(validation_dir),
            start_date=start_date,
            data_layout="data_layout.csv",
            population_scaledown_factor=SimulationSettings.optimisations["PopulationScaleDownFactor"],
        )
        d.ReadL1Corrections(str(input_dir / "registration_corrections.csv"))
        camp_locations = e.get_camp_names()
        for name in camp_locations:
            spawning.add_initial_refugees(e, d, lm[name])

    header = ["Day", "Date"]
    for name in camp_locations:
        header += [f"{name} sim", f"{name} data", f"{name} error"]
    header += ["Total error", "refugees in camps (UNHCR)", "total refugees (simulation)",
               "raw UNHCR refugee count", "refugees in camps (simulation)", "refugee_debt"]

    t_loop = time.perf_counter()
    agent_steps = 0
    start = date.fromisoformat(start_date)
    lines = [",".join(header)]
    with contextlib.redirect_stderr(sink), contextlib.redirect_stdout(sink):
        for t in range(end_time):
            ig.AddNewConflictZones(e, t)
            _, refugees_raw, refugee_debt = spawning.spawn_daily_displaced(e, t, d)
            spawning.refresh_spawn_weights(e)
            e.enact_border_closures(t)
            agent_steps += e.numAgents()
            e.evolve()

            loc_data = [d.get_field(name, t) for name in camp_locations]
            sims = [lm[name].numAgents for name in camp_locations]
            row = [str(t), (start + timedelta(days=t)).isoformat()]
            abs_errors = []
            for sim, obs in zip(sims, loc_data, strict=True):
                rel = 0.0 if obs < 0.00001 else round(abs(sim / obs - 1.0), 4)
                abs_errors.append(round(abs(float(sim) - float(obs)), 4))
                row += [str(sim), str(obs), str(rel)]
            if refugees_raw > 0:
                total_error = float(np.sum(abs_errors)) / float(refugees_raw)
                row += [str(total_error), str(int(sum(loc_data))), str(e.numAgents()),
                        str(refugees_raw), str(sum(sims)), str(refugee_debt)]
            else:
                row += ["0.0", "0", str(e.numAgents()), "0", str(sum(sims)), "0"]
            lines.append(",".join(row))
    t_end = time.perf_counter()
    if quiet:
        sink.close()

    out_csv.parent.mkdir(parents=True, exist_ok=True)
    out_csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    loop_s = t_end - t_loop
    return {
        "engine": "flee-3.1",
        "days": end_time,
        "wall_time_s": round(t_end - t_start, 3),
        "loop_time_s": round(loop_s, 3),
        "agent_steps": agent_steps,
        "agent_steps_per_s": round(agent_steps / loop_s, 1) if loop_s > 0 else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "runtime_rss_mb": round(base_mb, 1),
        "model_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0 - base_mb,
                          1),
        "final_agents": e.numAgents(),
        "out_csv": str(out_csv),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input_dir", type=Path)
    parser.add_argument("validation_dir", type=Path)
    parser.add_argument("--settings", type=Path, help="simsetting.yml (default: beside input)")
    parser.add_argument("--days", type=int, default=0, help="days to run (default: the period)")
    parser.add_argument("--scale", type=int, default=1, help="multiply populations and counts")
    parser.add_argument("--seed", type=int, default=None, help="seed Python's and numpy's RNGs")
    parser.add_argument("--out", type=Path, default=Path("out.csv"))
    parser.add_argument("--json", type=Path, default=None, help="where to write the measurements")
    args = parser.parse_args(argv)

    settings = args.settings or args.input_dir.parent / "simsetting.yml"
    with tempfile.TemporaryDirectory() as tmp:
        input_dir, validation_dir = args.input_dir, args.validation_dir
        if args.scale != 1:
            input_dir, validation_dir = scaled_copy(input_dir, validation_dir, args.scale,
                                                    Path(tmp))
        result = run_flee(input_dir, validation_dir, settings, args.days, args.out, args.seed)
    result["scale"] = args.scale
    result["scenario"] = str(args.input_dir.resolve().parent)
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
