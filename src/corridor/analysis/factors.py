"""Parameters varied by sweeps, sensitivity analyses and calibrations, parsed from the command line.

A parameter is addressed as with `--set`: a scenario setting, a model parameter (dots reach into
tables, e.g. `move_chance.town`), or `rules.<id>.<field>`.

- `NAME=v1,v2,...` — a list of values (sweeps);
- `NAME=lo:hi:n` — n evenly spaced values from lo to hi (sweeps);
- `NAME=lo:hi` — a range (sensitivity, calibration). A parameter that the scenario accepts only
  as a whole number (e.g. `awareness_hops`) is detected and sampled as integers.
- `rules.<id>.enabled=0:1` — a switch: a rule's on/off field (any boolean field of a rule) taken
  as a factor. A sampled value x in [0, 1] switches the rule on when x ≥ 0.5.
  `rule_switches` gives one such factor per rule of a scenario (`corridor sensitivity --rules`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor.errors import Problem, ScenarioError
from corridor.scenario.settings import parse_value

if TYPE_CHECKING:
    from corridor.scenario.model import Scenario

RANGE = "range"
SWITCH = "switch"


def _bad(option: str, text: str, why: str) -> ScenarioError:
    return ScenarioError([Problem(option, None, text, why)])


def _number(text: str) -> float | int | None:
    value = parse_value(text)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def setting_text(value: Any) -> str:
    """Return a value as `--set` reads it back (JSON for numbers and booleans)."""
    return value if isinstance(value, str) else json.dumps(value)


def setting(name: str, value: Any) -> str:
    """Return the `NAME=VALUE` setting of a value."""
    return f"{name}={setting_text(value)}"


def parse_values(text: str, option: str = "--param") -> tuple[str, list[Any]]:
    """Parse `NAME=v1,v2,...` or `NAME=lo:hi:n` into the name and its values.

    Raises:
        ScenarioError: When the text is not of either form.
    """
    if "=" not in text:
        raise _bad(option, text, "expected NAME=v1,v2,... or NAME=lo:hi:n")
    name, spec = (part.strip() for part in text.split("=", 1))
    parts = spec.split(":")
    if len(parts) == 3:
        lo, hi, n = (_number(p) for p in parts)
        if lo is None or hi is None or not isinstance(n, int) or n < 1:
            raise _bad(option, text, "expected NAME=lo:hi:n with numbers lo, hi and a whole "
                       "number n ≥ 1")
        grid = np.linspace(lo, hi, n)
        whole = isinstance(lo, int) and isinstance(hi, int) and np.all(grid == np.round(grid))
        return name, [int(v) if whole else float(v) for v in grid]
    values = [parse_value(v) for v in spec.split(",") if v.strip()]
    if not name or not values:
        raise _bad(option, text, "expected NAME=v1,v2,... or NAME=lo:hi:n")
    return name, values


@dataclass(frozen=True)
class Factor:
    """A parameter varied over a range.

    Attributes:
        name: As with `--set`.
        low: Lower bound.
        high: Upper bound.
        integer: Whether only whole numbers are valid.
        kind: `range` (a number between the bounds) or `switch` (a boolean: on when the
            sampled value is at least the middle of the bounds, 0.5 for `0:1`).
    """

    name: str
    low: float
    high: float
    integer: bool = False
    kind: str = RANGE

    @property
    def switch(self) -> bool:
        """Whether the factor is an on/off switch."""
        return self.kind == SWITCH

    def value(self, x: float) -> float | int | bool:
        """Return a sampled value as the scenario takes it (rounded, or on/off for switches)."""
        if self.switch:
            return bool(x >= (self.low + self.high) / 2)
        return int(round(x)) if self.integer else float(x)


def switch_factor(name: str) -> Factor:
    """Return the on/off factor of a boolean setting (`rules.<id>.enabled`)."""
    return Factor(name, 0.0, 1.0, kind=SWITCH)


def rule_switches(scenario: Scenario) -> list[Factor]:
    """Return one switch factor per rule of the scenario (`rules.<id>.enabled`), in file order."""
    return [switch_factor(f"rules.{rule.id}.enabled") for rule in scenario.rules]


def _rule_field(scenario: Scenario, name: str) -> Any:
    """Return the current value of `rules.<id>.<field>`, or None when it names no rule field."""
    parts = name.split(".", 2)
    if len(parts) != 3 or parts[0] != "rules":
        return None
    rule = next((r for r in scenario.rules if r.id == parts[1]), None)
    return getattr(rule, parts[2], None) if rule is not None else None


def parse_range(text: str, option: str = "--param") -> tuple[str, float, float]:
    """Parse `NAME=lo:hi` into the name and the bounds.

    Raises:
        ScenarioError: When the text is not of that form, or lo ≥ hi.
    """
    name, _, spec = text.partition("=")
    parts = spec.split(":")
    bounds = [_number(p) for p in parts] if len(parts) == 2 else [None]
    if not name.strip() or None in bounds:
        raise _bad(option, text, "expected NAME=lo:hi with two numbers")
    lo, hi = (float(b) for b in bounds)  # type: ignore[arg-type]
    if not lo < hi:
        raise _bad(option, text, f"the lower bound ({lo:g}) must be below the upper ({hi:g})")
    return name.strip(), lo, hi


def _valid(scenario: Scenario, name: str, value: Any) -> ScenarioError | None:
    from corridor.analysis.ensemble import point_scenario

    try:
        point_scenario(scenario, [setting(name, value)])
    except ScenarioError as err:
        return err
    return None


def resolve_factors(scenario: Scenario, texts: list[str], option: str = "--param"
                    ) -> list[Factor]:
    """Parse `NAME=lo:hi` ranges and check them against the scenario.

    Both bounds must be valid settings; a parameter that accepts whole bounds but not a value in
    between is sampled as integers. A boolean field of a rule (`rules.<id>.enabled`) is a switch
    and takes the range `0:1` only.

    Raises:
        ScenarioError: With every range that is malformed or invalid for the scenario.
    """
    factors, problems = [], []
    for text in texts:
        try:
            name, lo, hi = parse_range(text, option)
        except ScenarioError as err:
            problems += err.problems
            continue
        if isinstance(_rule_field(scenario, name), bool):
            if (lo, hi) == (0, 1):
                factors.append(switch_factor(name))
            else:
                problems.append(Problem(option, None, text, "an on/off field: give the range "
                                        "0:1 (the rule is on when the sampled value is ≥ 0.5)"))
            continue
        bounds = [lo, hi]
        if all(b == round(b) for b in bounds):
            bounds = [int(b) for b in bounds]
        errors = [e for e in (_valid(scenario, name, b) for b in bounds) if e is not None]
        if errors:
            problems += [Problem(option, None, text, f"not a valid setting: {p.message}")
                         for p in errors[0].problems]
            continue
        between = _valid(scenario, name, (lo + hi) / 2 + 1e-3 * (hi - lo))
        integer = between is not None and isinstance(bounds[0], int)
        if between is not None and not integer:
            problems += [Problem(option, None, text, p.message) for p in between.problems]
            continue
        factors.append(Factor(name, lo, hi, integer))
    if len({f.name for f in factors}) < len(factors):
        problems.append(Problem(option, None, None, "a parameter is given twice"))
    if problems:
        raise ScenarioError(problems)
    return factors
