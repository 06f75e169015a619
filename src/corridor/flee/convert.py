"""Convert a Flee scenario (input folder, validation folder, settings) to a Corridor scenario."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from pathlib import Path

from corridor.errors import Problem, ScenarioError
from corridor.flee.compat import DEFAULT_COMPAT, differences
from corridor.flee.countries import country_code
from corridor.flee.extras import PRESENT
from corridor.flee.files import FleeLocation
from corridor.flee.scenario import FleeScenario, read_flee_scenario

POSITIVE = 1e-6  # Flee treats intensities above this as a conflict
READING = "reading: "  # prefix of the notes that list what the two readings treat differently


def slug(text: str) -> str:
    """Return a Corridor id for a name: lower-case ASCII letters, digits, `-`, `_`, `.`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9\-_.]+", "-", ascii_text.lower()).strip("-_.")
    return s or "place"


def place_ids(locations: tuple[FleeLocation, ...]) -> dict[str, str]:
    """Return a unique Corridor id for every Flee location name."""
    ids: dict[str, str] = {}
    used: set[str] = set()
    for loc in locations:
        base = slug(loc.name)
        candidate, k = base, 2
        while candidate in used:
            candidate, k = f"{base}-{k}", k + 1
        used.add(candidate)
        ids[loc.name] = candidate
    return ids


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Return a text cell that a spreadsheet would run as a formula with a leading `'`.

    Text starting with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
    LibreOffice and Google Sheets (CSV injection); a leading apostrophe makes it plain text
    there. Numbers (`-12.5`) are left as they are.
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    try:
        float(value)
        return value
    except ValueError:
        return "'" + value


def _csv(header: list[str], rows: list[list[object]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows([neutralise(c) for c in row] for row in rows)
    return buf.getvalue()


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_value(str(k))} = {_toml_value(v)}"
                               for k, v in value.items()) + "}"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def convert(fs: FleeScenario, name: str, countries: dict[str, str] | None = None,
            compat: str = DEFAULT_COMPAT) -> tuple[dict[str, str], list[str]]:
    """Turn a read Flee scenario into the files of a Corridor scenario.

    Args:
        fs: The Flee scenario (see `read_flee_scenario`).
        name: The Corridor scenario's name (an id).
        countries: Extra country name → ISO code pairs for names the built-in table lacks.
        compat: `"flee-3.1"` (Flee 3.1's code, the default) or `"documented"` (Flee's
            documentation), written as the `compat` parameter.

    Returns:
        File name → text, and notes for the person importing. Notes that start with
        `READING` name a setting or input that the two readings of `compat` treat
        differently.

    Raises:
        ScenarioError: For countries without an ISO code and coordinates out of range.
    """
    problems: list[Problem] = []
    notes = list(fs.notes) + [READING + d for d in differences(fs)]
    ids = place_ids(fs.locations)
    start = fs.period.start_date

    def day(d: int) -> dt.date:
        return start + dt.timedelta(days=d)

    codes: dict[str, str] = {}
    for loc in fs.locations:
        if loc.country in codes:
            continue
        code = "XX" if loc.country == "unknown" else country_code(loc.country, countries)
        if code is None:
            problems.append(Problem("locations.csv", loc.row, "country", f"'{loc.country}' has no "
                                    "known ISO 3166-1 code; give one with --country "
                                    f"'{loc.country}=XX'"))
            continue
        codes[loc.country] = code
    rows = []
    for loc in fs.locations:
        lat, lon = loc.lat or 0.0, loc.lon or 0.0
        if loc.lat is None or loc.lon is None:
            notes.append(f"locations.csv row {loc.row}: '{loc.name}' has no coordinates; 0 used")
        if not -90 <= lat <= 90:
            problems.append(Problem("locations.csv", loc.row, "latitude", f"{lat} is not a "
                                    "latitude (-90..90); are latitude and longitude swapped?"))
        if not -180 <= lon <= 180:
            problems.append(Problem("locations.csv", loc.row, "longitude", f"{lon} is not a "
                                    "longitude (-180..180)"))
        capacity = loc.population if loc.is_camp and loc.population > 0 else ""
        population = "" if loc.is_camp else loc.population
        rows.append([ids[loc.name], loc.name, codes.get(loc.country, "XX"), loc.initial_kind,
                     _number(lat), _number(lon), capacity, loc.region, population])
    if problems:
        raise ScenarioError(problems)
    files: dict[str, str] = {}
    files["places.csv"] = _csv(["id", "name", "country", "kind", "lat", "lon", "capacity",
                                "region", "population"], rows)
    seen: set[tuple[str, str]] = set()
    route_rows = []
    for r in fs.routes:
        key = tuple(sorted((r.name1, r.name2)))
        if key in seen:
            notes.append(f"routes.csv row {r.row}: a second route between '{r.name1}' and "
                         f"'{r.name2}' is dropped (Flee would add a parallel link)")
            continue
        seen.add(key)
        route_rows.append([ids[r.name1], ids[r.name2], _number(r.distance), r.forced_redirection])
        if r.attributes:
            notes.append(f"routes.csv row {r.row}: link attributes {sorted(r.attributes)} are "
                         "not carried over")
    files["routes.csv"] = _csv(["from", "to", "distance_km", "forced_redirection"], route_rows)
    files["conflicts.csv"] = _csv(["date", "place", "intensity"], _conflict_rows(fs, ids, day))
    files["closures.csv"] = _csv(["type", "name1", "name2", "start_date", "end_date"],
                                 _closure_rows(fs, ids, codes, day, notes))
    total = fs.validation.total
    files["totals.csv"] = _csv(["date", "count"], [
        [day(int(d)).isoformat(), _number(c)] for d, c in zip(total.days, total.counts,
                                                               strict=True)])
    obs = []
    camp_names = {loc.name for loc in fs.camps}
    for series_name, series in fs.validation.camps.items():
        if series_name not in camp_names:
            notes.append(f"data_layout.csv: '{series_name}' is not a camp; Flee does not use it")
            continue
        for d, c in zip(series.days, series.counts, strict=True):
            date = day(int(d)).isoformat()
            obs.append([date, date, ids[series_name], PRESENT, _number(c),
                        ";".join(series.files)])
    files["observations.csv"] = _csv(["period_start", "period_end", "place", "kind", "value",
                                      "source"], obs)
    files["scenario.toml"] = _scenario_toml(fs, name, ids, compat)
    files["README.md"] = _readme(fs, name, notes)
    return files, notes


def _conflict_rows(fs: FleeScenario, ids: dict[str, str], day) -> list[list[object]]:
    rows: list[list[object]] = []
    for loc in fs.locations:
        if loc.initial_kind == "conflict_zone":
            intensity = float(loc.attributes.get("conflict_intensity", 1.0))
            rows.append([day(-1).isoformat(), ids[loc.name], _number(intensity)])
    if fs.conflicts is not None:
        m = fs.conflicts.intensity
        for j, name in enumerate(fs.conflicts.names):
            if name not in ids:
                continue
            for d in range(m.shape[0]):
                value = float(m[d, j])
                changed = value > POSITIVE if d == 0 else value != float(m[d - 1, j])
                if changed:
                    rows.append([day(d).isoformat(), ids[name], _number(value)])
    else:
        for loc in fs.locations:
            if loc.kind == "conflict_zone" and (loc.conflict_date or 0) > 0:
                intensity = float(loc.attributes.get("conflict_intensity", 1.0))
                rows.append([day(loc.conflict_date).isoformat(), ids[loc.name],
                             _number(intensity)])
    rows.sort(key=lambda r: str(r[0]))
    return rows


def _closure_rows(fs: FleeScenario, ids: dict[str, str], codes: dict[str, str], day,
                  notes: list[str]) -> list[list[object]]:
    rows: list[list[object]] = []
    for c in fs.closures:
        if c.end == c.start:
            notes.append(f"closures.csv row {c.row}: starts and ends on day {c.start}, so it "
                         "has no effect; dropped")
            continue
        end = "" if c.end < 0 or c.end < c.start else day(c.end).isoformat()
        if c.closure_type == "country":
            names = [codes[c.name1], codes[c.name2]]
        else:
            names = [ids[c.name1], ids.get(c.name2, "")]
        rows.append([c.closure_type, *names, day(c.start).isoformat(), end])
    return rows


def _scenario_toml(fs: FleeScenario, name: str, ids: dict[str, str], compat: str) -> str:
    lines = [
        "# Converted from a Flee scenario by `corridor import-flee`; see README.md.",
        f'name = "{name}"',
        "description = " + _toml_value(f"Flee scenario {name} (imported from "
                                       f"{fs.input_dir.name}/ and {fs.validation_dir.name}/)"),
        f'start_date = "{fs.period.start_date.isoformat()}"',
        f"days = {fs.period.length}",
        "seed = 0",
        'model = "flee"',
        "",
        "[parameters]  # Flee's settings under their simsetting.yml names "
        "(docs/flee-compatibility.md)",
    ]
    params = fs.settings.as_parameters()
    params["compat"] = compat
    params["deactivation_probability"] = {
        ids[loc.name]: float(loc.attributes["deactivation_probability"])
        for loc in fs.locations if "deactivation_probability" in loc.attributes}
    for key, value in params.items():
        lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def _readme(fs: FleeScenario, name: str, notes: list[str]) -> str:
    lines = [f"# {name}", "", "Converted from a Flee scenario by `corridor import-flee`:", "",
             f"- input: `{fs.input_dir}`", f"- validation: `{fs.validation_dir}`",
             f"- settings: `{fs.settings_path}`", "",
             "Camp counts (after registration corrections) are in `observations.csv` (kind "
             "`present`), the UNHCR total in `totals.csv`, conflicts in `conflicts.csv` (rows "
             "before the start date give the initial conflict zones), closures in "
             "`closures.csv`. See docs/flee-compatibility.md.", ""]
    if notes:
        lines += ["## Notes from the conversion", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(lines)


def import_flee(input_dir: str | Path, validation_dir: str | Path, out: str | Path,
                settings: str | Path | None = None, name: str | None = None,
                countries: dict[str, str] | None = None, compat: str = DEFAULT_COMPAT,
                overwrite: bool = False) -> tuple[Path, list[str]]:
    """Read a Flee scenario and write it as a Corridor scenario folder, as one unit.

    Args:
        input_dir: Flee's input folder.
        validation_dir: Flee's validation folder.
        out: The folder to write: built under a hidden sibling and renamed into place (see
            `corridor.io.rundir`); an earlier scenario there is replaced only with `overwrite`,
            a folder that is not a scenario never.
        settings: The `simsetting.yml` (default: looked for beside the input folder).
        name: Scenario name (default: from the folder above the input folder).
        countries: Extra country name → ISO code pairs.
        compat: `"flee-3.1"` (default) or `"documented"` (see `convert`).
        overwrite: Whether a scenario already in `out` may be replaced.

    Returns:
        The folder written, and the notes of the conversion.

    Raises:
        ScenarioError: With every problem found in the Flee files.
        OutputFolderError: `out` may not be written, or writing failed.
    """
    from corridor.io.atomic import write_text
    from corridor.io.rundir import building

    fs = read_flee_scenario(input_dir, validation_dir, settings)
    if name is None:
        base = Path(input_dir).resolve()
        name = slug(base.parent.name if base.name in ("input", "input_csv") else base.name)
    files, notes = convert(fs, name, countries, compat)
    folder = Path(out)
    with building(folder, overwrite, "scenario",
                  lambda path: (Path(path) / "scenario.toml").is_file()) as stage:
        for file_name, text in files.items():
            write_text(stage / file_name, text)
    return folder, notes


def is_flee_input(folder: str | Path) -> bool:
    """Whether a folder looks like a Flee input folder (and not a Corridor scenario)."""
    path = Path(folder)
    return (path.is_dir() and (path / "locations.csv").is_file()
            and not (path / "scenario.toml").is_file())


def find_validation(input_dir: str | Path) -> Path | None:
    """Return the validation folder beside a Flee input folder, if there is one."""
    base = Path(input_dir).resolve().parent
    for name in ("validation", "source_data", "validation_data"):
        if (base / name / "data_layout.csv").is_file():
            return base / name
    return None


def load_flee(input_dir: str | Path, validation_dir: str | Path | None = None,
              settings: str | Path | None = None, overrides: list[str] | None = None,
              countries: dict[str, str] | None = None):
    """Convert a Flee scenario in memory and load it as a Corridor scenario.

    Args:
        input_dir: Flee's input folder.
        validation_dir: Flee's validation folder (default: `validation/` or `source_data/`
            beside the input folder).
        settings: The `simsetting.yml` (default: beside the input folder).
        overrides: `NAME=VALUE` settings, as with `corridor run --set`.
        countries: Extra country name → ISO code pairs.

    Returns:
        The validated `corridor.scenario.model.Scenario`.

    Raises:
        ScenarioError: For problems in the Flee files or the overrides.
    """
    import tempfile

    from corridor.scenario import load_scenario

    if validation_dir is None:
        validation_dir = find_validation(input_dir)
        if validation_dir is None:
            raise ScenarioError([Problem(str(input_dir), None, None, "no validation folder "
                                         "(with data_layout.csv) beside it; give one with "
                                         "--flee-validation")])
    with tempfile.TemporaryDirectory(prefix="corridor-flee-") as tmp:
        folder, _ = import_flee(input_dir, validation_dir, Path(tmp) / "scenario", settings,
                                countries=countries)
        return load_scenario(folder, overrides).replace(path=None)
