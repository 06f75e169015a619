"""Write-then-rename, so that an interrupted run never leaves a half-written file."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


def temp_path(path: Path) -> Path:
    """Return the temporary name a file is written under before it is renamed."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _replace(tmp: Path, path: Path, write: Callable[[Path], object]) -> None:
    """Write `tmp`, rename it to `path`; on any failure (a full disk) delete `tmp`."""
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> None:
    """Write JSON to a temporary file, then rename it into place."""
    text = json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"
    _replace(temp_path(path), path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_text(path: Path, text: str) -> None:
    """Write text to a temporary file, then rename it into place."""
    _replace(temp_path(path), path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_parquet(path: Path, table: pa.Table) -> None:
    """Write a table to Parquet under a temporary name, then rename it into place."""
    _replace(temp_path(path), path, lambda tmp: pq.write_table(table, tmp))


def clean_stale_files(folder: Path) -> list[Path]:
    """Remove the hidden temporary files (`.NAME.<pid>.tmp`) of dead processes in a folder."""
    from corridor.io.rundir import pid_alive

    removed = []
    if not Path(folder).is_dir():
        return removed
    for path in Path(folder).glob(".*.tmp"):
        parts = path.name.rsplit(".", 2)
        if (len(parts) == 3 and parts[1].isdigit() and path.is_file()
                and not pid_alive(int(parts[1]))):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
