"""Write-then-rename, so that an interrupted run never leaves a half-written file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


def temp_path(path: Path) -> Path:
    """Return the temporary name a file is written under before it is renamed."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_json(path: Path, data: Any) -> None:
    """Write JSON to a temporary file, then rename it into place."""
    tmp = temp_path(path)
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)


def write_text(path: Path, text: str) -> None:
    """Write text to a temporary file, then rename it into place."""
    tmp = temp_path(path)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_parquet(path: Path, table: pa.Table) -> None:
    """Write a table to Parquet under a temporary name, then rename it into place."""
    tmp = temp_path(path)
    pq.write_table(table, tmp)
    os.replace(tmp, path)
