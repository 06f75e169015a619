"""A what-if: a scenario choice, a seed and `--set` settings; to and from the page's URL.

The what-if is exactly what `corridor run SCENARIO --seed S --set NAME=VALUE ...` takes, so a
view of the dashboard can be repeated on the command line and the other way round. Only the
settings that differ from the scenario are kept.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

from corridor.errors import Problem, ScenarioError
from corridor.scenario import Scenario
from corridor.web.fields import FieldSpec, parameter_fields, rule_fields

RULE_DATES = ("start", "end")


@dataclass(frozen=True)
class WhatIf:
    """What the user changed.

    Attributes:
        scenario: Key of the scenario in the server's registry (a built-in name, `cli` for the
            folder given on the command line, or `upload-…`); never a path.
        seed: Seed of the run (None: the scenario's).
        settings: `NAME -> value` overrides, in the order they were made.
    """

    scenario: str
    seed: int | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def as_settings(self) -> list[str]:
        """The overrides as `NAME=VALUE` strings (what `--set` takes)."""
        return [f"{name}={_text(value)}" for name, value in self.settings.items()]

    def to_query(self) -> str:
        """The what-if as a URL query string (`?scenario=…&seed=…&set=NAME%3DVALUE…`)."""
        pairs: list[tuple[str, str]] = [("scenario", self.scenario)]
        if self.seed is not None:
            pairs.append(("seed", str(self.seed)))
        pairs += [("set", s) for s in self.as_settings()]
        return "?" + urlencode(pairs)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (for a `dcc.Store`)."""
        return {"scenario": self.scenario, "seed": self.seed, "settings": dict(self.settings)}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, default: str) -> WhatIf:
        """Rebuild from `to_dict` output (None gives the default scenario, unchanged)."""
        if not data:
            return cls(default)
        seed = data.get("seed")
        return cls(str(data.get("scenario") or default), None if seed is None else int(seed),
                   dict(data.get("settings") or {}))

    @classmethod
    def from_query(cls, search: str | None, default: str) -> WhatIf:
        """Parse a URL query string; malformed parts raise `ScenarioError` naming them."""
        query = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
        scenario = (query.get("scenario") or [default])[-1] or default
        seed = None
        problems: list[Problem] = []
        if query.get("seed"):
            try:
                seed = int(query["seed"][-1])
                if seed < 0:
                    raise ValueError
            except ValueError:
                problems.append(Problem("URL", None, "seed", "expected a whole number ≥ 0"))
        settings: dict[str, Any] = {}
        for item in query.get("set", []):
            if "=" not in item:
                problems.append(Problem("URL", None, "set", f"{item!r}: expected NAME=VALUE"))
                continue
            name, value = item.split("=", 1)
            settings[name.strip()] = parse(value)
        if problems:
            raise ScenarioError(problems)
        return cls(scenario, seed, settings)


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def parse(text: str) -> Any:
    """Parse a value as `--set` does (JSON literal, true/false, or plain text)."""
    from corridor.scenario.settings import parse_value

    return parse_value(text)


def editable_fields(scenario: Scenario) -> dict[str, FieldSpec]:
    """Every number the dashboard may change, by setting name."""
    specs = {f.name: f for f in parameter_fields(scenario.parameters)}
    for rule in scenario.rules:
        specs.update((f.name, f) for f in rule_fields(rule))
    return specs


def check(scenario: Scenario, whatif: WhatIf) -> list[Problem]:
    """Check every setting against what the dashboard allows: known rule, date, range.

    The scenario's own validation (`apply_settings`) runs afterwards; this gives the range in
    the message and refuses settings the dashboard does not offer (no free-form names).
    """
    specs = editable_fields(scenario)
    rules = {r.id for r in scenario.rules}
    problems: list[Problem] = []
    for name, value in whatif.settings.items():
        parts = name.split(".")
        if name.startswith("rules.") and len(parts) == 3 and parts[2] in RULE_DATES + ("enabled",):
            if parts[1] not in rules:
                problems.append(Problem("what-if", None, name, f"no rule {parts[1]!r}"))
            elif parts[2] == "enabled" and not isinstance(value, bool):
                problems.append(Problem("what-if", None, name, "expected true or false"))
            elif parts[2] in RULE_DATES and value is not None:
                try:
                    dt.date.fromisoformat(str(value))
                except ValueError:
                    problems.append(Problem("what-if", None, name,
                                            f"{value!r} is not a date (YYYY-MM-DD)"))
            continue
        spec = specs.get(name)
        if spec is None:
            problems.append(Problem("what-if", None, name, "not a setting the dashboard edits"))
            continue
        why = spec.check(value)
        if why:
            problems.append(Problem("what-if", None, name, why.split(": ", 1)[-1]))
    return problems


def apply(scenario: Scenario, whatif: WhatIf) -> Scenario:
    """Return the scenario with the what-if's settings applied and validated.

    Raises:
        ScenarioError: Naming each setting that is unknown, out of range or inconsistent.
    """
    problems = check(scenario, whatif)
    if problems:
        raise ScenarioError(problems)
    if not whatif.settings:
        return scenario
    from corridor.scenario.load import finalize
    from corridor.scenario.settings import apply_settings

    return finalize(apply_settings(scenario, whatif.as_settings()))
