"""`--set NAME=VALUE` overrides: change a scenario setting, a model parameter or a rule field."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from corridor.errors import Problem, ScenarioError
from corridor.scenario.model import Scenario, ScenarioConfig

TOP_LEVEL = ("name", "description", "start_date", "days", "seed", "drop_late_departures")


def parse_value(text: str) -> Any:
    """Parse a command-line value: JSON literal (number, true/false, list) or plain string."""
    lowered = text.strip()
    if lowered in ("true", "True"):
        return True
    if lowered in ("false", "False"):
        return False
    try:
        return json.loads(lowered)
    except ValueError:
        return lowered


def split_setting(setting: str) -> tuple[str, Any]:
    """Split `NAME=VALUE` into the name and its parsed value.

    Raises:
        ScenarioError: When there is no `=`.
    """
    if "=" not in setting:
        raise ScenarioError([Problem("--set", None, setting, "expected NAME=VALUE")])
    name, value = setting.split("=", 1)
    return name.strip(), parse_value(value)


def apply_settings(scenario: Scenario, settings: list[str]) -> Scenario:
    """Return a copy of the scenario with `NAME=VALUE` overrides applied.

    Names: a top-level setting (`days`, `seed`, `start_date`, …), `rules.<id>.<field>` for a
    rule, or a model parameter with or without the `parameters.` prefix (dots reach into
    tables, e.g. `move_chance.town`).

    Raises:
        ScenarioError: Naming each setting that is unknown or invalid.
    """
    problems: list[Problem] = []
    config = scenario.config.model_dump()
    rule_changes: list[tuple[str, str, Any]] = []
    for setting in settings:
        try:
            name, value = split_setting(setting)
        except ScenarioError as err:
            problems.extend(err.problems)
            continue
        if name in TOP_LEVEL:
            config[name] = value
        elif name.startswith("rules."):
            parts = name.split(".", 2)
            if len(parts) != 3:
                problems.append(Problem("--set", None, name, "expected rules.<id>.<field>=VALUE"))
                continue
            rule_changes.append((parts[1], parts[2], value))
        else:
            path = name.removeprefix("parameters.").split(".")
            target = config.setdefault("parameters", {})
            for key in path[:-1]:
                existing = target.get(key)
                if not isinstance(existing, dict):
                    existing = {}
                    target[key] = existing
                target = existing
            target[path[-1]] = value
    try:
        new_config = ScenarioConfig.model_validate(config)
    except ValidationError as err:
        problems.extend(Problem("--set", None, ".".join(str(x) for x in e["loc"]), e["msg"])
                        for e in err.errors())
        new_config = scenario.config
    rules = scenario.rules
    if rule_changes:
        from corridor.rules.load import change_rules

        rules = change_rules(rules, rule_changes, problems)
    if problems:
        raise ScenarioError(problems)
    return scenario.replace(config=new_config, rules=tuple(rules), parameters=None)
