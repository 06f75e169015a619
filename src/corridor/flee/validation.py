"""Flee's validation data: `data_layout.csv`, the dated count files, and their interpolation.

`data_layout.csv` names one series per row: `total` (the UNHCR total, which drives spawning),
then one row per camp. A row may name several files to add up, either as further columns
(Flee 3.1) or joined with `+` in one cell (`a.csv+b.csv`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from corridor.errors import Problem
from corridor.flee.csvrows import cell, is_comment, parse_date, parse_float, read_text, rows_of
from corridor.flee.files import RegistrationCorrection
from corridor.scenario.model import MAX_PEOPLE


@dataclass(frozen=True)
class CountSeries:
    """Dated counts of one place (or the total), as days since the start date.

    Attributes:
        name: The series name in `data_layout.csv` (`total` or a camp name).
        files: The files it was read from (more than one when summed).
        days: Day numbers, non-decreasing (may be negative: before the start).
        counts: Counts on those days (floats: corrections and scale-down make fractions).
        row: Row in `data_layout.csv`.
    """

    name: str
    files: tuple[str, ...]
    days: np.ndarray
    counts: np.ndarray
    row: int = 0

    def at(self, day: int | np.ndarray) -> np.ndarray:
        """Return the count on day(s), as Flee interpolates it (truncated to whole people).

        Before the first date the first count holds, after the last date the last count; in
        between the count is interpolated linearly and truncated toward zero.
        """
        d = np.atleast_1d(np.asarray(day, dtype=np.float64))
        days, counts = self.days.astype(np.float64), self.counts
        nxt = np.searchsorted(days, d, side="right")
        prev = np.clip(nxt - 1, 0, len(days) - 1)
        nxt_c = np.clip(nxt, 0, len(days) - 1)
        span = days[nxt_c] - days[prev]
        frac = np.where(span > 0, (d - days[prev]) / np.where(span > 0, span, 1.0), 0.0)
        value = counts[prev] + frac * (counts[nxt_c] - counts[prev])
        value = np.where(nxt >= len(days), counts[-1], value)
        value = np.where(d <= days[0], counts[0], value)
        return np.trunc(value).astype(np.int64)

    def daily(self, n_days: int) -> np.ndarray:
        """Return the interpolated counts of days 0 .. n_days-1."""
        return self.at(np.arange(n_days))


@dataclass(frozen=True)
class FleeValidation:
    """All series of a validation folder.

    Attributes:
        series: Series by name, in `data_layout.csv` order (`total` first when present).
        folder: The validation folder.
    """

    series: dict[str, CountSeries] = field(default_factory=dict)
    folder: Path | None = None

    @property
    def total(self) -> CountSeries | None:
        """The `total` series (UNHCR total), or None."""
        return self.series.get("total")

    @property
    def camps(self) -> dict[str, CountSeries]:
        """Every series except `total`."""
        return {k: v for k, v in self.series.items() if k != "total"}


def read_count_file(path: Path, label: str, start: dt.date, problems: list[Problem],
                    scale_down: int = 1) -> tuple[np.ndarray, np.ndarray] | None:
    """Read one dated count file: rows `YYYY-MM-DD,count`.

    A first row that is not a date is a header; rows starting with `#`, rows with fewer than
    two cells and rows with an empty count are skipped (as Flee does). Dates must not decrease.
    """
    text = read_text(path, label, problems)
    if text is None:
        return None
    days: list[int] = []
    counts: list[float] = []
    n_before = len(problems)
    for i, (row, cells) in enumerate(rows_of(text, label)):
        if is_comment(cells) or len(cells) < 2 or not cell(cells, 1):
            continue
        if i == 0 and _not_a_date(cell(cells, 0)):
            continue
        date = parse_date(cell(cells, 0), label, row, "date", problems)
        count = parse_float(cell(cells, 1), label, row, "count", problems, minimum=0.0,
                            maximum=MAX_PEOPLE)
        if date is None or count is None:
            continue
        day = (date - start).days
        if days and day < days[-1]:
            problems.append(Problem(label, row, "date", f"{date} comes before the previous row's "
                                    "date; dates must not decrease"))
            continue
        days.append(day)
        counts.append(count / scale_down)
    if len(problems) > n_before:
        return None
    if not days:
        problems.append(Problem(label, None, None, "has no dated counts"))
        return None
    return np.array(days, dtype=np.int64), np.array(counts, dtype=np.float64)


def _not_a_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
        return False
    except ValueError:
        return True


def sum_series(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Add several dated series: on every date of any of them, the sum of their values.

    Each series is interpolated as Flee interpolates (flat outside its dates, linear between),
    so the sum interpolates to the sum of the parts.
    """
    all_days = np.unique(np.concatenate([d for d, _ in parts]))
    total = np.zeros(len(all_days), dtype=np.float64)
    for days, counts in parts:
        total += np.interp(all_days.astype(np.float64), days.astype(np.float64), counts)
    return all_days, total


def apply_corrections(series: dict[str, CountSeries], corrections: list[RegistrationCorrection],
                      start: dt.date, problems: list[Problem],
                      label: str = "registration_corrections.csv") -> dict[str, CountSeries]:
    """Apply registration corrections: scale the counts before a date to meet the count on it.

    For a correction (camp, date), the row of that camp's series dated `date` is found; every
    earlier count is multiplied by (count on `date`) / (count of the row just before).
    """
    out = dict(series)
    for c in corrections:
        s = out.get(c.name)
        if s is None:
            problems.append(Problem(label, c.row, "name", f"'{c.name}' has no series in "
                                    "data_layout.csv"))
            continue
        day = (c.date - start).days
        hits = np.nonzero(s.days == day)[0]
        if len(hits) == 0:
            problems.append(Problem(label, c.row, "date", f"{c.date} is not a date of the counts "
                                    f"of '{c.name}' ({', '.join(s.files)}); it must be one"))
            continue
        counts = s.counts.copy()
        for i in hits:
            if i == 0:
                problems.append(Problem(label, c.row, "date", f"{c.date} is the first date of "
                                        f"'{c.name}'; there is nothing earlier to correct"))
                break
            if counts[i - 1] <= 0:
                problems.append(Problem(label, c.row, "date", f"the count of '{c.name}' just "
                                        f"before {c.date} is 0, so no scale factor exists"))
                break
            counts[:i] *= counts[i] / counts[i - 1]
        out[c.name] = CountSeries(s.name, s.files, s.days, counts, s.row)
    return out


def read_validation(folder: Path, start: dt.date, problems: list[Problem],
                    corrections: list[RegistrationCorrection] = (), scale_down: int = 1,
                    layout: str = "data_layout.csv") -> FleeValidation:
    """Read a Flee validation folder: `data_layout.csv` and the files it names.

    Args:
        folder: The validation folder.
        start: The scenario's start date (day 0).
        problems: List that problems are appended to.
        corrections: Registration corrections to apply (from the input folder).
        scale_down: Flee's `hasten` factor: counts are divided by it.
        layout: Name of the layout file.

    Returns:
        The series; incomplete when problems were found.
    """
    text = read_text(folder / layout, layout, problems)
    if text is None:
        return FleeValidation({}, folder)
    series: dict[str, CountSeries] = {}
    for row, cells in rows_of(text, layout):
        if is_comment(cells) or len(cells) < 2:
            continue
        name = cell(cells, 0)
        files = [p.strip() for c in cells[1:] for p in c.split("+") if p.strip()]
        if not files:
            problems.append(Problem(layout, row, "file", f"no file named for '{name}'"))
            continue
        if name in series:
            problems.append(Problem(layout, row, "name", f"'{name}' appears twice"))
            continue
        parts = []
        for f in files:
            if not (folder / f).resolve().is_relative_to(folder.resolve()):
                problems.append(Problem(layout, row, "file", f"'{f}' is outside the validation "
                                        "folder; name a file inside it"))
                continue
            part = read_count_file(folder / f, f, start, problems, scale_down)
            if part is not None:
                parts.append(part)
        if len(parts) != len(files):
            continue
        days, counts = parts[0] if len(parts) == 1 else sum_series(parts)
        series[name] = CountSeries(name, tuple(files), days, counts, row)
    if "total" not in series and not any(p.file == layout for p in problems):
        problems.append(Problem(layout, None, "total", "no 'total' row; Flee spawns people from "
                                "the daily change of the total (usually 'total,refugees.csv')"))
    series = apply_corrections(series, list(corrections), start, problems)
    return FleeValidation(series, folder)
