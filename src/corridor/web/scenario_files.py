"""Write a changed scenario back to files: `scenario.toml` and `rules.toml` with the what-if.

The other files (places, routes, departures, observations) are copied as they were read. TOML is
written by a small emitter for the value types scenario files use (strings, numbers, booleans,
dates, lists and tables); the result is checked by loading it again (see the tests).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from corridor.scenario import Scenario

HEADER = "# Written by `corridor serve` for a what-if: {what}\n"


def _key(name: str) -> str:
    bare = name.replace("-", "").replace("_", "").isalnum() and name.isascii()
    return name if bare else json.dumps(name)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()
                                if v is not None) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _table(data: dict[str, Any]) -> list[str]:
    return [f"{_key(k)} = {_value(v)}" for k, v in data.items() if v is not None]


def scenario_toml(scenario: Scenario, what: str) -> str:
    """The text of `scenario.toml` for the (changed) scenario."""
    config = scenario.config.model_dump(mode="python", exclude_none=True)
    lines = [HEADER.format(what=what).rstrip("\n")]
    tables = {k: v for k, v in config.items() if isinstance(v, dict)}
    lines += _table({k: v for k, v in config.items() if k not in tables})
    for name, table in tables.items():
        if not table:
            continue
        nested = {k: v for k, v in table.items() if isinstance(v, dict)}
        if name in ("aggregates", "measures"):  # tables of tables: one header each
            for key, sub in table.items():
                lines += ["", f"[{name}.{_key(key)}]", *_table(sub)]
            continue
        lines += ["", f"[{name}]", *_table({k: v for k, v in table.items() if k not in nested})]
        for key, sub in nested.items():
            lines += ["", f"[{name}.{_key(key)}]", *_table(sub)]
    return "\n".join(lines) + "\n"


def rules_toml(scenario: Scenario, what: str) -> str:
    """The text of `rules.toml` for the (changed) scenario's rules."""
    lines = [HEADER.format(what=what).rstrip("\n")]
    for rule in scenario.rules:
        data = rule.model_dump(mode="python", by_alias=True, exclude_defaults=True)
        data = {"id": rule.id, "kind": rule.kind, **data}
        lines += ["", "[[rule]]", *_table(data)]
    return "\n".join(lines) + "\n"


def changed_files(scenario: Scenario, what: str) -> dict[str, str]:
    """The scenario's files with `scenario.toml` and `rules.toml` rewritten from the models."""
    files = dict(scenario.files)
    files["scenario.toml"] = scenario_toml(scenario, what)
    if scenario.rules or "rules.toml" in files:
        files["rules.toml"] = rules_toml(scenario, what)
    return files
