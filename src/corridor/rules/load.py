"""Reading `rules.toml`: every rule validated, every problem named by rule id and field."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from corridor.errors import Problem, ScenarioError
from corridor.scenario.csvfile import shorten

if TYPE_CHECKING:
    from corridor.rules.base import Rule
    from corridor.scenario.model import Scenario

FILE = "rules.toml"


def _adapter() -> TypeAdapter:
    from corridor.rules.kinds import AnyRule

    return TypeAdapter(AnyRule)


def parse_rules(text: str, scenario: Scenario | None, problems: list[Problem]) -> list[Rule]:
    """Parse and validate the rules of a `rules.toml` text.

    The file holds `[[rule]]` tables. Problems (unknown kind, bad field, unknown place, duplicate
    id) are appended to `problems`, each naming the rule (by id and position) and the field.
    """
    from corridor.rules.kinds import KINDS

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        problems.append(Problem(FILE, None, None, f"is not valid TOML: {err}"))
        return []
    unknown = set(data) - {"rule"}
    for key in sorted(unknown):
        problems.append(Problem(FILE, None, key, "unknown top-level key; rules are [[rule]] "
                                                 "tables"))
    entries = data.get("rule", [])
    if not isinstance(entries, list):
        problems.append(Problem(FILE, None, "rule", "must be an array of tables ([[rule]])"))
        return []
    adapter = _adapter()
    rules: list[Rule] = []
    labels: list[str] = []
    seen: dict[str, int] = {}
    for n, entry in enumerate(entries, start=1):
        label = f"rule {n}" + (f" ({shorten(entry.get('id'))})" if isinstance(entry, dict)
                               and entry.get("id") else "")
        if not isinstance(entry, dict):
            problems.append(Problem(FILE, None, label, "must be a table"))
            continue
        rule_id = entry.get("id")
        if isinstance(rule_id, str):
            if "." in rule_id:
                problems.append(Problem(FILE, None, f"{label}.id", f"{shorten(rule_id)!r} "
                                        "contains '.'; rule ids are lower-case letters, digits, "
                                        "'-' and '_' (--without and --set rules.<id>.<field> "
                                        "could not address it)"))
                continue
            if rule_id in seen:
                problems.append(Problem(FILE, None, f"{label}.id",
                                        f"duplicate id {shorten(repr(rule_id))} "
                                                                   f"(first in rule "
                                                                   f"{seen[rule_id]})"))
            seen.setdefault(rule_id, n)
        kind = entry.get("kind")
        if not isinstance(kind, str) or kind not in KINDS:
            problems.append(Problem(FILE, None, f"{label}.kind",
                                    f"unknown kind {shorten(repr(kind))}; expected one of "
                                    f"{', '.join(KINDS)}"))
            continue
        try:
            rule = adapter.validate_python(entry)
        except ValidationError as err:
            for e in err.errors():
                loc = [str(x) for x in e["loc"] if str(x) != kind]
                field = ".".join(loc)
                msg = e["msg"]
                if e["type"] == "extra_forbidden":
                    msg = (f"unknown field for a {kind} rule; expected one of "
                           f"{', '.join(KINDS[kind].model_fields)}")
                problems.append(Problem(FILE, None, f"{label}.{field}" if field else label, msg))
            continue
        if scenario is not None:
            _check_places(rule, label, scenario, problems)
        rules.append(rule)
        labels.append(label)
    if scenario is not None:  # with the scenario: the rules as a whole (a lone example is not)
        _check_reviews(rules, labels, problems)
    return rules


def _check_reviews(rules: list[Rule], labels: list[str], problems: list[Problem]) -> None:
    """A `case_review` reviews people detained at its places: each must be such a station."""
    stations = {r.place for r in rules if r.kind == "detention"}
    stations |= {r.detain_at for r in rules if getattr(r, "detain_at", None)}
    for rule, label in zip(rules, labels, strict=True):
        if rule.kind != "case_review":
            continue
        for place in rule.places_:
            if place not in stations:
                problems.append(Problem(
                    FILE, None, f"{label}.places",
                    f"nobody is ever detained at {place!r}, so a case_review there would do "
                    "nothing: it reviews the cases of people detained at its places (a "
                    "`detention` rule's place, or the `detain_at` of a control, checkpoint or "
                    "transit_permit rule); list such a station"))


def _check_places(rule: Rule, label: str, scenario: Scenario, problems: list[Problem]) -> None:
    ids = {p.id for p in scenario.places}
    for place in rule.places():
        if place not in ids:
            problems.append(Problem(FILE, None, label, f"unknown place {shorten(repr(place))}; "
                                    "it must be an "
                                                       f"id in places.csv"))
    for field in ("detain_at",):
        outcome = getattr(rule, "on_stop", None) or getattr(rule, "on_intercept", None)
        wants = outcome == "detain" or getattr(rule, "then", None) == "detain"
        if wants and getattr(rule, field, None) is None:
            problems.append(Problem(FILE, None, f"{label}.{field}",
                                    "is required when people are detained"))
    regions = getattr(rule, "regions", None)
    if regions:
        known = {p.region for p in scenario.places}
        for region in regions:
            if region not in known:
                problems.append(Problem(FILE, None, f"{label}.regions",
                                        f"unknown region {shorten(repr(region))}; regions "
                                        "come from the "
                                        f"region column of places.csv"))


def load_rules(path: str | Path, scenario: Scenario | None = None) -> list[Rule]:
    """Read a `rules.toml` file (optionally checking places against a scenario).

    Raises:
        ScenarioError: With every problem found.
    """
    problems: list[Problem] = []
    from corridor.scenario.textfile import read_text

    text = read_text(Path(path), FILE, problems)
    rules = parse_rules(text, scenario, problems) if text is not None else []
    if problems:
        raise ScenarioError(problems)
    return rules


def change_rules(rules: tuple[Any, ...], changes: list[tuple[str, str, Any]],
                 problems: list[Problem]) -> list[Rule]:
    """Apply `rules.<id>.<field>=VALUE` changes, re-validating each changed rule."""
    by_id = {r.id: r for r in rules}
    adapter = _adapter()
    for rule_id, field, value in changes:
        rule = by_id.get(rule_id)
        if rule is None:
            problems.append(Problem("--set", None, f"rules.{rule_id}",
                                    f"no rule {shorten(repr(rule_id))}; rule ids: "
                                    f"{', '.join(by_id) or 'none'}"))
            continue
        data = rule.model_dump(by_alias=True)
        target = data
        *path, last = field.split(".")
        for key in path:
            target = target.setdefault(key, {}) if isinstance(target, dict) else None
        if not isinstance(target, dict) or (last not in target and not path):
            problems.append(Problem("--set", None, f"rules.{rule_id}.{field}",
                                    f"a {rule.kind} rule has no field {field!r}; its fields: "
                                    f"{', '.join(data)}"))
            continue
        if field == "id":
            problems.append(Problem("--set", None, f"rules.{rule_id}.id", "a rule's id cannot "
                                    "be changed with --set"))
            continue
        target[last] = value
        try:
            by_id[rule_id] = adapter.validate_python(data)
        except ValidationError as err:
            problems.extend(Problem("--set", None, f"rules.{rule_id}.{field}", e["msg"])
                            for e in err.errors())
    return [by_id[r.id] for r in rules]
