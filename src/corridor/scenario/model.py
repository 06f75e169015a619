"""Typed records of a scenario, validated with pydantic, and the `Scenario` that holds them."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from corridor.scenario.kinds import PLACE_KINDS, ROUTE_MODES

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9\-_.]*$", max_length=80)]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
PlaceKind = Literal[PLACE_KINDS]  # type: ignore[valid-type]
RouteMode = Literal[ROUTE_MODES]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class PlaceRow(_Strict):
    """One row of `places.csv`."""

    id: Slug
    name: Annotated[str, StringConstraints(min_length=1)]
    country: CountryCode
    kind: PlaceKind
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    capacity: int | None = Field(default=None, ge=0)
    region: str = ""
    population: int = Field(default=0, ge=0)
    attractiveness: float | None = Field(default=None, ge=0)
    sources: str = ""


class RouteRow(_Strict):
    """One row of `routes.csv`."""

    from_: Slug = Field(alias="from")
    to: Slug
    distance_km: float = Field(gt=0)
    mode: RouteMode = "road"
    two_way: bool = True
    forced_redirection: int = Field(default=0, ge=0, le=2)
    sources: str = ""


class DepartureRow(BaseModel):
    """One row of `departures.csv`; unknown columns are group attributes."""

    model_config = ConfigDict(extra="allow", frozen=True, str_strip_whitespace=True)

    date: dt.date
    origin: Slug
    count: int = Field(ge=0)
    nationality: CountryCode = "XX"
    sources: str = ""

    @property
    def attributes(self) -> dict[str, str]:
        """Group attributes beyond nationality (extra columns)."""
        return {k: str(v) for k, v in (self.model_extra or {}).items()}


class ObservationRow(_Strict):
    """One row of `observations.csv`."""

    period_start: dt.date
    period_end: dt.date
    place: Annotated[str, StringConstraints(min_length=1)]
    kind: Annotated[str, StringConstraints(min_length=1)]
    value: float
    low: float | None = None
    high: float | None = None
    source: str = ""
    note: str = ""

    @field_validator("high")
    @classmethod
    def _high_not_below_low(cls, v: float | None, info: Any) -> float | None:
        low = info.data.get("low")
        if v is not None and low is not None and v < low:
            raise ValueError(f"high ({v}) is below low ({low})")
        return v


class ScenarioConfig(_Strict):
    """The contents of `scenario.toml`."""

    name: Slug
    description: str = ""
    start_date: dt.date
    days: int = Field(ge=1, le=10_000)
    seed: int = Field(default=0, ge=0)
    model: Literal["corridor", "flee"] = "corridor"
    parameters: dict[str, Any] = Field(default_factory=dict)
    aggregates: dict[str, dict[str, Any]] = Field(default_factory=dict)
    measures: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @property
    def end_date(self) -> dt.date:
        """The last simulated date (inclusive)."""
        return self.start_date + dt.timedelta(days=self.days - 1)


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: configuration, network, departures, rules and observations.

    Scenarios are immutable; `with_settings` returns a changed copy. `files` holds the raw text
    of every file read, for the digest and for copying the scenario into a run folder.
    """

    config: ScenarioConfig
    places: tuple[PlaceRow, ...]
    routes: tuple[RouteRow, ...]
    departures: tuple[DepartureRow, ...] = ()
    observations: tuple[ObservationRow, ...] = ()
    rules: tuple[Any, ...] = ()
    parameters: Any = None
    files: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The scenario's short id."""
        return self.config.name

    def day_of(self, date: dt.date) -> int:
        """Return the day number of a date (day 0 is the start date)."""
        return (date - self.config.start_date).days

    def date_of(self, day: int) -> dt.date:
        """Return the date of a day number."""
        return self.config.start_date + dt.timedelta(days=day)

    def digest(self) -> str:
        """Return a sha256 digest of the scenario files and settings (identifies the input)."""
        h = hashlib.sha256()
        for name in sorted(self.files):
            h.update(name.encode())
            h.update(b"\0")
            h.update(self.files[name].encode())
            h.update(b"\0")
        h.update(self.config.model_dump_json().encode())
        if self.parameters is not None:
            h.update(self.parameters.model_dump_json().encode())
        for rule in self.rules:
            h.update(rule.model_dump_json().encode() if hasattr(rule, "model_dump_json") else b"")
        return h.hexdigest()

    def replace(self, **changes: Any) -> Scenario:
        """Return a copy with some fields replaced."""
        return replace(self, **changes)
