"""Read a run folder (see `docs/design/outputs.md`) into plain Python objects for the report.

Everything the figures need is loaded here, once, and checked: a missing or malformed file is a
`RunFolderError` that names the file and what was expected, never a traceback from deep inside a
plotting library.
"""

from __future__ import annotations

import csv
import importlib
import json
import tomllib
import unicodedata
import warnings
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from corridor.errors import CorridorError, CorridorWarning, Problem, ScenarioError

# Columns each table must have (outputs.md); extra columns are tolerated: the contract may grow.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "daily.parquet": ("day", "date", "place", "state", "count"),
    "flows.parquet": ("day", "date", "from_place", "to_place", "count"),
    "outcomes.parquet": ("state", "place", "countries", "kinds", "count"),
}
JSON_KEYS: dict[str, tuple[str, ...]] = {
    "summary.json": ("departed", "days", "final_date", "by_state"),
    "run.json": ("run_id", "scenario", "start_date", "days"),
}
PLACE_COLUMNS = ("id", "name", "country", "kind", "lat", "lon")
HOW_TO_MAKE = "a run folder is written by `corridor run SCENARIO --out DIR`"


class RunFolderError(ScenarioError):
    """A run folder is missing a file, or a file does not follow `docs/design/outputs.md`."""


@dataclass(frozen=True)
class Place:
    """A place of the scenario network, as the report needs it."""

    id: str
    name: str
    country: str
    kind: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Route:
    """A route between two places (only its ends matter for drawing)."""

    start: str
    end: str


@dataclass(frozen=True)
class Observation:
    """One row of the scenario's `observations.csv`."""

    period_start: date
    period_end: date
    place: str
    kind: str
    value: float
    low: float
    high: float
    source: str = ""
    note: str = ""


@dataclass(frozen=True)
class SectionNote:
    """Why a section (rules, scores) could not be drawn: one sentence, and the details."""

    text: str = ""
    problems: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.text)


@dataclass
class RunData:
    """Everything the report draws from one run folder.

    Attributes:
        run_dir: The run folder.
        label: Short label for legends (`A: <folder name>` in compare mode).
        run: The contents of `run.json`.
        summary: The contents of `summary.json`.
        daily: `daily.parquet` as a pyarrow table.
        flows: `flows.parquet` as a pyarrow table.
        outcomes: `outcomes.parquet` as a pyarrow table.
        scenario: `scenario/scenario.toml` as a dict.
        places: Places by id, in `places.csv` order.
        routes: Routes from `scenario/routes.csv` (empty if the file is absent).
        observations: Rows of `scenario/observations.csv` (empty if absent).
        rules: Rules from `scenario/rules.toml` via `corridor.rules.load_rules`, or None.
        rules_note: Why rules are None (no file, loader missing, error), for the report text.
        scores: `corridor.analysis.score.compare(run_dir)` rows, or None.
        scores_note: Why scores are None.
    """

    run_dir: Path
    label: str
    run: dict[str, Any]
    summary: dict[str, Any]
    daily: pa.Table
    flows: pa.Table
    outcomes: pa.Table
    scenario: dict[str, Any]
    places: dict[str, Place]
    routes: list[Route] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    rules: list[Any] | None = None
    rules_note: SectionNote = field(default_factory=SectionNote)
    scores: list[Any] | None = None
    scores_note: SectionNote = field(default_factory=SectionNote)
    cohorts: pa.Table | None = None
    departures: list[dict[str, str]] = field(default_factory=list)

    @property
    def start_date(self) -> date:
        """Day 0 of the run."""
        return date.fromisoformat(str(self.run["start_date"]))

    @property
    def days(self) -> int:
        """Length of the run in days."""
        return int(self.run["days"])

    @property
    def end_date(self) -> date:
        """Last simulated day (inclusive)."""
        return self.start_date + timedelta(days=self.days - 1)

    @property
    def departed(self) -> int:
        """Number of people who departed over the run."""
        return int(self.summary["departed"])

    @property
    def title(self) -> str:
        """Scenario description, or its name."""
        return str(self.scenario.get("description") or self.scenario.get("name") or "")

    def resolve_place(self, text: str) -> str | None:
        """Return the id of the place named `text` (an id or a name, accents and case ignored)."""
        if text in self.places:
            return text
        wanted = normalise(text)
        for place in self.places.values():
            if normalise(place.name) == wanted or normalise(place.id) == wanted:
                return place.id
        return None

    def place_name(self, place_id: str) -> str:
        """Display name of a place id, or of a `FROM>TO` route position."""
        if ">" in place_id:
            a, b = place_id.split(">", 1)
            return f"{self.place_name(a)} → {self.place_name(b)}"
        place = self.places.get(place_id)
        return place.name if place else place_id


def normalise(text: str) -> str:
    """Lower-case, accent-free, single-spaced text, to match place names written by hand."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.lower().replace("-", " ").split())


def _problem(file: str, message: str, field_name: str | None = None) -> RunFolderError:
    return RunFolderError([Problem(file=file, row=None, field=field_name, message=message)])


def _read_table(run_dir: Path, name: str) -> pa.Table:
    path = run_dir / name
    if not path.is_file():
        raise _problem(name, f"missing from run folder {run_dir} ({HOW_TO_MAKE})")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise _problem(name, f"is not a readable Parquet file ({exc})") from exc
    missing = [c for c in TABLE_COLUMNS[name] if c not in table.column_names]
    if missing:
        raise _problem(
            name,
            f"lacks column(s) {', '.join(missing)}; expected at least "
            f"{', '.join(TABLE_COLUMNS[name])} (docs/design/outputs.md)",
            missing[0],
        )
    return table


def _read_json(run_dir: Path, name: str) -> dict[str, Any]:
    path = run_dir / name
    if not path.is_file():
        raise _problem(name, f"missing from run folder {run_dir} ({HOW_TO_MAKE})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise _problem(name, f"is not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise _problem(name, "should hold a JSON object")
    missing = [k for k in JSON_KEYS[name] if k not in data]
    if missing:
        raise _problem(name, f"lacks key(s) {', '.join(missing)}", missing[0])
    return data


def _read_csv(path: Path, label: str) -> list[tuple[int, dict[str, str]]]:
    """Return (row number, cells by column) of the data rows, as the scenario loader reads them.

    The header is row 1 and every record counts (blank lines too), so row numbers match the
    loader's messages; blank rows, rows of empty cells and comment rows (first cell starting
    with `#`) are dropped, as the loader drops them (`corridor.scenario.csvfile.read_rows`).
    """
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            records = list(csv.reader(handle))
    except (OSError, csv.Error, UnicodeDecodeError) as exc:
        raise _problem(label, f"cannot be read as CSV ({exc})") from exc
    if not records:
        return []
    header = [h.strip() for h in records[0]]
    rows = []
    for number, cells in enumerate(records[1:], start=2):
        if all(not c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        row = {h: c.strip() for h, c in zip(header, cells, strict=False) if h}
        rows.append((number, row))
    return rows


def _read_places(run_dir: Path) -> dict[str, Place]:
    label = "scenario/places.csv"
    path = run_dir / label
    if not path.is_file():
        raise _problem(
            label, f"missing: the run folder should hold a copy of its scenario ({HOW_TO_MAKE})"
        )
    places: dict[str, Place] = {}
    problems: list[Problem] = []
    for row_no, row in _read_csv(path, label):
        missing = [c for c in PLACE_COLUMNS if not row.get(c)]
        if missing:
            problems.append(Problem(label, row_no, missing[0], "required value is empty"))
            continue
        try:
            lat, lon = float(row["lat"]), float(row["lon"])
        except ValueError:
            problems.append(Problem(label, row_no, "lat", "lat and lon should be decimal degrees"))
            continue
        places[row["id"]] = Place(
            row["id"], row["name"], row["country"].upper(), row["kind"], lat, lon
        )
    if problems:
        raise RunFolderError(problems)
    if not places:
        raise _problem(label, "lists no places")
    return places


def _read_routes(run_dir: Path) -> list[Route]:
    path = run_dir / "scenario" / "routes.csv"
    if not path.is_file():
        return []
    rows = [row for _, row in _read_csv(path, "scenario/routes.csv")]
    return [Route(r["from"], r["to"]) for r in rows if r.get("from") and r.get("to")]


def _read_observations(run_dir: Path) -> list[Observation]:
    label = "scenario/observations.csv"
    path = run_dir / label
    if not path.is_file():
        return []
    out: list[Observation] = []
    problems: list[Problem] = []
    for row_no, row in _read_csv(path, label):
        try:
            value = float(row["value"])
            out.append(
                Observation(
                    period_start=date.fromisoformat(row["period_start"]),
                    period_end=date.fromisoformat(row["period_end"]),
                    place=row["place"],
                    kind=row["kind"],
                    value=value,
                    low=float(row.get("low") or value),
                    high=float(row.get("high") or value),
                    source=row.get("source") or row.get("sources") or "",
                    note=row.get("note", ""),
                )
            )
        except (KeyError, ValueError) as exc:
            problems.append(Problem(label, row_no, None, f"cannot be read ({exc})"))
    if problems:
        raise RunFolderError(problems)
    return out


def _read_departures(run_dir: Path) -> list[dict[str, str]]:
    path = run_dir / "scenario" / "departures.csv"
    if not path.is_file():
        return []
    return [row for _, row in _read_csv(path, "scenario/departures.csv")]


def split_cohorts(daily: pa.Table) -> tuple[pa.Table, pa.Table | None]:
    """Return the daily table summed over cohorts, and the rows by cohort (None without them).

    `daily.parquet` has a row per (day, cohort, position, state); the report's whole-run views
    want one per (day, position, state), its cohort views the rows of one cohort.
    """
    if "cohort" not in daily.column_names:
        return daily, None
    cohorts = set(daily.column("cohort").unique().to_pylist())
    keys = [c for c in daily.column_names if c not in ("cohort", "count")]
    total = daily.group_by(keys, use_threads=False).aggregate([("count", "sum")])
    total = total.rename_columns([*keys, "count"]).select(
        [c for c in daily.column_names if c != "cohort"])
    total = total.sort_by([("day", "ascending"), ("place", "ascending"), ("state", "ascending")])
    return total, (daily if cohorts - {"all"} else None)


def _read_scenario_toml(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "scenario" / "scenario.toml"
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise _problem("scenario/scenario.toml", f"is not valid TOML ({exc})") from exc


def _refused(what: str, exc: CorridorError) -> SectionNote:
    """A note for input the other module refused (its own, actionable, message)."""
    if isinstance(exc, ScenarioError):
        n = len(exc.problems)
        return SectionNote(
            f"{what}: {n} problem{'s' if n != 1 else ''} in the scenario's files "
            "(`corridor check` on the run's scenario/ folder lists them too).",
            tuple(str(p) for p in exc.problems),
        )
    return SectionNote(f"{what}: {exc}")


def _failed(what: str, exc: Exception) -> SectionNote:
    """A note for a bug elsewhere: the report still comes out, and a warning is raised."""
    message = f"{what} ({type(exc).__name__}: {exc}); section left out."
    warnings.warn(message, CorridorWarning, stacklevel=3)
    return SectionNote(message)


def _load_rules(run_dir: Path) -> tuple[list[Any] | None, SectionNote]:
    path = run_dir / "scenario" / "rules.toml"
    if not path.is_file():
        return None, SectionNote(
            "This scenario has no rules.toml: no border or asylum rules were applied."
        )
    try:
        load_rules = importlib.import_module("corridor.rules").load_rules
    except (ImportError, AttributeError):
        return None, SectionNote(
            "The rules could not be read: corridor.rules.load_rules is not available."
        )
    try:
        return list(load_rules(path)), SectionNote()
    except CorridorError as exc:
        return None, _refused("The rules could not be read", exc)
    except Exception as exc:  # noqa: BLE001 - one failing section must not sink the whole report
        return None, _failed("The rules could not be read", exc)


def _load_scores(run_dir: Path, has_observations: bool) -> tuple[list[Any] | None, SectionNote]:
    if not has_observations:
        return None, SectionNote(
            "This scenario has no observations.csv: there is nothing to check the run against."
        )
    try:
        compare = importlib.import_module("corridor.analysis.score").compare
    except (ImportError, AttributeError):
        return None, SectionNote(
            "The observations could not be scored: "
            "corridor.analysis.score.compare is not available."
        )
    try:
        return list(compare(run_dir)), SectionNote()
    except CorridorError as exc:
        return None, _refused("The observations could not be scored", exc)
    except Exception as exc:  # noqa: BLE001 - one failing section must not sink the whole report
        return None, _failed("The observations could not be scored", exc)


def load_run(run_dir: Path, label: str | None = None, complete_required: bool = True
             ) -> RunData:
    """Read and check a run folder.

    Args:
        run_dir: Folder written by `corridor run`.
        label: Short name of the run for legends; defaults to the folder name.
        complete_required: Refuse a run whose `run.json` does not say `"complete": true`
            (false only for the run being written, whose report is part of it).

    Returns:
        The run's tables, metadata, scenario places, observations, rules and scores.

    Raises:
        RunFolderError: A required file is missing or does not follow the outputs contract.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise _problem(str(run_dir), f"is not a folder ({HOW_TO_MAKE})")
    run = _read_json(run_dir, "run.json")
    if complete_required and run.get("complete") is not True:
        raise _problem("run.json", f"does not say \"complete\": true: the run in {run_dir} was "
                       "interrupted or written by an older Corridor; run it again with "
                       f"`corridor run SCENARIO --out {run_dir} --overwrite`")
    summary = _read_json(run_dir, "summary.json")
    try:
        date.fromisoformat(str(run["start_date"]))
        int(run["days"])
    except ValueError as exc:
        raise _problem("run.json", f"start_date or days is malformed ({exc})") from exc
    daily, by_cohort = split_cohorts(_read_table(run_dir, "daily.parquet"))
    data = RunData(
        run_dir=run_dir,
        label=label or run_dir.resolve().name,
        run=run,
        summary=summary,
        daily=daily,
        flows=_read_table(run_dir, "flows.parquet"),
        outcomes=_read_table(run_dir, "outcomes.parquet"),
        scenario=_read_scenario_toml(run_dir),
        places=_read_places(run_dir),
        routes=_read_routes(run_dir),
        observations=_read_observations(run_dir),
        cohorts=by_cohort,
        departures=_read_departures(run_dir),
    )
    data.rules, data.rules_note = _load_rules(run_dir)
    data.scores, data.scores_note = _load_scores(run_dir, bool(data.observations))
    return data
