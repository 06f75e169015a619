"""Readers for Flee's input files: locations, routes, closures, conflicts, period, corrections.

Each reader takes a path and a list that problems are appended to, and returns typed records.
Flee reads these files by column position; so do these readers, but every malformed value is
reported with its file, row and field instead of crashing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from corridor.errors import Problem
from corridor.flee.csvrows import (
    cell,
    is_comment,
    parse_date,
    parse_float,
    parse_int,
    read_text,
    rows_of,
)
from corridor.scenario.model import MAX_DISTANCE_KM, MAX_PEOPLE

LOCATION_COLUMNS = ("name", "region", "country", "latitude", "longitude", "location_type",
                    "conflict_date", "population")
ROUTE_COLUMNS = ("name1", "name2", "distance", "forced_redirection")
CLOSURE_TYPES = ("location", "country", "link", "camp", "idpcamp", "remove_forced_redirection")

MAX_DAY = 100_000  # a day number far past any simulation, still a valid date from any start

FLEE_KINDS = ("conflict_zone", "town", "camp", "idp_camp", "forwarding_hub", "marker")


def flee_kind(location_type: str) -> str | None:
    """Map a Flee `location_type` to a kind, with Flee's own substring rules.

    Flee tests, in this order, whether the lower-cased type contains `camp` (and then `idp`),
    `conflict`, `forward`, `marker`, `default` or `town`.

    Returns:
        One of `FLEE_KINDS`, or None when Flee would not recognise the type.
    """
    t = location_type.strip().lower()
    if "camp" in t:
        return "idp_camp" if "idp" in t else "camp"
    if "conflict" in t:
        return "conflict_zone"
    if "forward" in t:
        return "forwarding_hub"
    if "marker" in t:
        return "marker"
    if "default" in t or "town" in t:
        return "town"
    return None


@dataclass(frozen=True)
class FleeLocation:
    """One row of `locations.csv`.

    Attributes:
        name: Unique name (Flee's id for the place).
        region: Region text (unused by the model).
        country: Country name as Flee spells it (e.g. `Burkina_Faso`); "unknown" if empty.
        lat: Latitude (column 4), or None if empty.
        lon: Longitude (column 5), or None if empty.
        location_type: The type text as written.
        kind: The kind Flee derives from the type (see `flee_kind`).
        conflict_date: Day the conflict starts (conflict zones), or None.
        population: Population (towns, conflict zones) or capacity (camps); 0 when empty.
        attributes: Extra columns named in the header (e.g. `conflict_intensity`).
        row: Row number in the file.
    """

    name: str
    region: str
    country: str
    lat: float | None
    lon: float | None
    location_type: str
    kind: str
    conflict_date: int | None
    population: int
    attributes: dict[str, str] = field(default_factory=dict)
    row: int = 0

    @property
    def is_camp(self) -> bool:
        """Whether Flee treats the place as a camp (camps and IDP camps)."""
        return self.kind in ("camp", "idp_camp")

    @property
    def initial_kind(self) -> str:
        """The kind on day 0: a conflict zone whose conflict starts later begins as a town."""
        if self.kind == "conflict_zone" and (self.conflict_date or 0) > 0:
            return "town"
        return self.kind


@dataclass(frozen=True)
class FleeRoute:
    """One row of `routes.csv` (a two-way link).

    Attributes:
        name1: One end.
        name2: The other end.
        distance: Length in km.
        forced_redirection: 0 none, 1 from name2 to name1, 2 from name1 to name2.
        attributes: Extra columns named in the header (e.g. `max_move_speed`).
        row: Row number in the file.
    """

    name1: str
    name2: str
    distance: float
    forced_redirection: int = 0
    attributes: dict[str, str] = field(default_factory=dict)
    row: int = 0


@dataclass(frozen=True)
class FleeClosure:
    """One row of `closures.csv`.

    Attributes:
        closure_type: One of `CLOSURE_TYPES`.
        name1: First name (location, country or camp).
        name2: Second name (country or location; unused by location and camp closures).
        start: Day the closure starts.
        end: Day it ends (the reopening happens on that day); -1 = never.
        row: Row number in the file.
    """

    closure_type: str
    name1: str
    name2: str
    start: int
    end: int
    row: int = 0


@dataclass(frozen=True)
class FleeConflicts:
    """`conflicts.csv`: conflict intensity per day (rows) and location (columns).

    Attributes:
        names: Location names, in column order.
        intensity: Array of shape (days, len(names)); row d is day d.
        columns: Column number of each name (1-based), for error messages.
    """

    names: tuple[str, ...]
    intensity: np.ndarray
    columns: tuple[int, ...] = ()

    @property
    def days(self) -> int:
        """How many days the file covers."""
        return int(self.intensity.shape[0])


@dataclass(frozen=True)
class FleePeriod:
    """`conflict_period.csv` (or `sim_period.csv`): start date and length in days."""

    start_date: dt.date
    length: int
    file: str = "conflict_period.csv"


@dataclass(frozen=True)
class RegistrationCorrection:
    """One row of `registration_corrections.csv`.

    The counts of `name` before `date` are scaled so that the last one before `date` equals the
    count on `date` (a change of registration method).
    """

    name: str
    date: dt.date
    row: int = 0


def _header_extras(cells: list[str], fixed: int) -> list[str]:
    return [c.strip().lstrip("#") for c in cells[fixed:]]


def read_locations(path: Path, problems: list[Problem], label: str = "locations.csv"
                   ) -> list[FleeLocation]:
    """Read `locations.csv`.

    Columns by position: name, region, country, latitude, longitude, location_type,
    conflict_date, population (capacity for camps); further columns are attributes named in
    the commented header line.
    """
    text = read_text(path, label, problems)
    if text is None:
        return []
    extras: list[str] = []
    out: list[FleeLocation] = []
    seen: dict[str, int] = {}
    for row, cells in rows_of(text, label):
        if is_comment(cells):
            if cells and len(cells) > len(LOCATION_COLUMNS) and not out:
                extras = _header_extras(cells, len(LOCATION_COLUMNS))
            continue
        if len(cells) < 6:
            problems.append(Problem(label, row, None, f"has {len(cells)} cells; expected at least "
                                    f"6 ({', '.join(LOCATION_COLUMNS)})"))
            continue
        name = cell(cells, 0)
        if name in seen:
            problems.append(Problem(label, row, "name", f"'{name}' already appears on row "
                                    f"{seen[name]}; names must be unique"))
            continue
        seen[name] = row
        n_before = len(problems)
        lat = lon = None
        if cell(cells, 3):
            lat = parse_float(cell(cells, 3), label, row, "latitude", problems)
        if cell(cells, 4):
            lon = parse_float(cell(cells, 4), label, row, "longitude", problems)
        location_type = cell(cells, 5)
        kind = flee_kind(location_type)
        if kind is None:
            problems.append(Problem(label, row, "location_type", f"'{location_type}' is not a Flee "
                                    "location type; expected conflict_zone, town, camp, idpcamp, "
                                    "forwarding_hub or marker"))
        conflict_date = None
        if cell(cells, 6):
            conflict_date = parse_int(cell(cells, 6), label, row, "conflict_date", problems,
                                      maximum=MAX_DAY)
        elif kind == "conflict_zone":
            problems.append(Problem(label, row, "conflict_date", "is empty; a conflict zone needs "
                                    "the day its conflict starts (0 = from the first day)"))
        population = 0
        if cell(cells, 7):
            population = parse_int(cell(cells, 7), label, row, "population", problems, minimum=0,
                                   maximum=MAX_PEOPLE)
        attributes = {}
        for i, value in enumerate(cells[len(LOCATION_COLUMNS):]):
            key = extras[i] if i < len(extras) and extras[i] else f"column{i + 9}"
            if value.strip():
                attributes[key] = value.strip()
        if "conflict_intensity" in attributes:
            parse_float(attributes["conflict_intensity"], label, row, "conflict_intensity",
                        problems, minimum=0.0)
        if len(problems) > n_before or kind is None:
            continue
        out.append(FleeLocation(
            name=name, region=cell(cells, 1), country=cell(cells, 2) or "unknown", lat=lat,
            lon=lon, location_type=location_type, kind=kind, conflict_date=conflict_date,
            population=population or 0, attributes=attributes, row=row))
    if not out and not any(p.file == label for p in problems):
        problems.append(Problem(label, None, None, "has no locations"))
    return out


def read_routes(path: Path, problems: list[Problem], label: str = "routes.csv"
                ) -> list[FleeRoute]:
    """Read `routes.csv`: name1, name2, distance, forced_redirection, then named attributes."""
    text = read_text(path, label, problems)
    if text is None:
        return []
    extras: list[str] = []
    out: list[FleeRoute] = []
    for row, cells in rows_of(text, label):
        if is_comment(cells):
            if cells and len(cells) > len(ROUTE_COLUMNS) and not out:
                extras = _header_extras(cells, len(ROUTE_COLUMNS))
            continue
        if len(cells) < 3:
            problems.append(Problem(label, row, None, f"has {len(cells)} cells; expected at least "
                                    "3 (name1, name2, distance)"))
            continue
        n_before = len(problems)
        name1, name2 = cell(cells, 0), cell(cells, 1)
        for key, value in (("name1", name1), ("name2", name2)):
            if not value:
                problems.append(Problem(label, row, key, "is empty; a location name is required"))
        if name1 and name1 == name2:
            problems.append(Problem(label, row, "name2", f"the route joins '{name1}' to itself"))
        distance = parse_float(cell(cells, 2), label, row, "distance", problems, minimum=0.0,
                               maximum=MAX_DISTANCE_KM)
        redirect = 0
        if cell(cells, 3):
            redirect = parse_int(cell(cells, 3), label, row, "forced_redirection", problems)
            if redirect is not None and redirect not in (0, 1, 2):
                problems.append(Problem(label, row, "forced_redirection",
                                        f"{redirect} is not allowed; expected 0, 1 or 2"))
        attributes = {}
        for i, value in enumerate(cells[len(ROUTE_COLUMNS):]):
            key = extras[i] if i < len(extras) and extras[i] else f"column{i + 5}"
            if value.strip():
                attributes[key] = value.strip()
        for key in ("max_move_speed", "walk_probability"):
            if key in attributes:
                parse_float(attributes[key], label, row, key, problems, minimum=0.0)
        if len(problems) > n_before:
            continue
        out.append(FleeRoute(name1, name2, float(distance), int(redirect or 0), attributes, row))
    if not out and not any(p.file == label for p in problems):
        problems.append(Problem(label, None, None, "has no routes; people cannot move between "
                                "locations"))
    return out


def read_closures(path: Path, problems: list[Problem], label: str = "closures.csv"
                  ) -> list[FleeClosure]:
    """Read `closures.csv`: closure_type, name1, name2, closure_start, closure_end.

    A missing file means no closures.
    """
    if not path.exists():
        return []
    text = read_text(path, label, problems)
    if text is None:
        return []
    out: list[FleeClosure] = []
    for row, cells in rows_of(text, label):
        if is_comment(cells):
            continue
        if len(cells) < 5:
            problems.append(Problem(label, row, None, f"has {len(cells)} cells; expected 5 "
                                    "(closure_type, name1, name2, closure_start, closure_end)"))
            continue
        n_before = len(problems)
        kind = cell(cells, 0).lower()
        if kind not in CLOSURE_TYPES:
            problems.append(Problem(label, row, "closure_type", f"'{cell(cells, 0)}' is not a "
                                    f"closure type; expected {', '.join(CLOSURE_TYPES)}"))
        start = parse_int(cell(cells, 3), label, row, "closure_start", problems, minimum=0,
                          maximum=MAX_DAY)
        end = parse_int(cell(cells, 4), label, row, "closure_end", problems, minimum=-1,
                        maximum=MAX_DAY)
        if not cell(cells, 1):
            problems.append(Problem(label, row, "name1", "is empty; a name is required"))
        if kind in ("country", "link", "remove_forced_redirection") and not cell(cells, 2):
            problems.append(Problem(label, row, "name2", f"is empty; a {kind} closure needs two "
                                    "names"))
        if len(problems) > n_before:
            continue
        out.append(FleeClosure(kind, cell(cells, 1), cell(cells, 2), int(start), int(end), row))
    return out


def read_conflicts(path: Path, problems: list[Problem], label: str = "conflicts.csv"
                   ) -> FleeConflicts | None:
    """Read `conflicts.csv`: a header `#Day,name,...`, then one row per day from day 0.

    Flee reads row d as day d; the day column must therefore count 0, 1, 2, ... A missing file
    returns None (conflict zones then come from `locations.csv` only).
    """
    if not path.exists():
        return None
    text = read_text(path, label, problems)
    if text is None:
        return None
    rows = rows_of(text, label)
    if not rows:
        problems.append(Problem(label, None, None, "the file is empty; expected a header row"))
        return None
    _, header = rows[0]
    columns = [(i, h.strip()) for i, h in enumerate(header) if i > 0 and h.strip()]
    names = [n for _, n in columns]
    dupes = sorted({n for n in names if names.count(n) > 1})
    for name in dupes:
        problems.append(Problem(label, 1, name, f"column '{name}' appears twice"))
    values: list[list[float]] = []
    for row, cells in rows[1:]:
        if not cells or not "".join(cells).strip():
            continue
        day = parse_int(cell(cells, 0), label, row, "Day", problems)
        if day is not None and day != len(values):
            problems.append(Problem(label, row, "Day", f"day {day} is out of sequence; rows must "
                                    f"count the days 0, 1, 2, ... (expected {len(values)})"))
        line = []
        for col, name in columns:
            text_value = cell(cells, col)
            if not text_value:
                problems.append(Problem(label, row, name, "is empty; expected an intensity "
                                        "(0 = no conflict)"))
                line.append(0.0)
                continue
            value = parse_float(text_value, label, row, name, problems, minimum=0.0)
            line.append(0.0 if value is None else value)
        values.append(line)
    intensity = np.array(values, dtype=np.float64).reshape(len(values), len(names))
    return FleeConflicts(tuple(names), intensity, tuple(c for c, _ in columns))


def read_period(input_dir: Path, problems: list[Problem]) -> FleePeriod | None:
    """Read `conflict_period.csv` (Flee 3.1) or `sim_period.csv` (later versions)."""
    for name in ("conflict_period.csv", "sim_period.csv"):
        path = input_dir / name
        if path.exists():
            break
    else:
        problems.append(Problem("conflict_period.csv", None, None, f"not found in {input_dir} "
                                "(nor sim_period.csv); expected rows 'StartDate,YYYY-MM-DD' and "
                                "'Length,DAYS'"))
        return None
    text = read_text(path, name, problems)
    if text is None:
        return None
    start = length = None
    for row, cells in rows_of(text, name):
        key = cell(cells, 0).lower()
        if key == "startdate":
            start = parse_date(cell(cells, 1), name, row, "StartDate", problems)
        elif key == "length":
            length = parse_int(cell(cells, 1), name, row, "Length", problems, minimum=1,
                               maximum=10_000)
    for key, value in (("StartDate", start), ("Length", length)):
        if value is None and not any(p.file == name and p.field == key for p in problems):
            problems.append(Problem(name, None, key, f"no '{key}' row"))
    if start is None or length is None:
        return None
    return FleePeriod(start, length, name)


def read_registration_corrections(path: Path, problems: list[Problem],
                                  label: str = "registration_corrections.csv"
                                  ) -> list[RegistrationCorrection]:
    """Read `registration_corrections.csv`: name, date (a third column is ignored, as in Flee)."""
    if not path.exists():
        return []
    text = read_text(path, label, problems)
    if text is None:
        return []
    out = []
    for row, cells in rows_of(text, label):
        if is_comment(cells) or len(cells) < 2:
            continue
        date = parse_date(cell(cells, 1), label, row, "date", problems)
        if date is not None:
            out.append(RegistrationCorrection(cell(cells, 0), date, row))
    return out
