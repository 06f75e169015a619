"""Agreement with Flee 3.1's own outputs on the shared scenarios, with Corridor's defaults.

For each scenario (Mali 2012, 300 days; Burundi 2015, 396 days), Corridor runs the Flee folder
as `corridor run FOLDER` would (`load_flee` with no settings: `compat = "flee-3.1"`), several
seeds with each representation, each writing Flee's `out.csv`. Against Flee 3.1's replicates in
`shared/flee-scenarios/reference/` (Flee is not seeded):

* ARD (rescaled, Flee's, and plain) of every run; the table gives the mean over runs;
* per camp, the relative difference of the mean daily count over the whole period:
  (mean over Corridor's runs and days − the same over Flee's replicates) / Flee's; and, as the
  yardstick, the same between Flee's own replicates (first against the rest);
* per camp, that difference in standard errors: z = (Corridor's mean − Flee's mean) /
  sqrt(se² + se²), each se the standard deviation of the per-run means over sqrt(runs) (with 2–3
  Flee replicates a rough yardstick: how much of the difference the few runs can explain).

Run: `.venv/bin/python -m benchmarks.flee_agreement [--seeds-counts 8] [--seeds-agents 4]`;
rows go to `benchmarks/results/flee-agreement.json`. Not a test: a study (minutes).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.flee_benchmark import REPO, SHARED, scenario_dirs

RESULTS = REPO / "benchmarks" / "results" / "flee-agreement.json"
REFERENCES = {"mali2012": "mali-flee31-rep*.csv", "burundi2015": "burundi-flee31-rep*.csv"}


def corridor_outputs(name: str, engine: str, seeds: list[int], folder: Path) -> list[Path]:
    """Run Corridor's defaults on a shared Flee scenario once per seed; return the out.csv files."""
    from corridor.engine.simulation import Simulation
    from corridor.flee.convert import load_flee
    from corridor.flee.outcsv import write_out_csv

    input_dir, validation_dir, settings = scenario_dirs(name)
    scenario = load_flee(input_dir, validation_dir, settings)
    paths = []
    for seed in seeds:
        sim = Simulation(scenario, seed=seed, engine=engine)
        sim.run()
        path = folder / f"{name}-{engine}-{seed}.csv"
        write_out_csv(sim, path)
        paths.append(path)
    return paths


def _mean_counts(outputs: list) -> np.ndarray:
    """Mean daily count per camp over runs and days."""
    return np.mean([o.simulated.mean(axis=0) for o in outputs], axis=0)


def _standard_error(outputs: list) -> np.ndarray:
    """Standard error, per camp, of the mean daily count (from the spread of the runs' means)."""
    per_run = np.array([o.simulated.mean(axis=0) for o in outputs])
    return per_run.std(axis=0, ddof=1) / np.sqrt(len(outputs))


def agreement(name: str, seeds_counts: int, seeds_agents: int, folder: Path,
              extra_flee: list[Path] | None = None) -> dict:
    """Compare both representations with Flee 3.1's references on one scenario.

    `extra_flee`: more Flee 3.1 `out.csv` files of the same scenario and length (e.g. the one
    `benchmarks.flee_end_to_end` keeps), counted as replicates after the shared ones.
    """
    from corridor.analysis.ard import ard
    from corridor.flee.outcsv import read_out_csv

    paths = sorted((SHARED / "flee-scenarios" / "reference").glob(REFERENCES[name]))
    refs = [read_out_csv(p) for p in [*paths, *(extra_flee or [])]]
    camps = refs[0].camps
    flee_mean = _mean_counts(refs)
    flee_se = _standard_error(refs)
    rows = {"scenario": name, "camps": list(camps), "flee": {
        "runs": len(refs),
        "ard": [round(ard(o.simulated, o.observed), 4) for o in refs],
        "ard_plain": [round(ard(o.simulated, o.observed, rescaled=False), 4) for o in refs],
        "final_agents": [int(o.columns["total refugees (simulation)"][-1]) for o in refs],
        "mean_count": [round(float(x), 1) for x in flee_mean],
        # Flee against itself: its first replicate against the mean of the others
        "camp_rel_diff_rep1_vs_rest": [
            round(float(x), 4) for x in _mean_counts(refs[:1]) / _mean_counts(refs[1:]) - 1.0],
    }}
    for engine, n in (("counts", seeds_counts), ("agents", seeds_agents)):
        if n <= 0:
            continue
        outs = [read_out_csv(p) for p in corridor_outputs(name, engine, list(range(1, n + 1)),
                                                           folder)]
        assert outs[0].camps == camps, (outs[0].camps, camps)
        rows[engine] = {
            "runs": n,
            "ard": [round(ard(o.simulated, o.observed), 4) for o in outs],
            "ard_plain": [round(ard(o.simulated, o.observed, rescaled=False), 4) for o in outs],
            "final_agents": [int(o.columns["total refugees (simulation)"][-1]) for o in outs],
            "camp_rel_diff": [round(float(x), 4) for x in _mean_counts(outs) / flee_mean - 1.0],
            "camp_z": [round(float(x), 2) for x in (_mean_counts(outs) - flee_mean)
                       / np.sqrt(_standard_error(outs) ** 2 + flee_se ** 2)],
        }
    return rows


def table(rows: dict) -> str:
    """Text summary of one scenario's agreement."""
    lines = [f"{rows['scenario']}:"]
    for who in ("flee", "counts", "agents"):
        if who not in rows:
            continue
        r = rows[who]
        lines.append(f"  {who:<7} runs {r['runs']:>2}  ARD mean {np.mean(r['ard']):.4f} "
                     f"({min(r['ard']):.4f}–{max(r['ard']):.4f})  plain "
                     f"{np.mean(r['ard_plain']):.4f}  people {sorted(set(r['final_agents']))}")
    head = f"  {'camp':<24}{'Flee mean':>11}{'Flee r1/rest':>13}"
    head += "".join(f"{w:>10}{'z':>6}" for w in ("counts", "agents") if w in rows)
    lines.append(head)
    for j, camp in enumerate(rows["camps"]):
        line = (f"  {camp:<24}{rows['flee']['mean_count'][j]:>11,.0f}"
                f"{rows['flee']['camp_rel_diff_rep1_vs_rest'][j]:>+13.1%}")
        line += "".join(f"{rows[w]['camp_rel_diff'][j]:>+10.1%}{rows[w]['camp_z'][j]:>+6.1f}"
                        for w in ("counts", "agents") if w in rows)
        lines.append(line)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", nargs="+", default=list(REFERENCES))
    parser.add_argument("--seeds-counts", type=int, default=8)
    parser.add_argument("--seeds-agents", type=int, default=4)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--extra-flee", type=Path, nargs="*", default=[],
                        help="more Flee 3.1 out.csv files of the (one) scenario given")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.scenarios:
            rows = agreement(name, args.seeds_counts, args.seeds_agents, Path(tmp),
                             args.extra_flee)
            print(table(rows), flush=True)
            results.append(rows)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
