"""`asylum_transit`: asylum claims in the transit country (COMAR), binding to the state."""

from __future__ import annotations

from typing import Literal

import numpy as np

from corridor.engine.gates import Gates
from corridor.engine.states import State
from corridor.rules.base import Chance, CompiledRule, Days, Rule


class AsylumTransit(Rule):
    """An asylum application in the transit country binds the applicant to the state.

    Attributes:
        place: The office where claims are made (applicants wait there).
        apply_chance: Chance that a person in transit reaching the office applies of their own
            accord (people offered asylum at a review apply through `case_review`).
        processing_days: Days until the decision.
        recognition_chance: Chance of recognition (→ `refugee_transit`).
        abandon_chance: Daily chance that an applicant leaves the state irregularly.
        on_reject: `return` (ordered) or `leave` (go on irregularly).
    """

    kind: Literal["asylum_transit"] = "asylum_transit"
    order = 70
    place: str
    apply_chance: Chance = 0.0
    processing_days: Days = Days(min=45, max=90)
    recognition_chance: Chance = 0.5
    abandon_chance: Chance = 0.0
    on_reject: Literal["return", "leave"] = "leave"

    def places(self) -> list[str]:
        """Places named."""
        return [self.place]

    def compile(self, sim):
        """Bind to a simulation."""
        return CompiledAsylumTransit(self, sim)


class CompiledAsylumTransit(CompiledRule):
    """Takes applications, holds applicants at the office, decides claims."""

    def __init__(self, rule: AsylumTransit, sim):
        super().__init__(rule, sim)
        self.office = self.place(rule.place)
        self.at = np.array([self.office], dtype=np.int32)

    def gates(self, day: int, gates: Gates) -> None:
        """People reaching the office stop there (to decide whether to apply)."""
        if self.in_force(day) and self.rule.apply_chance > 0:
            gates.stop_place[self.office] = True

    def on_arrival(self, day: int, idx: np.ndarray) -> None:
        """Some people in transit reaching the office apply."""
        if not self.in_force(day) or self.rule.apply_chance <= 0:
            return
        a = self.sim.agents
        idx = idx[(a.place[idx] == self.office) & (a.state[idx] == State.IN_TRANSIT)]
        idx = idx[self.applies(idx)]
        applying, not_applying = self.split(idx, self.rule.apply_chance, 0)
        self.trace(not_applying, "may ask for asylum here", self.rule.apply_chance,
                   "did not apply", None)
        self.take(day, applying, self.rule.apply_chance)

    def take(self, day: int, idx: np.ndarray, chance: float | None = None) -> None:
        """Register applications: applicants wait at the office, bound to the state."""
        if not len(idx):
            return
        self.move_to(idx, self.office)
        self.sim.change_state(idx, State.ASYLUM_TRANSIT, self.id)
        self.set_timers(idx, day, self.rule.processing_days, 1)
        self.trace(idx, "asylum application", chance, "applied; bound to the state",
                   State.ASYLUM_TRANSIT)

    def daily(self, day: int) -> None:
        """Applicants may abandon; decisions fall when due."""
        a = self.sim.agents
        waiting = np.flatnonzero((a.state == State.ASYLUM_TRANSIT) & (a.place == self.office))
        if not len(waiting):
            return
        rule: AsylumTransit = self.rule
        gone, waiting = self.split(waiting, rule.abandon_chance, 2)
        self.sim.change_state(gone, State.IN_TRANSIT, self.id)
        self.trace(gone, "waiting for a decision", rule.abandon_chance,
                   "left the state irregularly", State.IN_TRANSIT)
        a = self.sim.agents
        due = waiting[a.timer[waiting] <= day]
        a.timer[due] = -1
        recognised, rejected = self.split(due, rule.recognition_chance, 3)
        self.sim.change_state(recognised, State.REFUGEE_TRANSIT, self.id)
        self.trace(recognised, "asylum decision", rule.recognition_chance, "recognised",
                   State.REFUGEE_TRANSIT)
        self.trace(rejected, "asylum decision", rule.recognition_chance, "rejected", None)
        if rule.on_reject == "return":
            self.sim.change_state(rejected, State.DETAINED, self.id)
            self.sim.rules.order_return(rejected, self)
        else:
            self.sim.change_state(rejected, State.IN_TRANSIT, self.id)
