"""Typed records of a scenario, validated with pydantic, and the `Scenario` that holds them."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from corridor.scenario.kinds import PLACE_KINDS, ROUTE_MODES

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9\-_.]*$", max_length=80)]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
MAX_PEOPLE = 2**31 - 1  # people are counted in 32-bit integers (rows, places) by the engine
MAX_DISTANCE_KM = 100_000.0  # longer than any route on Earth (the equator is 40,075 km)
PlaceKind = Literal[PLACE_KINDS]  # type: ignore[valid-type]
RouteMode = Literal[ROUTE_MODES]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True,
                              allow_inf_nan=False)


class PlaceRow(_Strict):
    """One row of `places.csv`."""

    id: Slug
    name: Annotated[str, StringConstraints(min_length=1)]
    country: CountryCode
    kind: PlaceKind
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    capacity: int | None = Field(default=None, ge=0, le=MAX_PEOPLE)
    region: str = ""
    population: int = Field(default=0, ge=0, le=MAX_PEOPLE)
    attractiveness: float | None = Field(default=None, ge=0)
    danger: float = Field(default=0.0, ge=0, le=1)
    sources: str = ""


class RouteRow(_Strict):
    """One row of `routes.csv`."""

    from_: Slug = Field(alias="from")
    to: Slug
    distance_km: float = Field(gt=0, le=MAX_DISTANCE_KM)
    mode: RouteMode = "road"
    two_way: bool = True
    forced_redirection: int = Field(default=0, ge=0, le=2)
    sources: str = ""


class DepartureRow(BaseModel):
    """One row of `departures.csv`; unknown columns are group attributes."""

    model_config = ConfigDict(extra="allow", frozen=True, str_strip_whitespace=True,
                              allow_inf_nan=False)

    date: dt.date
    origin: Slug
    count: int = Field(ge=0, le=MAX_PEOPLE)
    nationality: CountryCode = "XX"
    sources: str = ""

    @property
    def attributes(self) -> dict[str, str]:
        """Group attributes beyond nationality (extra columns)."""
        return {k: str(v) for k, v in (self.model_extra or {}).items()}


class ObservationRow(_Strict):
    """One row of `observations.csv`.

    `cohort` empty means everybody; a cohort name (`departures.csv` column `cohort`, or
    `other`/`all`, see `corridor.scenario.cohorts`) counts only that cohort's people. `fitted`
    marks an observation that sized an input (in-sample: scored apart from the others).
    """

    period_start: dt.date
    period_end: dt.date
    place: Annotated[str, StringConstraints(min_length=1)]
    kind: Annotated[str, StringConstraints(min_length=1)]
    value: float
    low: float | None = None
    high: float | None = None
    cohort: str = ""
    fitted: bool = False
    source: str = ""
    note: str = ""

    @field_validator("fitted", mode="before")
    @classmethod
    def _true_or_false(cls, v: Any) -> Any:
        if isinstance(v, str):
            text = v.strip().lower()
            if text not in ("true", "false"):
                raise ValueError(f"'{v}' is neither true nor false")
            return text == "true"
        return v

    @field_validator("high")
    @classmethod
    def _high_not_below_low(cls, v: float | None, info: Any) -> float | None:
        low = info.data.get("low")
        if v is not None and low is not None and v < low:
            raise ValueError(f"high ({v}) is below low ({low})")
        return v


NameList = list[Annotated[str, StringConstraints(min_length=1)]]


class AggregateSpec(_Strict):
    """A named group of places that observations may name (`[aggregates."NAME"]`).

    The places are the union of `places`, every place in `regions` and every place in
    `countries`. With `rules`, only changes of state caused by those rules count there (e.g.
    "Mexico to Honduras": arrivals in Honduras by Mexico's return flights and buses).

    Attributes:
        description: What the aggregate stands for.
        places: Place ids or names (accents and case do not matter).
        regions: Regions (the `region` column of `places.csv`).
        countries: ISO codes or English names of countries.
        rules: Rule ids (`*` matches any text, e.g. `us-mpp-*`); empty = any rule.
        sources: Source keys.
    """

    description: str = ""
    places: NameList = Field(default_factory=list)
    regions: NameList = Field(default_factory=list)
    countries: NameList = Field(default_factory=list)
    rules: NameList = Field(default_factory=list)
    sources: str = ""

    @model_validator(mode="after")
    def _some_place(self) -> AggregateSpec:
        if not (self.places or self.regions or self.countries):
            raise ValueError("give at least one of places, regions or countries")
        return self


class MeasureSpec(_Strict):
    """A named kind of count that observations may use (`[measures.NAME]`).

    Exactly one way of counting: `crossed` (people completing a hop across a border or along a
    route, from `flows`), `to_states` / `from_states` / `rules` (changes of state, from
    `transitions`), `present` (people at the places, from `daily`) or `sum` (other measures
    added up). `places`, `regions` and `countries` narrow where it counts, on top of the
    observation's place.

    Attributes:
        description: What is counted.
        crossed: `"HN>GT"` (two ISO codes: any hop from a place in the first country to a place
            in the second) or `"FROM>TO"` (two place ids or names: that hop).
        to_states: Count people entering these states.
        from_states: Count only changes out of these states (`not_departed` for departures).
        rules: Count only changes caused by these rules (ids, `*` matches any text); with
            `rules`, a change that keeps the state (e.g. a registered entry) counts too.
        present: Count the people at the places on each day of the period.
        states: With `present`, only people in these states (empty: all states).
        statistic: With `present`, how the days of the period are summarised.
        sum: Names of measures (named or built-in kinds) to add up.
        places: Place ids or names where the measure counts.
        regions: Regions where the measure counts.
        countries: Countries (ISO codes or names) where the measure counts.
        anywhere: Count wherever the change of state happened: the observation's place does
            not narrow the count (its `rules` say which changes count). For changes that the
            model records away from the place the source names, e.g. people returned home from
            a border town are recorded on arrival at home.
        sources: Source keys.
    """

    description: str = ""
    crossed: str | None = Field(default=None, pattern=r"^[^>]+>[^>]+$")
    to_states: NameList = Field(default_factory=list)
    from_states: NameList = Field(default_factory=list)
    rules: NameList = Field(default_factory=list)
    present: bool = False
    states: NameList = Field(default_factory=list)
    statistic: Literal["max", "mean", "last"] = "max"
    sum: NameList = Field(default_factory=list)
    places: NameList = Field(default_factory=list)
    regions: NameList = Field(default_factory=list)
    countries: NameList = Field(default_factory=list)
    anywhere: bool = False
    sources: str = ""

    @property
    def counts(self) -> str:
        """How the measure counts: `flows`, `transitions`, `present` or `sum`."""
        if self.crossed is not None:
            return "flows"
        if self.present:
            return "present"
        if self.sum:
            return "sum"
        return "transitions"

    @model_validator(mode="after")
    def _one_way_of_counting(self) -> MeasureSpec:
        ways = [name for name, given in (
            ("crossed", self.crossed is not None),
            ("to_states/from_states/rules", bool(self.to_states or self.from_states
                                                 or self.rules)),
            ("present", self.present),
            ("sum", bool(self.sum)),
        ) if given]
        if len(ways) != 1:
            raise ValueError("give exactly one way of counting: crossed, to_states/from_states/"
                             "rules, present or sum" + (f" (got {', '.join(ways)})" if ways
                                                        else ""))
        if (self.states or self.statistic != "max") and not self.present:
            raise ValueError("states and statistic apply only with present = true")
        if self.anywhere and (self.places or self.regions or self.countries):
            raise ValueError("anywhere counts at every place; do not also give places, regions "
                             "or countries")
        return self


class ScenarioConfig(_Strict):
    """The contents of `scenario.toml`."""

    name: Slug
    description: str = ""
    start_date: dt.date
    days: int = Field(ge=1, le=10_000)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    drop_late_departures: bool = False
    model: Literal["corridor", "flee"] = "corridor"
    parameters: dict[str, Any] = Field(default_factory=dict)
    aggregates: dict[str, AggregateSpec] = Field(default_factory=dict)
    measures: dict[str, MeasureSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _end_is_a_date(self) -> ScenarioConfig:
        if self.start_date > dt.date.max - dt.timedelta(days=self.days):
            raise ValueError(f"start_date {self.start_date} plus {self.days} days runs past the "
                             "last representable date (9999-12-31)")
        return self

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
    departure_rows: tuple[int, ...] = ()

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
