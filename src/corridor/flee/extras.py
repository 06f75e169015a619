"""The files a Corridor scenario with `model = "flee"` has beside places and routes.

- `totals.csv` (`date,count`): the total displaced (UNHCR); its daily change drives spawning.
- `conflicts.csv` (`date,place,intensity`): from `date` on, `place` has this conflict intensity
  (0 ends the conflict); rows dated before the start give the conflict zones of day 0.
- `closures.csv` (`type,name1,name2,start_date,end_date`): Flee's closures, active from
  `start_date` up to (not including) `end_date`; an empty `end_date` lasts to the end.

Camp counts for validation (and for Flee's day-0 insertion) are rows of `observations.csv` with
kind `present` (people at the place on that date).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from corridor.errors import Problem
from corridor.flee.files import CLOSURE_TYPES
from corridor.flee.validation import CountSeries
from corridor.scenario.csvfile import read_rows
from corridor.scenario.model import MAX_PEOPLE
from corridor.scenario.textfile import read_text

EXTRA_FILES = ("totals.csv", "conflicts.csv", "closures.csv")
PRESENT = "present"

Name = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True,
                              allow_inf_nan=False)


class TotalRow(_Row):
    """One row of `totals.csv`."""

    date: dt.date
    count: float = Field(ge=0, le=MAX_PEOPLE)
    sources: str = ""


class ConflictRow(_Row):
    """One row of `conflicts.csv`."""

    date: dt.date
    place: Name
    intensity: float = Field(ge=0)
    sources: str = ""


class ClosureRow(_Row):
    """One row of `closures.csv`."""

    type: Literal[CLOSURE_TYPES]  # type: ignore[valid-type]
    name1: Name
    name2: str = ""
    start_date: dt.date
    end_date: dt.date | None = None
    sources: str = ""


@dataclass(frozen=True)
class FleeExtras:
    """The flee model's extra inputs, as read from a scenario folder.

    Attributes:
        totals: (row, TotalRow) pairs, dates increasing.
        conflicts: (row, ConflictRow) pairs.
        closures: (row, ClosureRow) pairs.
    """

    totals: tuple[tuple[int, TotalRow], ...] = ()
    conflicts: tuple[tuple[int, ConflictRow], ...] = ()
    closures: tuple[tuple[int, ClosureRow], ...] = ()

    def total_series(self, start: dt.date) -> CountSeries | None:
        """Return the totals as a count series (days since `start`), or None without rows."""
        if not self.totals:
            return None
        days = np.array([(r.date - start).days for _, r in self.totals], dtype=np.int64)
        counts = np.array([r.count for _, r in self.totals], dtype=np.float64)
        return CountSeries("total", ("totals.csv",), days, counts)


def read_extras(folder: Path, files: dict[str, str], problems: list[Problem]) -> FleeExtras:
    """Read `totals.csv`, `conflicts.csv` and `closures.csv` from a scenario folder.

    The texts are added to `files` (so they count in the scenario digest and are copied into
    run folders). `totals.csv` is required unless conflict-driven spawning is used (checked
    later, with the parameters).
    """
    for name in EXTRA_FILES:
        path = folder / name
        if (path.exists() or path.is_symlink()) and name not in files:
            text = read_text(path, name, problems, folder)
            if text is not None:
                files[name] = text
    totals = conflicts = closures = []
    if "totals.csv" in files:
        totals = read_rows(files["totals.csv"], "totals.csv", TotalRow,
                           required=("date", "count"), problems=problems)
        for (_, a), (row, b) in zip(totals, totals[1:], strict=False):
            if b.date < a.date:
                problems.append(Problem("totals.csv", row, "date", f"{b.date} comes before "
                                        f"{a.date} on the previous row; dates must not decrease"))
    if "conflicts.csv" in files:
        conflicts = read_rows(files["conflicts.csv"], "conflicts.csv", ConflictRow,
                              required=("date", "place", "intensity"), problems=problems)
    if "closures.csv" in files:
        closures = read_rows(files["closures.csv"], "closures.csv", ClosureRow,
                             required=("type", "name1", "start_date"),
                             optional=("name2", "end_date"), problems=problems)
        for row, c in closures:
            if c.type in ("country", "link", "remove_forced_redirection") and not c.name2:
                problems.append(Problem("closures.csv", row, "name2", f"is empty; a {c.type} "
                                        "closure needs two names"))
            if c.end_date is not None and c.end_date <= c.start_date:
                problems.append(Problem("closures.csv", row, "end_date", "must be after "
                                        "start_date (leave it empty for a closure to the end)"))
    return FleeExtras(tuple(totals), tuple(conflicts), tuple(closures))
