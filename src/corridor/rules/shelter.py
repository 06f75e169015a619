"""`shelter`: a place a city opens for a caravan, where people stop and rest before going on."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from corridor.engine.gates import Gates
from corridor.engine.states import State
from corridor.rules.base import CompiledRule, Days, Rule


class Shelter(Rule):
    """A shelter opened for a caravan (e.g. Mexico City's stadium, November 2018).

    While it is open, people in transit who reach `place` stop there and rest `stay_days`
    (drawn per person) in state `waiting`, then go on. With `capacity`, people who find it
    full pass through. When it closes, everyone still in it goes on.

    Attributes:
        place: Where the shelter is.
        capacity: Most people sheltered at once (empty: unlimited).
        stay_days: Days a person rests there before going on.
    """

    kind: Literal["shelter"] = "shelter"
    order = 85
    place: str
    capacity: int | None = Field(None, ge=0)
    stay_days: Days = Days(min=1, max=3)

    def places(self) -> list[str]:
        """Places named."""
        return [self.place]

    def compile(self, sim):
        """Bind to a simulation."""
        return CompiledShelter(self, sim)


class CompiledShelter(CompiledRule):
    """Stops arrivals at the place, holds them for their stay, and lets them go on."""

    def __init__(self, rule: Shelter, sim):
        super().__init__(rule, sim)
        self.site = self.place(rule.place)
        self.at = np.array([self.site], dtype=np.int32)

    def _sheltered(self) -> np.ndarray:
        a = self.sim.agents
        return np.flatnonzero((a.state == State.WAITING) & (a.place == self.site)
                              & (a.link < 0) & (a.timer >= 0) & (a.timer < 10**9))

    def gates(self, day: int, gates: Gates) -> None:
        """People reaching the shelter while it is open end their day there."""
        if self.in_force(day):
            gates.stop_place[self.site] = True

    def on_arrival(self, day: int, idx: np.ndarray) -> None:
        """Shelter the arrivals it covers, up to its capacity; the rest pass through."""
        if not self.in_force(day):
            return
        a = self.sim.agents
        idx = idx[(a.place[idx] == self.site) & (a.state[idx] == State.IN_TRANSIT)
                  & (a.link[idx] < 0)]
        idx = idx[self.applies(idx)]
        if not len(idx):
            return
        rule: Shelter = self.rule
        if rule.capacity is not None:
            room = max(rule.capacity - self.sim.people(self._sheltered()), 0)
            idx, _ = self.sim.take(idx, room, fifo=False)
        self.sim.change_state(idx, State.WAITING, self.id)
        self.set_timers(idx, day, rule.stay_days, 0)
        self.trace(idx, "shelter", None, f"rests {rule.stay_days.min}–{rule.stay_days.max} "
                   f"days", State.WAITING)

    def daily(self, day: int) -> None:
        """People whose stay is over go on; all go on the day after it closes."""
        if not (self.in_force(day) or day == self.last + 1):
            return
        a = self.sim.agents
        held = self._sheltered()
        due = held if day > self.last else held[a.timer[held] <= day]
        if not len(due):
            return
        a.timer[due] = -1
        self.sim.change_state(due, State.IN_TRANSIT, self.id)
        self.trace(due, "shelter", None, "goes on")
