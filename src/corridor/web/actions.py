"""What each control of the page does, as plain functions of plain values.

The Dash callbacks (`corridor.web.app`) are thin wrappers around these, so each action can be
tested by calling it (tests/test_web_actions.py). Errors a person can act on come back as
messages (`ActionError`), never as a traceback.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from typing import Any

from corridor.errors import CorridorError, ScenarioError
from corridor.web.fields import FieldSpec, parameter_fields, rule_fields
from corridor.web.runs import RunEntry, Workspace
from corridor.web.whatif import WhatIf


@dataclass
class ActionError(Exception):
    """A message for the page: a sentence and, for a scenario, its problems as table rows."""

    message: str
    problems: list[dict[str, Any]] | None = None

    def __str__(self) -> str:
        return self.message


def user_error(err: CorridorError) -> ActionError:
    """Turn a Corridor error into a page message (file, row, field of each problem)."""
    if isinstance(err, ScenarioError):
        rows = [{"file": p.file, "row": "" if p.row is None else p.row, "field": p.field or "",
                 "problem": p.message} for p in err.problems]
        n = len(rows)
        return ActionError(f"{n} problem{'s' if n != 1 else ''} found", rows)
    return ActionError(str(err))


def rule_options(ws: Workspace, key: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Checklist options (one per rule, with its dates) and the ids enabled in the scenario."""
    scenario = ws.scenario(key)
    options = []
    for rule in scenario.rules:
        start = rule.start.isoformat() if rule.start else "always"
        end = rule.end.isoformat() if rule.end else "open-ended"
        paper = "" if rule.applied else " [never applied]"
        options.append({"label": f" {rule.id} — {rule.title} ({start} → {end}){paper}",
                        "value": rule.id})
    return options, [r.id for r in scenario.rules if r.enabled]


def from_url(ws: Workspace, search: str | None, default: str) -> WhatIf:
    """The what-if a URL holds; an unknown scenario or bad setting is an `ActionError`."""
    try:
        whatif = WhatIf.from_query(search, default)
        ws.scenario(whatif.scenario)
    except CorridorError as err:
        raise user_error(err) from None
    return whatif


def edit(ws: Workspace, key: str, seed: Any, enabled: list[str] | None,
         numbers: dict[str, Any], dates: dict[str, Any], previous: WhatIf | None) -> WhatIf:
    """The what-if after an edit of the controls.

    Args:
        ws: The workspace.
        key: The chosen scenario.
        seed: The seed box (empty: the scenario's seed).
        enabled: Ids of the rules switched on.
        numbers: Number boxes on the page, by setting name.
        dates: Date boxes on the page, by setting name (`rules.<id>.start`/`end`).
        previous: The what-if before the edit (its other settings are kept when the scenario
            is the same).
    """
    scenario = ws.scenario(key)
    settings: dict[str, Any] = {}
    if previous is not None and previous.scenario == key:
        settings = dict(previous.settings)
    if enabled is not None:
        on = set(enabled)
        for rule in scenario.rules:
            name = f"rules.{rule.id}.enabled"
            settings.pop(name, None)
            if (rule.id in on) != rule.enabled:
                settings[name] = rule.id in on
    specs = {f.name: f for f in all_fields(scenario)}
    for name, value in numbers.items():
        spec = specs.get(name)
        settings.pop(name, None)
        if spec is not None and value != spec.value and not (value in ("", None)
                                                              and spec.value is None):
            settings[name] = value
    rules = {r.id: r for r in scenario.rules}
    for name, value in dates.items():
        _, rule_id, which = name.split(".", 2)
        rule = rules.get(rule_id)
        settings.pop(name, None)
        if rule is None:
            continue
        current = getattr(rule, which)
        text = (value or "").strip() or None
        if text != (current.isoformat() if current else None):
            settings[name] = text
    if seed in ("", None):
        seed = None
    return WhatIf(key, None if seed is None else _whole(seed), settings)


def _whole(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ActionError(f"seed {value!r} is not a whole number") from None
    if number < 0 or number != float(value):
        raise ActionError(f"seed {value!r} should be a whole number ≥ 0")
    return number


def all_fields(scenario: Any) -> list[FieldSpec]:
    """Every number the page edits: parameters, then each rule's."""
    out = parameter_fields(scenario.parameters)
    for rule in scenario.rules:
        out += rule_fields(rule)
    return out


def baseline_of(whatif: WhatIf) -> WhatIf:
    """The baseline of a what-if: same scenario and seed, no settings."""
    return WhatIf(whatif.scenario, whatif.seed)


def run_pair(ws: Workspace, whatif: WhatIf, client: str) -> tuple[RunEntry, RunEntry]:
    """Run (or fetch) the baseline and the what-if."""
    try:
        base = ws.run(baseline_of(whatif), client)
        what = ws.run(whatif, client)
    except CorridorError as err:
        raise user_error(err) from None
    return base, what


def entry(ws: Workspace, key: str | None) -> RunEntry:
    """A kept run by its key (a key the page got from the server, never a path)."""
    found = ws.runs.get(key or "")
    if found is None:
        raise ActionError("that run is no longer kept by the server; run it again")
    return found


def zip_folder(folder: Any, only: tuple[str, ...] | None = None) -> bytes:
    """Zip the files of a folder (recursively), or only those with the given suffixes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink() and (only is None or
                                                              path.suffix in only):
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def run_parquet(ws: Workspace, key: str | None) -> bytes:
    """The run's tables as Parquet, with summary.json and run.json, zipped."""
    return zip_folder(entry(ws, key).folder, (".parquet", ".json"))


def run_csv(ws: Workspace, key: str | None) -> bytes:
    """The run's tables as CSV (and its JSON files), zipped."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    folder = entry(ws, key).folder
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.glob("*.parquet")):
            out = io.BytesIO()
            pacsv.write_csv(pq.read_table(path), out)
            archive.writestr(f"{path.stem}.csv", out.getvalue())
        for path in sorted(folder.glob("*.json")):
            archive.write(path, path.name)
    return buffer.getvalue()


def scenario_zip(ws: Workspace, key: str | None) -> bytes:
    """The what-if's scenario folder (settings written into its files), zipped."""
    return zip_folder(entry(ws, key).folder / "scenario")


def report_html(ws: Workspace, base_key: str | None, what_key: str | None) -> bytes:
    """The HTML report of the what-if against the baseline (the report's compare mode)."""
    import tempfile
    from pathlib import Path

    from corridor.report import write_report

    base, what = entry(ws, base_key), entry(ws, what_key)
    with tempfile.TemporaryDirectory(prefix="corridor-report-") as tmp:
        import shutil

        mine, other = Path(tmp) / "what-if", Path(tmp) / "baseline"  # names the runs
        shutil.copytree(what.folder, mine)
        shutil.copytree(base.folder, other)
        out = write_report(mine, compare=other, out=Path(tmp) / "report.html")
        return out.read_bytes()


def explain_rows(ws: Workspace, key: str | None, route: str, date: str | None,
                 nationality: str) -> tuple[list[dict[str, Any]], str]:
    """Explain one person on a route in the what-if's scenario: journey rows and a summary."""
    from corridor.analysis.explain import explain

    run = entry(ws, key)
    scenario = run.scenario
    try:
        day = dt.date.fromisoformat((date or "").strip())
    except ValueError:
        raise ActionError(f"date {date!r} is not a date (YYYY-MM-DD)") from None
    code = (nationality or "").strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise ActionError(f"nationality {nationality!r} is not a two-letter country code")
    if not (route or "").strip():
        raise ActionError("give a route: places in order, separated by '>'")
    try:
        result = explain(scenario, route, day, code, {}, seed=0)
    except CorridorError as err:
        raise user_error(err) from None
    events: dict[int, list[str]] = {}
    for e in result.events:
        chance = f" (chance {e.chance:.2f})" if e.chance is not None else ""
        events.setdefault(e.day, []).append(f"{e.rule} at {e.place}: {e.event}{chance}: "
                                            f"{e.outcome}")
    rows = [{"day": s["day"], "date": str(s["date"]), "where": s["position"],
             "state": s["state"], "rules met": "; ".join(events.get(s["day"], []))}
            for s in result.journey]
    summary = (f"One person of nationality {code} leaving {result.route[0]} on {day}: "
               f"ends {result.final_state} at {result.final_place}.")
    return rows, summary
