"""The Python API behind the command line: load, change, run, write."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from corridor.engine.simulation import Simulation
from corridor.io.results import RunResult, copy_scenario
from corridor.io.rundir import RUN_JSON, building, mark_complete
from corridor.io.sinks import ParquetSink
from corridor.scenario import Scenario, load_scenario

if TYPE_CHECKING:
    import numpy as np


def run(scenario: Scenario | str | Path, seed: int | None = None,
        settings: list[str] | None = None, out: Path | str | None = None,
        engine: str = "auto", progress: Callable[[int], None] | None = None,
        seed_sequence: np.random.SeedSequence | None = None,
        member: int | None = None, threads: int | None = None, overwrite: bool = False,
        finish: Callable[[Path], None] | None = None) -> RunResult:
    """Run a scenario once.

    Args:
        scenario: A loaded scenario, a folder, or a built-in name.
        seed: Seed of the run (default: the scenario's).
        settings: `NAME=VALUE` overrides (as `--set`).
        out: When given, tables stream to Parquet files in this folder, with `summary.json`,
            `run.json` and a copy of the scenario; otherwise everything stays in memory. The
            folder is built as one unit (see `corridor.io.rundir`): under a hidden sibling,
            renamed into place once complete.
        engine: Representation of people: "agents", "counts" or "auto".
        progress: Called with the number of days done, after each day.
        seed_sequence: The run's random streams (an ensemble member's spawned sequence);
            overrides `seed` for the draws.
        member: Index of the run in an ensemble (gives it a distinct run id).
        threads: Threads for the kernels (default: all numba may use; an ensemble's members
            use 1, its workers being the parallelism).
        overwrite: Whether a run already in `out` may be replaced (a folder that is not a run
            is never replaced).
        finish: Called with the (hidden) folder once the tables are written and before the
            run is marked complete: what else belongs to the run (the report).

    Returns:
        The run's result; its tables are Arrow tables (`result.daily.to_pandas()`, or
        `polars.from_arrow(result.daily)`).

    Raises:
        OutputFolderError: `out` is a file, a folder that is not a run, a run and `overwrite`
            is false, or could not be written (full or read-only file system).
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
    final = Path(out)
    with building(final, overwrite) as stage:
        result = run_into(stage, scenario, seed=seed, engine=engine, progress=progress,
                          seed_sequence=seed_sequence, member=member, threads=threads,
                          finish=finish)
    result.folder = final
    return result


def run_into(folder: Path, scenario: Scenario, seed: int | None = None, engine: str = "auto",
             progress: Callable[[int], None] | None = None,
             seed_sequence: np.random.SeedSequence | None = None, member: int | None = None,
             threads: int | None = None, finish: Callable[[Path], None] | None = None
             ) -> RunResult:
    """Run a scenario into an empty folder that nobody reads yet (see `run` for the arguments).

    The tables and the summary come first, then `run.json` without `"complete": true`, the
    copy of the scenario and what `finish` adds, and `run.json` again, complete, last.
    """
    from corridor.io.atomic import write_json

    folder = Path(folder)
    sink = ParquetSink(folder)
    sim = Simulation(scenario, seed=seed, engine=engine, sink=sink,
                     seed_sequence=seed_sequence, member=member, threads=threads)
    result = sim.run(progress)
    sink.commit()
    write_json(folder / "summary.json", result.summary)
    write_json(folder / RUN_JSON, {**result.metadata, "complete": False})
    copy_scenario(scenario.files, folder)
    if finish is not None:
        finish(folder)
    result.metadata = mark_complete(folder, result.metadata)
    return result
