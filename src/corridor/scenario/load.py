"""Loading a scenario folder (or a built-in scenario by name) with full validation."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from corridor.errors import Problem, ScenarioError
from corridor.scenario.csvfile import read_rows, records
from corridor.scenario.model import (
    MAX_PEOPLE,
    DepartureRow,
    ObservationRow,
    PlaceRow,
    RouteRow,
    Scenario,
    ScenarioConfig,
)
from corridor.scenario.textfile import read_text

SCENARIO_FILES = (
    "scenario.toml",
    "places.csv",
    "routes.csv",
    "departures.csv",
    "rules.toml",
    "observations.csv",
)


def builtin_dir() -> Path:
    """Return the folder holding the built-in scenarios."""
    return Path(str(resources.files("corridor") / "scenarios"))


def builtin_names() -> list[str]:
    """Return the names of the built-in scenarios."""
    root = builtin_dir()
    return sorted(p.name for p in root.iterdir() if (p / "scenario.toml").is_file())


def resolve(source: str | Path) -> Path:
    """Resolve a scenario argument: a folder path, or the name of a built-in scenario.

    Raises:
        ScenarioError: When it is neither.
    """
    path = Path(source)
    try:
        if path.is_dir():
            return path
        candidate = builtin_dir() / str(source)
        if (candidate / "scenario.toml").is_file():
            return candidate
    except OSError as err:  # e.g. a name longer than the file system allows
        raise ScenarioError([Problem(str(source)[:80], None, None, f"is not a usable folder "
                                     f"name ({err.strerror}); give a scenario folder or a "
                                     f"built-in name")]) from None
    names = ", ".join(builtin_names()) or "none"
    raise ScenarioError(
        [Problem(str(source), None, None, f"no such folder and no built-in scenario of that "
                 f"name (built-in: {names})")]
    )


def load_scenario(source: str | Path, settings: list[str] | None = None) -> Scenario:
    """Load and validate a scenario folder or built-in scenario.

    Args:
        source: A folder, or the name of a built-in scenario (e.g. "caravan-2020").
        settings: Optional `NAME=VALUE` overrides, as with `corridor run --set`.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: With every problem found, each naming file, row and field.
    """
    folder = resolve(source)
    problems: list[Problem] = []
    files: dict[str, str] = {}
    for name in SCENARIO_FILES:
        p = folder / name
        if p.exists() or p.is_symlink():
            text = read_text(p, name, problems, folder)
            if text is not None:
                files[name] = text
    for required in ("scenario.toml", "places.csv", "routes.csv"):
        if required not in files and not any(p.file == required for p in problems):
            problems.append(Problem(required, None, None, f"missing from {folder}"))
    config = _read_config(files.get("scenario.toml"), problems)
    if config is None or problems:
        raise ScenarioError(problems)
    from corridor.engine.models import model_class

    model = model_class(config.model)
    extras = model.load_extras(folder, files, problems)

    place_pairs = read_rows(files["places.csv"], "places.csv", PlaceRow,
                                      required=("id", "name", "country", "kind", "lat", "lon"),
                                      optional=("capacity", "region", "population",
                                                "attractiveness", "danger"),
                                      problems=problems)
    places = [r for _, r in place_pairs]
    _check_places(place_pairs, problems)
    place_rows = _declared_ids(files["places.csv"])
    routes = read_rows(files["routes.csv"], "routes.csv", RouteRow,
                       required=("from", "to", "distance_km"),
                       optional=("mode", "two_way", "forced_redirection"), problems=problems)
    _check_routes(routes, place_rows, problems)
    if not routes and not any(p.file == "routes.csv" for p in problems):
        problems.append(Problem("routes.csv", None, None, "has no routes; people cannot move "
                                "between places"))
    departures: list[tuple[int, DepartureRow]] = []
    if "departures.csv" in files:
        departures = read_rows(files["departures.csv"], "departures.csv", DepartureRow,
                               required=("date", "origin", "count"), optional=("nationality",),
                               allow_extra=True, problems=problems)
        _check_departures(departures, place_rows, [r for _, r in routes], config, problems)
    elif model.needs_departures:
        problems.append(Problem("departures.csv", None, None,
                                f"missing; the '{config.model}' model needs departures"))
    observations: list[tuple[int, ObservationRow]] = []
    if "observations.csv" in files:
        observations = read_rows(files["observations.csv"], "observations.csv", ObservationRow,
                                 required=("period_start", "period_end", "place", "kind", "value"),
                                 optional=("low", "high", "cohort", "fitted"),
                                 problems=problems)
        for number, obs in observations:
            if obs.period_end < obs.period_start:
                problems.append(Problem("observations.csv", number, "period_end",
                                        "is before period_start"))
    if problems:
        raise ScenarioError(problems)
    scenario = Scenario(
        config=config,
        places=tuple(places),
        routes=tuple(r for _, r in routes),
        departures=tuple(r for _, r in departures),
        departure_rows=tuple(n for n, _ in departures),
        observations=tuple(r for _, r in observations),
        files=files,
        path=folder,
        extras=extras,
    )
    scenario = _with_rules(scenario, problems)
    from corridor.analysis.measures import check_observations

    check_observations(scenario, observations)  # every observation maps to a place and a count
    if settings:
        from corridor.scenario.settings import apply_settings

        scenario = apply_settings(scenario, settings)
    return finalize(scenario)


def finalize(scenario: Scenario) -> Scenario:
    """Validate the model parameters (after any overrides) and attach them to the scenario.

    Raises:
        ScenarioError: When a parameter is unknown or out of range.
    """
    from corridor.engine.models import model_class

    model = model_class(scenario.config.model)
    try:
        params = model.parameters_type.model_validate(scenario.config.parameters)
    except ValidationError as err:
        raise ScenarioError(
            [Problem("scenario.toml", None, "parameters." + ".".join(str(x) for x in e["loc"]),
                     e["msg"]) for e in err.errors()]
        ) from None
    problems: list[Problem] = []
    _check_run_period(scenario, problems)
    model.check(scenario, params, problems)
    if problems:
        raise ScenarioError(problems)
    return scenario.replace(parameters=params)


def departures_outside(scenario: Scenario) -> tuple[list[tuple[int | None, DepartureRow]],
                                                    list[tuple[int | None, DepartureRow]]]:
    """Return the departures (row, departure) dated before the run and those after its end."""
    cfg = scenario.config
    rows: tuple[int | None, ...] = scenario.departure_rows
    if len(rows) != len(scenario.departures):
        rows = (None,) * len(scenario.departures)
    pairs = list(zip(rows, scenario.departures, strict=True))
    early = [(n, d) for n, d in pairs if d.date < cfg.start_date]
    late = [(n, d) for n, d in pairs if d.date > cfg.end_date]
    return early, late


def describe_departures(pairs: list[tuple[int | None, DepartureRow]]) -> str:
    """Describe some departures for a message: how many, which rows, people and dates."""
    numbers = [n for n, _ in pairs if n is not None]
    rows = ""
    if numbers:
        shown = ", ".join(str(n) for n in numbers[:5]) + (", …" if len(numbers) > 5 else "")
        rows = f"departures.csv row{'s' if len(numbers) > 1 else ''} {shown}; "
    people = sum(d.count for _, d in pairs)
    first, last = min(d.date for _, d in pairs), max(d.date for _, d in pairs)
    dates = str(first) if first == last else f"{first} to {last}"
    return (f"{len(pairs)} departure{'s' if len(pairs) > 1 else ''} ({rows}{people:,} people, "
            f"{dates})")


def _check_run_period(scenario: Scenario, problems: list[Problem]) -> None:
    """Every departure must fall inside the run (after `--set start_date` / `days` too)."""
    cfg = scenario.config
    early, late = departures_outside(scenario)
    first_row = next((n for n, _ in early + late if n is not None), None)
    if early:
        problems.append(Problem("departures.csv", first_row, "date", f"{describe_departures(early)}"
                                f" fall before the start of the run ({cfg.start_date}); move "
                                "start_date back or remove them"))
    if late and not cfg.drop_late_departures:
        problems.append(Problem("departures.csv", first_row, "date", f"{describe_departures(late)}"
                                f" fall after the end of the run ({cfg.end_date}); lengthen the "
                                "run (days), or leave them out with --days N on the command line "
                                "or drop_late_departures = true"))


def _with_rules(scenario: Scenario, problems: list[Problem]) -> Scenario:
    text = scenario.files.get("rules.toml")
    if text is None:
        return scenario
    from corridor.rules.load import parse_rules

    rules = parse_rules(text, scenario, problems)
    if problems:
        raise ScenarioError(problems)
    return scenario.replace(rules=tuple(rules))


def _read_config(text: str | None, problems: list[Problem]) -> ScenarioConfig | None:
    if text is None:
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        problems.append(Problem("scenario.toml", None, None, f"is not valid TOML: {err}"))
        return None
    try:
        return ScenarioConfig.model_validate(data)
    except ValidationError as err:
        for e in err.errors():
            field = ".".join(str(x) for x in e["loc"])
            msg = e["msg"]
            if e["type"] == "extra_forbidden":
                msg = "unknown key; expected one of " + ", ".join(ScenarioConfig.model_fields)
            problems.append(Problem("scenario.toml", None, field, msg))
        return None


def _declared_ids(text: str) -> dict[str, int]:
    """Return every id written in places.csv (valid row or not) → row number.

    Cross-file checks use these, so one broken place row is reported once, not again by every
    route that names the place.
    """
    ids: dict[str, int] = {}
    column = None
    for number, cells in records(text, "places.csv", []):
        if column is None:
            names = [c.strip() for c in cells]
            if "id" not in names:
                return ids
            column = names.index("id")
            continue
        pid = cells[column].strip() if column < len(cells) else ""
        if pid and not pid.startswith("#"):
            ids.setdefault(pid, number)
    return ids


def _check_places(places: list[tuple[int, PlaceRow]], problems: list[Problem]) -> None:
    """Check place ids and names are unique."""
    rows: dict[str, int] = {}
    names: dict[str, int] = {}
    for number, place in places:
        if place.id in rows:
            problems.append(Problem("places.csv", number, "id",
                                    f"duplicate id '{place.id}' (first at row {rows[place.id]})"))
        rows.setdefault(place.id, number)
        if place.name in names:
            problems.append(Problem("places.csv", number, "name",
                                    f"duplicate name '{place.name}' (first at row "
                                    f"{names[place.name]})"))
        names.setdefault(place.name, number)
    if not places and not any(p.file == "places.csv" for p in problems):
        problems.append(Problem("places.csv", None, None, "has no places"))


def _check_routes(routes: list[tuple[int, RouteRow]], places: dict[str, int],
                  problems: list[Problem]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for number, route in routes:
        for field, value in (("from", route.from_), ("to", route.to)):
            if value not in places:
                problems.append(Problem("routes.csv", number, field,
                                        f"unknown place '{value}'; it must be an id in places.csv"))
        if route.from_ == route.to:
            problems.append(Problem("routes.csv", number, "to", "a route must join two places"))
        key = tuple(sorted((route.from_, route.to))) if route.two_way else (route.from_, route.to)
        if key in seen:
            problems.append(Problem("routes.csv", number, None,
                                    f"duplicate route {route.from_}–{route.to} (first at row "
                                    f"{seen[key]})"))
        seen.setdefault(key, number)


def _check_departures(departures: list[tuple[int, DepartureRow]], places: dict[str, int],
                      routes: list[RouteRow], config: ScenarioConfig,
                      problems: list[Problem]) -> None:
    out: dict[str, set[str]] = {}
    for r in routes:
        out.setdefault(r.from_, set()).add(r.to)
        if r.two_way:
            out.setdefault(r.to, set()).add(r.from_)
    reach_cache: dict[str, bool] = {}
    total = sum(dep.count for _, dep in departures)
    if total > MAX_PEOPLE:
        problems.append(Problem("departures.csv", None, "count", f"the departures add up to "
                                f"{total:,} people; at most {MAX_PEOPLE:,} fit the engine's "
                                "32-bit counts"))
    for number, dep in departures:
        if dep.origin not in places:
            problems.append(Problem("departures.csv", number, "origin",
                                    f"unknown place '{dep.origin}'; it must be an id in "
                                    f"places.csv"))
            continue
        day = (dep.date - config.start_date).days
        if day < 0 or (day >= config.days and not config.drop_late_departures):
            problems.append(Problem("departures.csv", number, "date",
                                    f"{dep.date} is outside the run ({config.start_date} to "
                                    f"{config.end_date})"))
        if dep.origin not in reach_cache:
            reach_cache[dep.origin] = _reaches_another(dep.origin, out)
        if not reach_cache[dep.origin]:
            problems.append(Problem("departures.csv", number, "origin",
                                    f"'{dep.origin}' has departures but no route leads anywhere "
                                    f"from it"))


def _reaches_another(origin: str, out: dict[str, set[str]]) -> bool:
    return bool(out.get(origin, set()) - {origin})


def read_toml(text: str, file: str, problems: list[Problem]) -> dict[str, Any]:
    """Parse TOML text, recording a problem (not raising) when it is invalid."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        problems.append(Problem(file, None, None, f"is not valid TOML: {err}"))
        return {}
