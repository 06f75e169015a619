"""Reading CSV files into validated rows, collecting every problem with file, row and field."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from corridor.errors import Problem

Row = TypeVar("Row", bound=BaseModel)

ALWAYS_ALLOWED = ("sources", "source", "note", "notes")


def read_rows(
    text: str,
    file: str,
    model: type[Row],
    required: Iterable[str],
    optional: Iterable[str] = (),
    allow_extra: bool = False,
    problems: list[Problem] | None = None,
) -> list[tuple[int, Row]]:
    """Parse CSV text into validated rows.

    Empty cells are treated as missing, so optional fields take their defaults. Lines that
    start with `#` after the header are comments.

    Args:
        text: The file's contents.
        file: The file name used in problem reports.
        model: The pydantic row model.
        required: Columns that must be present.
        optional: Columns that may be present.
        allow_extra: Whether unknown columns are allowed (e.g. group attributes).
        problems: List that problems are appended to.

    Returns:
        (row number, validated row) pairs; the header is row 1.
    """
    problems = problems if problems is not None else []
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        problems.append(Problem(file, None, None, "the file is empty; expected a header row"))
        return []
    header = [h.strip().lstrip("\ufeff") for h in header]
    required = list(required)
    known = set(required) | set(optional) | set(ALWAYS_ALLOWED)
    for col in required:
        if col not in header:
            problems.append(Problem(file, 1, col, f"missing required column '{col}'"))
    seen: set[str] = set()
    for col in header:
        if col in seen:
            problems.append(Problem(file, 1, col, f"column '{col}' appears twice"))
        seen.add(col)
        if not col:
            problems.append(Problem(file, 1, None, "a column has an empty name"))
        elif col not in known and not allow_extra:
            expected = ", ".join(sorted(known - set(ALWAYS_ALLOWED)))
            problems.append(Problem(file, 1, col, f"unknown column '{col}'; expected {expected}"))
    if any(p.file == file and p.row == 1 for p in problems):
        return []
    rows: list[tuple[int, Row]] = []
    for number, cells in enumerate(reader, start=2):
        if not cells or all(not c.strip() for c in cells):
            continue
        if cells[0].lstrip().startswith("#"):
            continue
        if len(cells) != len(header):
            problems.append(
                Problem(file, number, None, f"has {len(cells)} cells; the header has {len(header)}")
            )
            continue
        record = {h: c.strip() for h, c in zip(header, cells, strict=True) if c.strip() != ""}
        if "source" in record and "source" not in model.model_fields:
            record["sources"] = record.pop("source")
        for extra in ("note", "notes"):
            if extra not in model.model_fields:
                record.pop(extra, None)
        try:
            rows.append((number, model.model_validate(record)))
        except ValidationError as err:
            for e in err.errors():
                loc = e["loc"][0] if e["loc"] else None
                field = str(loc) if loc is not None else None
                if field == "from_":
                    field = "from"
                problems.append(Problem(file, number, field, _describe(e, record.get(field or ""))))
    return rows


def _describe(error: dict, value: object) -> str:
    """Turn one pydantic error into a sentence that says what is expected."""
    kind = error["type"]
    msg = error["msg"]
    if kind == "missing":
        return "is empty; a value is required"
    if kind == "literal_error":
        expected = msg.split("Input should be ", 1)[-1]
        return f"'{value}' is not allowed; expected {expected}"
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        if "A-Z" in pattern:
            return f"'{value}' is not an ISO 3166-1 alpha-2 country code (two capital letters)"
        return f"'{value}' is not a valid id (lower-case letters, digits, '-', '_', '.')"
    return f"{msg} (got '{value}')" if value is not None else msg
