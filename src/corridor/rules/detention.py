"""`detention` at a migration station, and `case_review` with the offer to stay and work."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from corridor.engine.states import State
from corridor.rules.base import Chance, CompiledRule, Days, Rule
from corridor.rules.flags import Flag


class Detention(Rule):
    """Detention at a migration station until a decision.

    Attributes:
        place: The station.
        capacity: Most people held at once (empty: unlimited); people brought in beyond it are
            released on the spot and go on irregularly.
        decision_days: Days from arrival to the decision.
        release_chance: Chance the decision is release (go on, without a permit); otherwise the
            case is reviewed (a `case_review` rule at this station) or, with none, a return is
            ordered.
    """

    kind: Literal["detention"] = "detention"
    order = 60
    place: str
    capacity: int | None = Field(None, ge=0)
    decision_days: Days = Days(min=1, max=3)
    release_chance: Chance = 0.0

    def places(self) -> list[str]:
        """Places named."""
        return [self.place]

    def compile(self, sim):
        """Bind to a simulation."""
        return CompiledDetention(self, sim)


class CaseReview(Rule):
    """Identification and review of each case, with the offer to stay and work in the south.

    Mexico, January 2020: stay and work in the south, or ask for asylum (COMAR) and stay in the
    state; either way no permit to transit north; those who refuse are returned. A person to
    whom no `transit_permit` rule denies transit that day is granted a transit permit instead
    (decided person by person: people reviewed together do not share a decision).

    Attributes:
        places: Stations where cases are reviewed.
        accept_chance: Chance a person accepts to stay and work (→ `settled_south`).
        asylum_chance: Chance that a person who does not accept work applies for asylum
            (→ `asylum_transit` through the `asylum_transit` rule).
        settle_at: Where people who accept go.
        on_refuse: `return` (ordered; wait for a seat) or `release` (go on irregularly).
    """

    kind: Literal["case_review"] = "case_review"
    order = 50
    places_: list[str] = Field(alias="places", min_length=1)
    accept_chance: Chance = 0.0
    asylum_chance: Chance = 0.0
    settle_at: str
    on_refuse: Literal["return", "release"] = "return"

    def places(self) -> list[str]:
        """Places named."""
        return [*self.places_, self.settle_at]

    def compile(self, sim):
        """Bind to a simulation."""
        return CompiledCaseReview(self, sim)


class CompiledDetention(CompiledRule):
    """Admits people (up to capacity) and decides their cases when the time comes."""

    def __init__(self, rule: Detention, sim):
        super().__init__(rule, sim)
        self.station = self.place(rule.place)

    def met_at(self) -> set[int]:
        """The station."""
        return {self.station}

    def admit(self, day: int, idx: np.ndarray, by: str) -> None:
        """Hold people brought to the station by rule `by`; beyond capacity they are released."""
        a = self.sim.agents
        rule: Detention = self.rule
        if rule.capacity is not None:
            held = self.sim.people(np.flatnonzero((a.state == State.DETAINED)
                                                  & (a.place == self.station)))
            room = max(rule.capacity - held, 0)
            idx, over = self.sim.take(idx, room, fifo=False)
            self.sim.rules.release(over, self, "station full: released")
        self.sim.change_state(idx, State.DETAINED, by)
        self.set_timers(idx, day, rule.decision_days, 0)
        self.trace(idx, "detained", None, f"decision in {rule.decision_days.min}–"
                   f"{rule.decision_days.max} days", State.DETAINED)

    def daily(self, day: int) -> None:
        """Decide the cases that are due."""
        if not self.in_force(day):
            return
        a = self.sim.agents
        due = np.flatnonzero((a.state == State.DETAINED) & (a.place == self.station)
                             & (a.timer <= day) & (a.timer >= 0)
                             & ((a.flags & Flag.RETURN_ORDERED) == 0))
        if not len(due):
            return
        a.timer[due] = -1
        freed, kept = self.split(due, self.rule.release_chance, 1)
        self.sim.rules.release(freed, self, "released after the decision",
                               self.rule.release_chance)
        self.sim.rules.review(day, kept, self.station)


class CompiledCaseReview(CompiledRule):
    """Offers stay-and-work or asylum; refusals are returned (or released)."""

    def __init__(self, rule: CaseReview, sim):
        super().__init__(rule, sim)
        self.stations = np.array([self.place(p) for p in rule.places_], dtype=np.int32)
        self.settle_at = self.place(rule.settle_at)

    def met_at(self) -> set[int]:
        """The stations."""
        return set(self.stations.tolist())

    def covers(self, station: int) -> bool:
        """Whether cases at this station are reviewed under this rule."""
        return bool(np.isin(station, self.stations))

    def review(self, day: int, idx: np.ndarray) -> np.ndarray:
        """Review these cases; return those the rule does not cover (not its `who`)."""
        covered = self.applies(idx)
        rest, idx = idx[~covered], idx[covered]
        a = self.sim.agents
        a.flags[idx] |= Flag.REVIEWED
        rules = self.sim.rules
        denied = rules.transit_denied(day, idx)  # per person (per row of people with counts)
        granted, idx = idx[~denied], idx[denied]
        if len(granted):
            a.flags[granted] |= Flag.PERMIT
            rules.release(granted, self, "case review: transit permit granted")
        if not len(idx):
            return rest
        rule: CaseReview = self.rule
        settled, refused = self.split(idx, rule.accept_chance, 0)
        self.move_to(settled, self.settle_at)
        self.sim.change_state(settled, State.SETTLED_SOUTH, self.id)
        self.trace(settled, "offer to stay and work", rule.accept_chance, "accepted",
                   State.SETTLED_SOUTH)
        asks, declines = self.split(refused, rule.asylum_chance, 1)
        self.trace(asks, "offer to stay and work", rule.accept_chance,
                   "refused; applies for asylum", None)
        left = rules.apply_asylum(day, asks, self)
        refusing = np.concatenate([declines, left])
        self.trace(refusing, "offer to stay and work", rule.accept_chance,
                   "refused; no permit to transit", None)
        if rule.on_refuse == "return":
            rules.order_return(refusing, self)
        else:
            rules.release(refusing, self, "refused the offer: released")
        return rest
