"""`RunResult`: a finished run's tables and metadata, in memory or on disk."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from corridor.io.atomic import write_json, write_parquet, write_text
from corridor.io.sinks import SCHEMAS, MemorySink, ParquetSink

if TYPE_CHECKING:
    from corridor.engine.simulation import Simulation

TABLES = tuple(SCHEMAS)


@dataclass
class RunResult:
    """What a run produced.

    Attributes:
        run_id: Identifies the run (scenario, seed, input digest).
        summary: Totals by final state and place (`summary.json`).
        metadata: Scenario digest, version, seed, parameters, wall time (`run.json`).
        folder: Where the tables are, when they were streamed to disk.
    """

    run_id: str
    summary: dict
    metadata: dict
    folder: Path | None = None
    _tables: dict[str, pa.Table] = field(default_factory=dict, repr=False)

    @classmethod
    def from_simulation(cls, sim: Simulation) -> RunResult:
        """Collect the result of a finished simulation from its sink."""
        tables = sim.sink.tables() if isinstance(sim.sink, MemorySink) else {}
        folder = sim.sink.folder if isinstance(sim.sink, ParquetSink) else None
        return cls(sim.run_id, sim.summary(), sim.metadata(), folder, tables)

    def table(self, name: str) -> pa.Table:
        """Return one of the tables (daily, flows, transitions, outcomes) as Arrow."""
        if name not in TABLES:
            raise KeyError(f"no table {name!r}; expected one of {TABLES}")
        if name not in self._tables:
            if self.folder is None:
                raise KeyError(f"table {name!r} was not kept")
            self._tables[name] = pq.read_table(self.folder / f"{name}.parquet")
        return self._tables[name]

    @property
    def daily(self) -> pa.Table:
        """Counts per day, place and state."""
        return self.table("daily")

    @property
    def flows(self) -> pa.Table:
        """People completing each hop, per day."""
        return self.table("flows")

    @property
    def transitions(self) -> pa.Table:
        """Changes of state, per day, place and rule."""
        return self.table("transitions")

    @property
    def outcomes(self) -> pa.Table:
        """Final state, place, countries and place kinds reached, with counts."""
        return self.table("outcomes")

    def write(self, folder: Path, overwrite: bool = False) -> Path:
        """Write the in-memory tables and metadata to a folder, as one unit.

        Args:
            folder: The run folder (built under a hidden sibling, renamed into place).
            overwrite: Whether a run already there may be replaced.

        Raises:
            OutputFolderError: See `corridor.io.rundir.building`.
        """
        from corridor.io.rundir import building, mark_complete

        folder = Path(folder)
        with building(folder, overwrite) as stage:
            for name in TABLES:
                write_parquet(stage / f"{name}.parquet", self.table(name))
            write_json(stage / "summary.json", self.summary)
            self.metadata = mark_complete(stage, self.metadata)
        self.folder = folder
        return folder


def write_metadata(folder: Path, summary: dict, metadata: dict) -> None:
    """Write `summary.json` and `run.json` atomically."""
    write_json(folder / "summary.json", summary)
    write_json(folder / "run.json", metadata)


def copy_scenario(files: dict[str, str], folder: Path) -> None:
    """Copy the scenario files a run used into `<folder>/scenario/` (atomically, as a whole)."""
    target = folder / "scenario"
    tmp = folder / ".scenario.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, text in files.items():
        write_text(tmp / name, text)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)


def load_result(folder: Path) -> RunResult:
    """Open a run folder written by `corridor run`.

    Raises:
        OutputFolderError: The folder is not a complete run (its `run.json` does not say so).
    """
    from corridor.io.rundir import require_complete

    folder = Path(folder)
    require_complete(folder)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    metadata = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    return RunResult(summary["run_id"], summary, metadata, folder)
