"""Low-level CSV reading for Flee files: rows with their line numbers, comments, numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from corridor.errors import Problem, ScenarioError
from corridor.scenario import textfile
from corridor.scenario.csvfile import shorten


def read_text(path: Path, label: str, problems: list[Problem],
              folder: Path | None = None) -> str | None:
    """Return a file's text (UTF-8, BOM tolerated), or None after recording a problem.

    The one reader of `corridor.scenario.textfile`: a symbolic link out of `folder` (default:
    the file's folder) is refused.
    """
    return textfile.read_text(path, label, problems, folder)


def rows_of(text: str, label: str = "file") -> list[tuple[int, list[str]]]:
    """Split CSV text into (line number, cells) pairs; line numbers are 1-based.

    Raises:
        ScenarioError: When the text cannot be read as CSV (e.g. a cell over 131,072
            characters), naming `label` and the line.
    """
    reader = csv.reader(io.StringIO(text))
    out: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            out.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as err:
        raise ScenarioError([Problem(label, start, None, f"cannot be read as CSV ({err}); a cell "
                                     "may be longer than 131,072 characters, often because a "
                                     "quote (\") is not closed")]) from None
    return out


def is_comment(cells: list[str]) -> bool:
    """Whether a row is empty or a comment (first cell starts with `#`), as Flee treats it."""
    return not cells or not "".join(cells).strip() or cells[0].lstrip().startswith("#")


def cell(cells: list[str], i: int) -> str:
    """Return cell `i` stripped, or "" when the row is shorter."""
    return cells[i].strip() if i < len(cells) else ""


def parse_int(text: str, label: str, row: int, field: str, problems: list[Problem],
              minimum: int | None = None, maximum: int | None = None) -> int | None:
    """Parse an integer cell (a float with no fraction, such as `12.0`, is accepted)."""
    try:
        value = float(text)
        if value != int(value):
            raise ValueError
        number = int(value)
    except (ValueError, OverflowError):
        problems.append(Problem(label, row, field, f"'{shorten(text)}' is not a whole number"))
        return None
    if minimum is not None and number < minimum:
        problems.append(Problem(label, row, field, f"{number} is below the minimum {minimum}"))
        return None
    if maximum is not None and number > maximum:
        problems.append(Problem(label, row, field, f"{number:,} is above the maximum {maximum:,}"))
        return None
    return number


def parse_float(text: str, label: str, row: int, field: str, problems: list[Problem],
                minimum: float | None = None, maximum: float | None = None) -> float | None:
    """Parse a decimal cell, optionally with a lower bound."""
    try:
        value = float(text)
    except ValueError:
        problems.append(Problem(label, row, field, f"'{shorten(text)}' is not a number"))
        return None
    if value != value or value in (float("inf"), float("-inf")):
        problems.append(Problem(label, row, field, f"'{text}' is not a finite number"))
        return None
    if minimum is not None and value < minimum:
        problems.append(Problem(label, row, field, f"{value:g} is below the minimum {minimum:g}"))
        return None
    if maximum is not None and value > maximum:
        problems.append(Problem(label, row, field, f"{value:g} is above the maximum {maximum:g}"))
        return None
    return value


def parse_date(text: str, label: str, row: int, field: str,
               problems: list[Problem]) -> dt.date | None:
    """Parse an ISO date cell (`YYYY-MM-DD`)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append(Problem(label, row, field, f"'{shorten(text)}' is not a date "
                                "(YYYY-MM-DD)"))
        return None
