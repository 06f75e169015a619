"""Scale: wall time and peak memory as the number of people grows, for both representations.

Each case runs in a fresh process (peak RSS belongs to it alone). Scenarios: caravan-2020 at
×1, ×100, ×1,000 people, Mali 2012 (Flee) at ×1, ×10, ×100 when the Flee scenario is available,
and 10 million individual agents for 300 days on the generated network (`--huge`).

Run: `.venv/bin/python -m benchmarks.scale [--only agents|counts] [--huge]`; the rows are kept in
`benchmarks/results/scale.json`, and `--table` prints them again (with Flee's times from
`benchmarks/results/flee.json`, written by `benchmarks.flee_benchmark`).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CORRIDOR_SHARED", ROOT.parent / "shared"))
FLEE_RESULTS = ROOT / "benchmarks" / "results" / "flee.json"
SCALE_RESULTS = ROOT / "benchmarks" / "results" / "scale.json"


def scaled(scenario, factor: int):
    """Return the scenario with every departure multiplied by factor."""
    deps = tuple(d.model_copy(update={"count": d.count * factor}) for d in scenario.departures)
    return scenario.replace(departures=deps)


def load_case(name: str, factor: int):
    """Load one benchmark scenario at a scale factor."""
    from corridor.scenario import load_scenario

    if name == "caravan-2020":
        return scaled(load_scenario("caravan-2020"), factor)
    if name == "mali2012":
        import tempfile

        from benchmarks.flee_driver import scaled_copy
        from corridor.flee.convert import load_flee

        folder = SHARED / "flee-scenarios" / "mali2012"
        input_dir, validation_dir = folder / "input", folder / "validation"
        if factor == 1:
            return load_flee(input_dir, validation_dir, folder / "simsetting.yml")
        with tempfile.TemporaryDirectory() as tmp:  # populations, capacities, counts × factor
            input_dir, validation_dir = scaled_copy(input_dir, validation_dir, factor,
                                                    Path(tmp))
            return load_flee(input_dir, validation_dir, folder / "simsetting.yml")
    if name == "generated":
        from benchmarks.generated import generated_scenario

        return generated_scenario(factor, days=300)
    raise ValueError(name)


def measure(name: str, factor: int, engine: str) -> dict:
    """Run one case once, after a warm-up run that loads the kernels."""
    from corridor.engine.simulation import Simulation

    warm = load_case(name, 1) if name != "generated" else load_case(name, 1000)
    Simulation(warm, seed=0, engine=engine).run()
    scenario = load_case(name, factor)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    sim = Simulation(scenario, seed=1, engine=engine)
    started = time.perf_counter()
    result = sim.run()
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    people = result.summary["departed"]
    return {"scenario": name, "factor": factor, "engine": sim.engine, "people": people,
            "rows": int(sim.agents.n), "days": sim.days, "wall_s": wall,
            "peak_rss_mb": peak / 2**20, "rss_growth_bytes_per_person":
                max(peak - base, 0) / max(people, 1),
            "person_steps_per_s": people * sim.days / wall}


def run_case(name: str, factor: int, engine: str) -> dict | None:
    """Measure a case in a fresh process; None when it cannot run here."""
    out = subprocess.run([sys.executable, "-m", "benchmarks.scale", "--one", name, str(factor),
                          engine], capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        return {"scenario": name, "factor": factor, "engine": engine,
                "error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def flee_seconds(factor: int) -> float | None:
    """Flee 3.1's wall time on Mali at a factor, from the side-by-side Flee benchmark."""
    if not FLEE_RESULTS.is_file():
        return None
    data = json.loads(FLEE_RESULTS.read_text())
    for row in data if isinstance(data, list) else data.get("runs", []):
        if row.get("engine") == "flee-3.1" and row.get("scale") == factor:
            return row.get("wall_time_s")
    return None


def table(rows: list[dict]) -> str:
    """Format rows with ratios to ×1 (same scenario and engine) and to Flee 3.1."""
    base = {(r["scenario"], r["engine"]): r["wall_s"] for r in rows
            if r.get("factor") == 1 and "wall_s" in r}
    lines = [f"{'scenario':<13}{'×':>6}{'engine':>8}{'people':>13}{'rows':>11}{'wall s':>9}"
             f"{'vs ×1':>8}{'vs Flee':>9}{'peak MB':>9}{'B/person':>10}"]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['scenario']:<13}{r['factor']:>6}{r['engine']:>8}  "
                         f"not run: {r['error'][:70]}")
            continue
        ratio = r["wall_s"] / base[(r["scenario"], r["engine"])] if (
            r["scenario"], r["engine"]) in base else float("nan")
        flee = flee_seconds(r["factor"]) if r["scenario"] == "mali2012" else None
        vs_flee = f"{flee / r['wall_s']:>8.0f}x" if flee else f"{'—':>9}"
        lines.append(f"{r['scenario']:<13}{r['factor']:>6}{r['engine']:>8}{r['people']:>13,}"
                     f"{r['rows']:>11,}{r['wall_s']:>9.2f}{ratio:>8.2f}{vs_flee}"
                     f"{r['peak_rss_mb']:>9.0f}{r['rss_growth_bytes_per_person']:>10.1f}")
    return "\n".join(lines)


CASES = [("caravan-2020", f, e) for e in ("agents", "counts") for f in (1, 100, 1000)] + \
        [("mali2012", f, e) for e in ("agents", "counts") for f in (1, 10, 100)]


def main(argv: list[str] | None = None) -> int:
    """Measure every case (or those of one representation) and print the table."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--one", nargs=3, metavar=("SCENARIO", "FACTOR", "ENGINE"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--table", action="store_true", help="print the kept rows again")
    parser.add_argument("--only", choices=("agents", "counts"), help="one representation")
    parser.add_argument("--huge", action="store_true",
                        help="also 10 million individual agents for 300 days")
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]), args.one[2])))
        return 0
    if args.table:
        print(table(json.loads(SCALE_RESULTS.read_text())))
        return 0
    cases = [c for c in CASES if args.only in (None, c[2])]
    if args.huge:
        cases.append(("generated", 10_000_000, "agents"))
    rows = [run_case(*c) for c in cases]
    if args.only and SCALE_RESULTS.is_file():  # keep the other representation's rows
        done = {(r["scenario"], r["factor"], r["engine"]) for r in rows}
        kept = [r for r in json.loads(SCALE_RESULTS.read_text())
                if (r["scenario"], r["factor"], r["engine"]) not in done]
        order = {case: i for i, case in enumerate(CASES)}
        rows = sorted(kept + rows, key=lambda r: order.get(
            (r["scenario"], r["factor"], r["engine"]), len(order)))
    SCALE_RESULTS.parent.mkdir(parents=True, exist_ok=True)
    SCALE_RESULTS.write_text(json.dumps(rows, indent=2))
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
