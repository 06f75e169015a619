"""Reading CSV files into validated rows, collecting every problem with file, row and field."""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Iterable, Iterator
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from corridor.errors import Problem

Row = TypeVar("Row", bound=BaseModel)

ALWAYS_ALLOWED = ("sources", "source", "note", "notes")
ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")  # extra columns (group attributes)


def records(text: str, file: str, problems: list[Problem]) -> Iterator[tuple[int, list[str]]]:
    """Yield (row number, cells) of CSV text; the first record is row 1.

    A record the csv module cannot read (an unclosed quote, a cell over the csv module's limit of
    131,072 characters) ends the file with a problem naming the row, instead of an exception.
    """
    reader = csv.reader(io.StringIO(text))
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            problems.append(Problem(file, number + 1, None, f"cannot be read as CSV ({err}); a "
                                    "cell may be longer than 131,072 characters, often because "
                                    "a quote (\") is not closed"))
            return
        number += 1
        yield number, cells


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
    reader = records(text, file, problems)
    first = next(reader, None)
    if first is None:
        if not any(p.file == file for p in problems):
            problems.append(Problem(file, None, None, "the file is empty; expected a header row"))
        return []
    header = first[1]
    header = [h.strip().lstrip("\ufeff") for h in header]
    required = list(required)
    known = set(required) | set(optional) | set(ALWAYS_ALLOWED)
    for col in required:
        if col not in header:
            problems.append(Problem(file, 1, col, f"missing required column '{col}'"))
    seen: set[str] = set()
    for col in header:
        if col in seen:
            problems.append(Problem(file, 1, col, f"column '{shorten(col)}' appears twice"))
        seen.add(col)
        if not col:
            problems.append(Problem(file, 1, None, "a column has an empty name"))
        elif col not in known and not (allow_extra and _attribute(col, known)):
            problems.append(Problem(file, 1, col, _unknown_column(col, known, allow_extra)))
    if any(p.file == file and p.row == 1 for p in problems):
        return []
    rows: list[tuple[int, Row]] = []
    for number, cells in reader:
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


def _attribute(col: str, known: set[str]) -> bool:
    """Whether an extra column may be a group attribute: lower-case, not a mistyped known name."""
    return bool(ATTRIBUTE_NAME.match(col)) and not difflib.get_close_matches(col, known, n=1,
                                                                            cutoff=0.8)


def _unknown_column(col: str, known: set[str], allow_extra: bool) -> str:
    expected = ", ".join(sorted(known - set(ALWAYS_ALLOWED)))
    near = difflib.get_close_matches(col.lower(), known, n=1, cutoff=0.75)
    hint = f" (did you mean '{near[0]}'?)" if near else ""
    extra = (", or group attributes (lower-case letters, digits and '_'; not a misspelt "
             "column)") if allow_extra else ""
    return f"unknown column '{shorten(col)}'{hint}; expected {expected}{extra}"


def shorten(value: object, limit: int = 60) -> str:
    """Return a value as text for a message, cut to `limit` characters (a cell may be huge)."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text):,} characters)"


def _describe(error: dict, value: object) -> str:
    """Turn one pydantic error into a sentence that says what is expected."""
    value = shorten(value) if value is not None else None
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
