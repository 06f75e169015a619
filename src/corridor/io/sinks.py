"""Where a run's tables go as they are produced: memory, or Parquet files streamed to disk."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from corridor.io.atomic import temp_path

SCHEMAS: dict[str, pa.Schema] = {
    "daily": pa.schema([("run_id", pa.string()), ("day", pa.int32()), ("date", pa.date32()),
                        ("place", pa.string()), ("state", pa.string()), ("count", pa.int64()),
                        ("cohort", pa.string())]),
    "flows": pa.schema([("run_id", pa.string()), ("day", pa.int32()), ("date", pa.date32()),
                        ("from_place", pa.string()), ("to_place", pa.string()),
                        ("count", pa.int64()), ("cohort", pa.string())]),
    "transitions": pa.schema([("run_id", pa.string()), ("day", pa.int32()),
                              ("date", pa.date32()), ("place", pa.string()),
                              ("from_state", pa.string()), ("to_state", pa.string()),
                              ("rule", pa.string()), ("count", pa.int64()),
                              ("cohort", pa.string())]),
    "outcomes": pa.schema([("run_id", pa.string()), ("state", pa.string()),
                           ("place", pa.string()), ("countries", pa.string()),
                           ("kinds", pa.string()), ("origin", pa.string()),
                           ("nationality", pa.string()), ("cohort", pa.string()),
                           ("attributes", pa.string()), ("count", pa.int64())]),
}


class MemorySink:
    """Keeps every batch in memory; `tables()` returns them as Arrow tables."""

    def __init__(self) -> None:
        self._batches: dict[str, list[pa.RecordBatch]] = {name: [] for name in SCHEMAS}

    def write(self, name: str, batch: pa.RecordBatch) -> None:
        """Keep a batch of a table."""
        self._batches[name].append(batch)

    def tables(self) -> dict[str, pa.Table]:
        """Return every table, empty ones with their schema."""
        return {name: pa.Table.from_batches(b, schema=SCHEMAS[name])
                for name, b in self._batches.items()}

    def commit(self) -> None:
        """Nothing to finish in memory."""

    def abort(self) -> None:
        """Drop what was kept."""
        self._batches = {name: [] for name in SCHEMAS}


class ParquetSink:
    """Streams batches to `<folder>/<table>.parquet`, under temporary names until `commit`."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._writers: dict[str, pq.ParquetWriter] = {}

    def _path(self, name: str) -> Path:
        return self.folder / f"{name}.parquet"

    def write(self, name: str, batch: pa.RecordBatch) -> None:
        """Append a batch to a table's file."""
        writer = self._writers.get(name)
        if writer is None:
            writer = pq.ParquetWriter(temp_path(self._path(name)), SCHEMAS[name])
            self._writers[name] = writer
        writer.write_batch(batch)

    def commit(self) -> None:
        """Close every file and rename it into place (empty tables get a file too)."""
        for name, schema in SCHEMAS.items():
            if name not in self._writers:
                self._writers[name] = pq.ParquetWriter(temp_path(self._path(name)), schema)
        for name, writer in self._writers.items():
            writer.close()
            os.replace(temp_path(self._path(name)), self._path(name))
        self._writers = {}

    def abort(self) -> None:
        """Close and delete the temporary files: nothing half-written is left."""
        for name, writer in self._writers.items():
            try:
                writer.close()
            finally:
                temp_path(self._path(name)).unlink(missing_ok=True)
        self._writers = {}
