"""The Python API behind the command line: load, change, run, write."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from corridor.engine.simulation import Simulation
from corridor.io.results import RunResult, copy_scenario, write_metadata
from corridor.io.sinks import ParquetSink
from corridor.scenario import Scenario, load_scenario

if TYPE_CHECKING:
    import numpy as np


def run(scenario: Scenario | str | Path, seed: int | None = None,
        settings: list[str] | None = None, out: Path | str | None = None,
        engine: str = "auto", progress: Callable[[int], None] | None = None,
        seed_sequence: np.random.SeedSequence | None = None,
        member: int | None = None, threads: int | None = None) -> RunResult:
    """Run a scenario once.

    Args:
        scenario: A loaded scenario, a folder, or a built-in name.
        seed: Seed of the run (default: the scenario's).
        settings: `NAME=VALUE` overrides (as `--set`).
        out: When given, tables stream to Parquet files in this folder, with `summary.json`,
            `run.json` and a copy of the scenario; otherwise everything stays in memory.
        engine: Representation of people: "agents", "counts" or "auto".
        progress: Called with the number of days done, after each day.
        seed_sequence: The run's random streams (an ensemble member's spawned sequence);
            overrides `seed` for the draws.
        member: Index of the run in an ensemble (gives it a distinct run id).
        threads: Threads for the kernels (default: all numba may use; an ensemble's members
            use 1, its workers being the parallelism).

    Returns:
        The run's result; its tables are Arrow tables (`result.daily.to_pandas()`, or
        `polars.from_arrow(result.daily)`).
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, settings)
    elif settings:
        from corridor.scenario.load import finalize
        from corridor.scenario.settings import apply_settings

        scenario = finalize(apply_settings(scenario, settings))
    if out is None:
        return Simulation(scenario, seed=seed, engine=engine, seed_sequence=seed_sequence,
                          member=member, threads=threads).run(progress)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    sink = ParquetSink(folder)
    sim = Simulation(scenario, seed=seed, engine=engine, sink=sink,
                     seed_sequence=seed_sequence, member=member, threads=threads)
    result = sim.run(progress)
    sink.commit()
    write_metadata(folder, result.summary, result.metadata)
    copy_scenario(scenario.files, folder)
    return result
