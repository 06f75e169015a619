"""What differs between two runs (from their `run.json`), and whether comparing them is fair.

A what-if credits the difference between two runs to a change of rules or parameters. That is
fair only if nothing else differs: the same scenario, seed, days, start date, engine and model.
`differences` lists everything that differs; `confounders` the part that makes the comparison
unfair.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# Fields of run.json that must be equal for a fair what-if (a difference mixes chance or a
# different set-up with the effect of the change).
SETUP_FIELDS = ("scenario", "seed", "days", "start_date", "engine", "model", "corridor_version")
# Fields whose difference is the change being tested.
CHANGE_FIELDS = ("rules", "parameters", "scenario_digest")


@dataclass(frozen=True)
class Difference:
    """One field of run.json that differs between run A and run B.

    Attributes:
        field: The field (`parameters.walk_speed_km` for one parameter).
        a: Its value in run A, as text ("—" if absent).
        b: Its value in run B.
        setup: True if the difference makes the comparison unfair (see `SETUP_FIELDS`).
    """

    field: str
    a: str
    b: str
    setup: bool

    def __str__(self) -> str:
        return f"{self.field}: {self.a} vs {self.b}"


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[Difference]:
    """Every difference between two runs' `run.json` contents that bears on a comparison."""
    out = [
        Difference(key, _text(a.get(key)), _text(b.get(key)), True)
        for key in SETUP_FIELDS
        if a.get(key) != b.get(key)
    ]
    pa, pb = a.get("parameters") or {}, b.get("parameters") or {}
    for key in sorted(set(pa) | set(pb)):
        if pa.get(key) != pb.get(key):
            out.append(
                Difference(f"parameters.{key}", _text(pa.get(key)), _text(pb.get(key)), False)
            )
    ra, rb = a.get("rules") or [], b.get("rules") or []
    only_a = [r for r in ra if r not in rb]
    only_b = [r for r in rb if r not in ra]
    if only_a or only_b:
        out.append(
            Difference(
                "rules applied only in one run",
                ", ".join(only_a) or "none",
                ", ".join(only_b) or "none",
                False,
            )
        )
    if a.get("scenario_digest") != b.get("scenario_digest") and not (only_a or only_b):
        out.append(
            Difference(
                "scenario_digest",
                _text(a.get("scenario_digest"))[:12],
                _text(b.get("scenario_digest"))[:12],
                False,
            )
        )
    return out


def confounders(diffs: list[Difference]) -> list[Difference]:
    """The differences that make a what-if unfair (set-up, not the change tested)."""
    return [d for d in diffs if d.setup]
