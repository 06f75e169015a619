"""`mpp`: Remain in Mexico — asylum seekers wait in the Mexican border city for their hearing."""

from __future__ import annotations

from typing import Literal

import numpy as np

from corridor.engine.states import State
from corridor.rules.base import Chance, CompiledRule, Days, Rule

MPP_DETERRENCE = 1.0  # deterrence of a city where Remain in Mexico enrols (see Gates)


class RemainInMexico(Rule):
    """Migrant Protection Protocols at one port, from its start date.

    Eligible asylum seekers (see `who`: Spanish-speaking nationalities and Brazil) processed at
    the port or apprehended between ports in its sector are sent back to the border city until
    a hearing date drawn from `hearing_days`.

    Attributes:
        city: The Mexican border city people are sent back to.
        port: The U.S. port (for explanations).
        us_place: Where people go when they attend their hearing (U.S. proceedings).
        home: Origin place for those who return home.
        hearing_days: Days to the first hearing.
        miss_chance: Chance of missing the hearing (→ `gave_up`: ordered removed in absentia).
        give_up_chance: Daily chance of giving up while waiting (→ `gave_up`).
        return_home_chance: Daily chance of going home while waiting (→ `returned_voluntary`).
    """

    kind: Literal["mpp"] = "mpp"
    order = 95
    city: str
    port: str
    us_place: str
    home: str
    hearing_days: Days = Days(min=60, max=120)
    miss_chance: Chance = 0.5
    give_up_chance: Chance = 0.0
    return_home_chance: Chance = 0.0

    def places(self) -> list[str]:
        """Places named."""
        return [self.city, self.port, self.us_place, self.home]

    def compile(self, sim):
        """Bind to a simulation."""
        return CompiledRemainInMexico(self, sim)


class CompiledRemainInMexico(CompiledRule):
    """Enrols people, holds them in the city, and runs the hearings."""

    def __init__(self, rule: RemainInMexico, sim):
        super().__init__(rule, sim)
        self.city = self.place(rule.city)
        self.us_place = self.place(rule.us_place)
        self.home = self.place(rule.home)

    def met_at(self) -> set[int]:
        """The border city."""
        return {self.city}

    def gates(self, day: int, gates) -> None:
        """Make the city less attractive as a destination while enrolments go on there.

        Exposure to Remain in Mexico counts 1 in the destination choice's deterrence.
        """
        if self.in_force(day):
            gates.deterrence[self.city] += MPP_DETERRENCE

    def enrol(self, day: int, idx: np.ndarray) -> np.ndarray:
        """Send the eligible back to the city to wait; return those not eligible."""
        if not self.in_force(day):
            return idx
        ok = self.applies(idx)
        enrolled = idx[ok]
        self.move_to(enrolled, self.city)
        self.sim.change_state(enrolled, State.WAITING_MPP, self.id)
        self.set_timers(enrolled, day, self.rule.hearing_days, 0)
        self.trace(enrolled, "Remain in Mexico", 1.0, f"sent back to {self.rule.city} to wait "
                   f"{self.rule.hearing_days.min}–{self.rule.hearing_days.max} days for a "
                   f"hearing", State.WAITING_MPP)
        return idx[~ok]

    def daily(self, day: int) -> None:
        """Waiting people may give up or go home; hearings fall when due."""
        a = self.sim.agents
        waiting = np.flatnonzero((a.state == State.WAITING_MPP) & (a.place == self.city))
        if not len(waiting):
            return
        rule: RemainInMexico = self.rule
        quit_, went, waiting = self.split3(waiting, rule.give_up_chance,
                                           rule.return_home_chance, 1)
        self.sim.change_state(quit_, State.GAVE_UP, self.id)
        self.trace(quit_, "waiting under MPP", rule.give_up_chance, "gave up", State.GAVE_UP)
        self.move_to(went, self.home)
        self.sim.change_state(went, State.RETURNED_VOLUNTARY, self.id)
        self.trace(went, "waiting under MPP", rule.return_home_chance, "went home",
                   State.RETURNED_VOLUNTARY)
        a = self.sim.agents
        due = waiting[(a.timer[waiting] <= day) & (a.timer[waiting] >= 0)]
        a.timer[due] = -1
        missed, attend = self.split(due, rule.miss_chance, 2)
        self.sim.change_state(missed, State.GAVE_UP, self.id)
        self.trace(missed, "MPP hearing", rule.miss_chance,
                   "missed the hearing; ordered removed in absentia", State.GAVE_UP)
        self.move_to(attend, self.us_place)
        self.sim.change_state(attend, State.US_PROCEEDINGS, self.id)
        self.trace(attend, "MPP hearing", rule.miss_chance, "attended; in U.S. proceedings",
                   State.US_PROCEEDINGS)
