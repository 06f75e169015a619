"""A whole Flee scenario: input folder, validation folder and settings, read and cross-checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from corridor.errors import Problem, ScenarioError
from corridor.flee.files import (
    FleeClosure,
    FleeConflicts,
    FleeLocation,
    FleePeriod,
    FleeRoute,
    RegistrationCorrection,
    read_closures,
    read_conflicts,
    read_locations,
    read_period,
    read_registration_corrections,
    read_routes,
)
from corridor.flee.settings import FleeSettings, read_settings
from corridor.flee.validation import FleeValidation, read_validation


@dataclass(frozen=True)
class FleeScenario:
    """Everything a Flee run reads, as typed records.

    Attributes:
        input_dir: The input folder (`locations.csv`, `routes.csv`, ...).
        validation_dir: The validation folder (`data_layout.csv` and count files).
        settings_path: The `simsetting.yml` read, or None for Flee's defaults.
        settings: The settings.
        period: Start date and length.
        locations: Locations in file order (the first one's country is the home country).
        routes: Routes in file order.
        closures: Closures in file order.
        conflicts: Conflict intensities by day, or None without `conflicts.csv`.
        corrections: Registration corrections (already applied to `validation`).
        validation: The count series, corrected, as the files give them (not divided by
            `hasten`: the flee model divides populations, capacities and counts by it once,
            when it runs).
        notes: Things read but ignored, for the person importing (not errors).
        ignored_settings: Settings keys accepted but not used.
    """

    input_dir: Path
    validation_dir: Path
    settings_path: Path | None
    settings: FleeSettings
    period: FleePeriod
    locations: tuple[FleeLocation, ...]
    routes: tuple[FleeRoute, ...]
    closures: tuple[FleeClosure, ...]
    conflicts: FleeConflicts | None
    corrections: tuple[RegistrationCorrection, ...]
    validation: FleeValidation
    notes: tuple[str, ...] = field(default=())
    ignored_settings: tuple[str, ...] = field(default=())

    @property
    def home_country(self) -> str:
        """Flee's home country: the country of the first location."""
        return self.locations[0].country

    @property
    def camps(self) -> tuple[FleeLocation, ...]:
        """The camps (and IDP camps), in file order: the columns of Flee's `out.csv`."""
        return tuple(loc for loc in self.locations if loc.is_camp)

    def location(self, name: str) -> FleeLocation:
        """Return the location with a given name.

        Raises:
            KeyError: For an unknown name.
        """
        for loc in self.locations:
            if loc.name == name:
                return loc
        raise KeyError(name)


def find_settings(input_dir: Path) -> Path | None:
    """Return the `simsetting.yml` beside or inside an input folder, if there is one."""
    for candidate in (input_dir / "simsetting.yml", input_dir.parent / "simsetting.yml",
                      input_dir / "simsettings.yml", input_dir.parent / "simsettings.yml"):
        if candidate.is_file():
            return candidate
    return None


def read_flee_scenario(input_dir: str | Path, validation_dir: str | Path,
                       settings_path: str | Path | None = None) -> FleeScenario:
    """Read and check a Flee scenario.

    Args:
        input_dir: Flee's input folder (`input_csv`).
        validation_dir: Flee's validation folder (`source_data`), with `data_layout.csv`.
        settings_path: The `simsetting.yml`; looked for beside the input folder when None.

    Returns:
        The scenario.

    Raises:
        ScenarioError: With every problem found (file, row, field and what is expected).
    """
    input_dir, validation_dir = Path(input_dir), Path(validation_dir)
    problems: list[Problem] = []
    if not input_dir.is_dir():
        raise ScenarioError([Problem(str(input_dir), None, None, "is not a folder")])
    if not validation_dir.is_dir():
        raise ScenarioError([Problem(str(validation_dir), None, None, "is not a folder")])
    settings_file = Path(settings_path) if settings_path else find_settings(input_dir)
    notes: list[str] = []
    ignored: tuple[str, ...] = ()
    if settings_file is None:
        settings = FleeSettings()
        notes.append("no simsetting.yml found: Flee 3.1's default settings are used")
    else:
        settings, ignored = read_settings(settings_file, problems)
        if not settings.conflict_zone_spawning_only:
            notes.append(f"{settings_file.name}: 'conflict_zone_spawning_only: false' has no "
                         "effect in Flee 3.1 (only conflict zones spawn people); the same here")
        if "max_crossing_speed" in settings.model_fields_set:
            notes.append(f"{settings_file.name}: 'max_crossing_speed' is read but never used by "
                         "Flee 3.1; ignored")
        for key in ignored:
            why = ("only controls Flee's logging" if key == "log_levels"
                   else "is not read by Flee 3.1")
            notes.append(f"{settings_file.name}: '{key}' {why}; ignored")
    period = read_period(input_dir, problems)
    locations = read_locations(input_dir / "locations.csv", problems)
    routes = read_routes(input_dir / "routes.csv", problems)
    closures = read_closures(input_dir / "closures.csv", problems)
    conflicts = read_conflicts(input_dir / "conflicts.csv", problems)
    corrections = read_registration_corrections(input_dir / "registration_corrections.csv",
                                                problems)
    validation = FleeValidation({}, validation_dir)
    if period is not None:
        validation = read_validation(validation_dir, period.start_date, problems, corrections)
    _cross_check(locations, routes, closures, conflicts, validation, period, problems, notes)
    if problems:
        raise ScenarioError(problems)
    assert period is not None
    return FleeScenario(input_dir, validation_dir, settings_file, settings, period,
                        tuple(locations), tuple(routes), tuple(closures), conflicts,
                        tuple(corrections), validation, tuple(notes), ignored)


def _cross_check(locations: list[FleeLocation], routes: list[FleeRoute],
                 closures: list[FleeClosure], conflicts: FleeConflicts | None,
                 validation: FleeValidation, period: FleePeriod | None,
                 problems: list[Problem], notes: list[str]) -> None:
    names = {loc.name for loc in locations}
    countries = {loc.country for loc in locations}
    pairs = set()
    for r in routes:
        for key, value in (("name1", r.name1), ("name2", r.name2)):
            if locations and value not in names:
                problems.append(Problem("routes.csv", r.row, key, f"'{value}' is not a location "
                                        "in locations.csv"))
        pairs.add((r.name1, r.name2))
        pairs.add((r.name2, r.name1))
    for c in closures:
        if c.closure_type == "country":
            for key, value in (("name1", c.name1), ("name2", c.name2)):
                if locations and value not in countries:
                    problems.append(Problem("closures.csv", c.row, key, f"'{value}' is not the "
                                            "country of any location in locations.csv"))
        else:
            for key, value in (("name1", c.name1), ("name2", c.name2)):
                needed = key == "name1" or c.closure_type in ("link", "remove_forced_redirection")
                if needed and locations and value not in names:
                    problems.append(Problem("closures.csv", c.row, key, f"'{value}' is not a "
                                            "location in locations.csv"))
            if (c.closure_type in ("link", "remove_forced_redirection")
                    and c.name1 in names and c.name2 in names
                    and (c.name1, c.name2) not in pairs):
                problems.append(Problem("closures.csv", c.row, "name2", f"there is no route "
                                        f"between '{c.name1}' and '{c.name2}' in routes.csv"))
        if c.closure_type == "location" and c.name2:
            notes.append(f"closures.csv row {c.row}: a location closure closes every route of "
                         f"'{c.name1}'; name2 ('{c.name2}') is not used")
    if conflicts is not None:
        for col, name in zip(conflicts.columns, conflicts.names, strict=True):
            if name in names:
                continue
            j = conflicts.names.index(name)
            if conflicts.days and conflicts.intensity[:, j].max() > 0:
                problems.append(Problem("conflicts.csv", 1, name, f"'{name}' (column {col + 1}) "
                                        "is not a location in locations.csv"))
            else:
                notes.append(f"conflicts.csv: column '{name}' is not a location; it never has a "
                             "conflict, so it is ignored")
        if period is not None and conflicts.days < period.length:
            problems.append(Problem("conflicts.csv", None, None, f"covers {conflicts.days} days "
                                    f"(0-{conflicts.days - 1}); the period lasts {period.length} "
                                    "days"))
    if validation.series:
        for loc in locations:
            if loc.is_camp and loc.name not in validation.series:
                problems.append(Problem("locations.csv", loc.row, "name", f"camp '{loc.name}' has "
                                        "no series in data_layout.csv; Flee needs one for every "
                                        "camp"))
