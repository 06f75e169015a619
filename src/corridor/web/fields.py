"""Editable numbers of a scenario, with their valid ranges read from the pydantic models.

A rule's chances, quotas, capacities and day ranges, and the model parameters, are pydantic
fields with `ge`/`gt`/`le`/`lt` constraints; the dashboard offers exactly those fields, with
those bounds, so that a value it accepts is one `--set` accepts too.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class FieldSpec:
    """One editable number.

    Attributes:
        name: The setting's name as `--set` takes it (`rules.<id>.<field>` or a parameter).
        label: Short label for the form.
        integer: Whether the value is a whole number.
        low: Lowest valid value (None: unbounded).
        high: Highest valid value (None: unbounded).
        low_open: Whether `low` itself is excluded (`gt`).
        high_open: Whether `high` itself is excluded (`lt`).
        value: The scenario's value.
        optional: Whether the field may be empty (no limit).
    """

    name: str
    label: str
    integer: bool
    low: float | None
    high: float | None
    low_open: bool = False
    high_open: bool = False
    value: float | None = None
    optional: bool = False

    def describe(self) -> str:
        """The valid range in words, e.g. `0 ≤ x ≤ 1`."""
        lo = "" if self.low is None else f"{_num(self.low)} {'<' if self.low_open else '≤'} "
        hi = "" if self.high is None else f" {'<' if self.high_open else '≤'} {_num(self.high)}"
        kind = "whole number" if self.integer else "number"
        return f"{lo}{kind}{hi}" + (" (empty: no limit)" if self.optional else "")

    def check(self, value: Any) -> str | None:
        """Return why a value is invalid for this field, or None when it is valid."""
        if value is None or value == "":
            return None if self.optional else f"{self.name}: a value is required"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{self.name}: {value!r} is not a number"
        if not math.isfinite(value):
            return f"{self.name}: {value!r} is not a finite number"
        if self.integer and int(value) != value:
            return f"{self.name}: {value!r} is not a whole number"
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return f"{self.name}: {_num(value)} is out of range ({self.describe()})"
        if self.high is not None and (value >= self.high if self.high_open else value > self.high):
            return f"{self.name}: {_num(value)} is out of range ({self.describe()})"
        return None


def _num(value: float) -> str:
    return f"{value:g}"


def _numeric_type(annotation: Any) -> tuple[type | None, bool]:
    """Return (int or float, optional) for a numeric annotation, else (None, False)."""
    optional = False
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        kinds = [a for a in args if a is not type(None)]
        optional = len(kinds) < len(args)
        if len(kinds) != 1:
            return None, False
        annotation = kinds[0]
    if annotation is int:
        return int, optional
    if annotation is float:
        return float, optional
    return None, False


def _bounds(metadata: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"low": None, "high": None, "low_open": False, "high_open": False}
    for item in metadata:
        for attr, key, open_ in (("ge", "low", False), ("gt", "low", True),
                                 ("le", "high", False), ("lt", "high", True)):
            value = getattr(item, attr, None)
            if value is not None:
                out[key] = float(value)
                out[f"{key}_open"] = open_
    return out


def model_fields(model: BaseModel, prefix: str) -> list[FieldSpec]:
    """Return the numeric fields of a pydantic model instance (one level of nested models).

    Args:
        model: A rule or a parameters model.
        prefix: Prepended to each field name (`rules.<id>.` for a rule, "" for parameters).
    """
    specs: list[FieldSpec] = []
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        key = info.alias or name
        kind, optional = _numeric_type(info.annotation)
        if kind is not None:
            specs.append(FieldSpec(f"{prefix}{key}", key, kind is int, value=value,
                                   optional=optional, **_bounds(info.metadata)))
        elif isinstance(value, BaseModel) and name not in ("who", "where"):
            specs += [FieldSpec(s.name, f"{key}.{s.label}", s.integer, s.low, s.high,
                                s.low_open, s.high_open, s.value, s.optional)
                      for s in model_fields(value, f"{prefix}{key}.")]
    return specs


def rule_fields(rule: BaseModel) -> list[FieldSpec]:
    """Return the editable numbers of a rule (chances, quotas, capacities, day ranges)."""
    return model_fields(rule, f"rules.{rule.id}.")


def parameter_fields(parameters: BaseModel | None) -> list[FieldSpec]:
    """Return the numeric model parameters of a scenario (`scenario.parameters`)."""
    if parameters is None:
        return []
    return model_fields(parameters, "")
