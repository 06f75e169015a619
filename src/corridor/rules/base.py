"""What every rule has: an id, dates, where it acts, whom it applies to; and the compiled form."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from corridor.engine.states import State
from corridor.rules.flags import Flag

if TYPE_CHECKING:
    from corridor.engine.gates import Gates
    from corridor.engine.simulation import Simulation

# No '.': `--set rules.<id>.<field>` splits on dots, so an id with one could not be addressed.
RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9\-_]*$", max_length=80)]
Chance = Annotated[float, Field(ge=0.0, le=1.0)]


class Who(BaseModel):
    """Whom a rule applies to (all conditions must hold; empty means everybody)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    nationality: list[Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]] = []
    attributes: dict[str, str] = {}
    entered: str = Field("any", pattern="^(any|registered|irregular)$")
    transited: list[Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]] = []

    def describe(self) -> str:
        """Plain words for the condition."""
        parts = []
        if self.nationality:
            parts.append("nationality " + "/".join(self.nationality))
        if self.attributes:
            parts.append(", ".join(f"{k}={v}" for k, v in self.attributes.items()))
        if self.entered != "any":
            parts.append(f"entered {self.entered}ly")
        if self.transited:
            parts.append("who transited " + "/".join(self.transited))
        return "; ".join(parts) or "everybody"


class Days(BaseModel):
    """A range of days, drawn uniformly (e.g. time to a decision, to a hearing)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    min: int = Field(ge=0)
    max: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Days:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        return self


class Rule(BaseModel):
    """Fields common to every rule kind.

    Attributes:
        id: Unique id (used by `--without`, `--set rules.<id>.…`, output `rule` columns).
        kind: The rule kind.
        title: A plain-language name.
        start, end: In force from / until (inclusive; empty = open-ended).
        signed: Date an agreement was signed (informational).
        applied: False for a rule that exists on paper but was never applied: it has no effect.
        enabled: False to switch the rule off for a what-if.
        who: Whom the rule applies to.
        sources: Source keys.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    kind_name: ClassVar[str] = ""
    order: ClassVar[int] = 100  # position in the order rules apply at a place (docs/rules.md)

    id: RuleId
    kind: str
    title: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    signed: dt.date | None = None
    applied: bool = True
    enabled: bool = True
    who: Who = Who()
    sources: str = ""
    notes: str = ""

    @model_validator(mode="after")
    def _dates(self) -> Rule:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self

    def places(self) -> list[str]:
        """Place ids this rule names (checked against places.csv at load)."""
        return []

    def status_on(self, date: dt.date) -> tuple[bool, str]:
        """Return whether the rule is in force on a date, and why (plain words)."""
        if not self.enabled:
            return False, "switched off for this run"
        if not self.applied:
            signed = f"signed {self.signed}, " if self.signed else ""
            return False, f"{signed}never applied: no effect"
        if self.start and date < self.start:
            return False, f"not yet in force (from {self.start})"
        if self.end and date > self.end:
            return False, f"no longer in force (ended {self.end})"
        since = f"since {self.start}" if self.start else "with no start date"
        return True, f"in force {since}" + (f" until {self.end}" if self.end else "")

    def compile(self, sim: Simulation) -> CompiledRule:
        """Return the rule's run-time form for one simulation."""
        raise NotImplementedError


class CompiledRule:
    """A rule bound to one simulation: day range as integers, places as indices.

    Subclasses override the hooks they need: `gates`, `on_arrival`, `daily`.
    """

    def __init__(self, rule: Rule, sim: Simulation):
        self.rule = rule
        self.sim = sim
        self.id = rule.id
        scenario = sim.scenario
        self.first = scenario.day_of(rule.start) if rule.start else -(10**9)
        self.last = scenario.day_of(rule.end) if rule.end else 10**9
        self.active = rule.enabled and rule.applied
        self.at: np.ndarray = np.zeros(0, dtype=np.int32)  # places where on_arrival acts
        who = rule.who
        self._group_ok_cache: np.ndarray | None = None
        self._nat = set(who.nationality)
        self._everybody = (not who.nationality and not who.attributes and who.entered == "any"
                           and not who.transited)
        self._transited_bits: int | None = None  # None: a country beyond the first 16
        if who.transited:
            countries = sim.network.countries
            bits = 0
            for code in who.transited:
                if code in countries and countries.index(code) < 16:
                    bits |= 1 << countries.index(code)
                else:
                    break
            else:
                self._transited_bits = bits

    def in_force(self, day: int) -> bool:
        """Whether the rule acts on this day."""
        return self.active and self.first <= day <= self.last

    def place(self, place_id: str) -> int:
        """Return the index of a place id."""
        return self.sim.network.index(place_id)

    def group_mask(self) -> np.ndarray:
        """Which groups of people (by index) the rule's nationality/attribute terms cover."""
        return self._group_ok()

    def _group_ok(self) -> np.ndarray:
        who = self.rule.who
        groups = self.sim.groups
        if self._group_ok_cache is None or len(self._group_ok_cache) != len(groups):
            ok = np.ones(len(groups), dtype=np.bool_)
            for g, group in enumerate(groups):
                if who.nationality and group.nationality not in self._nat:
                    ok[g] = False
                for key, value in who.attributes.items():
                    if group.get(key) != value:
                        ok[g] = False
            self._group_ok_cache = ok
        return self._group_ok_cache

    def applies(self, idx: np.ndarray) -> np.ndarray:
        """Return a mask of the agents (indices) this rule's `who` covers."""
        if self._everybody:
            return np.ones(len(idx), dtype=np.bool_)
        who = self.rule.who
        a = self.sim.agents
        mask = self._group_ok()[a.group[idx]]
        if who.entered == "registered":
            mask &= (a.flags[idx] & Flag.REGISTERED) != 0
        elif who.entered == "irregular":
            mask &= (a.flags[idx] & Flag.IRREGULAR) != 0
        if who.transited:
            bits = self._transited_bits
            if bits is None:
                return np.zeros(len(idx), dtype=np.bool_)
            mask &= (a.countries[idx] & bits) == bits
        return mask

    def met_at(self) -> set[int]:
        """Places where a person meets this rule (for explanations)."""
        return set(np.asarray(self.at).tolist())

    # hooks ----------------------------------------------------------------------------------
    def gates(self, day: int, gates: Gates) -> None:
        """Close links or add stops for today (default: nothing)."""

    def on_arrival(self, day: int, idx: np.ndarray) -> None:
        """Act on people who stopped at one of `self.at` today (default: nothing)."""

    def daily(self, day: int) -> None:
        """Act on people already held (default: nothing)."""

    # helpers --------------------------------------------------------------------------------
    @property
    def _purpose_base(self) -> int:
        return 1000 + 16 * self.sim.rules.index_of(self.id)

    def trace(self, idx: np.ndarray, event: str, chance: float | None, outcome: str,
              state: State | None = None) -> None:
        """Tell the tracer (explain mode only) what this rule did to these people."""
        tracer = self.sim.tracer
        if tracer is not None and len(idx):
            tracer.record(self, idx, event, chance, outcome, state)

    def move_to(self, idx: np.ndarray, place: int) -> None:
        """Put people at a place (off any link), e.g. bused to a station or returned home."""
        self.sim.put_at(idx, place)

    def split(self, idx: np.ndarray, p: float, purpose: int) -> tuple[np.ndarray, np.ndarray]:
        """Partition people: each with chance p into the first part (see Simulation.split)."""
        return self.sim.split(idx, p, self._purpose_base + purpose)

    def split3(self, idx: np.ndarray, p1: float, p2: float,
               purpose: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Partition people three ways: chance p1, chance p2, the rest."""
        return self.sim.split3(idx, p1, p2, self._purpose_base + purpose)

    def set_timers(self, idx: np.ndarray, day: int, days: Any, purpose: int) -> None:
        """Schedule each person's next decision `days.min`–`days.max` days from `day`."""
        self.sim.set_timers(idx, day + days.min, day + days.max, self._purpose_base + purpose)


def in_states(sim: Simulation, states: tuple[State, ...]) -> np.ndarray:
    """Return indices of agents in any of these states."""
    st = sim.agents.state
    mask = np.zeros(len(st), dtype=np.bool_)
    for s in states:
        mask |= st == int(s)
    return np.flatnonzero(mask)
