"""`assisted_return`: seats home by plane or bus each day; people wait until one is free."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from corridor.engine.states import State
from corridor.rules.base import Chance, CompiledRule, Rule
from corridor.rules.flags import Flag

STATE_OF_MODE = {"air": State.RETURNED_AIR, "land": State.RETURNED_LAND,
                 "voluntary": State.RETURNED_VOLUNTARY}


class AssistedReturn(Rule):
    """Returns to the origin country with a daily number of seats.

    Attributes:
        mode: `air` and `land` take people whose return was ordered and who wait in detention at
            `from_places` (first come, first served); `voluntary` offers seats to people in
            transit or waiting at `from_places`, each taking one with `take_chance` a day.
        from_places: Where people are picked up.
        to: Where they are taken (a place in the origin country).
        daily_seats: Seats a day (e.g. 4 flights × 110).
    """

    kind: Literal["assisted_return"] = "assisted_return"
    order = 80
    mode: Literal["air", "land", "voluntary"]
    from_places: list[str] = Field(min_length=1)
    to: str
    daily_seats: int = Field(ge=0)
    take_chance: Chance = 0.0

    def places(self) -> list[str]:
        """Places named."""
        return [*self.from_places, self.to]

    def compile(self, sim):
        """Bind to a simulation."""
        return CompiledAssistedReturn(self, sim)


class CompiledAssistedReturn(CompiledRule):
    """Fills the day's seats, longest waiting first."""

    def __init__(self, rule: AssistedReturn, sim):
        super().__init__(rule, sim)
        self.pickup = np.array([self.place(p) for p in rule.from_places], dtype=np.int32)
        self.home = self.place(rule.to)
        self.state = STATE_OF_MODE[rule.mode]

    def met_at(self) -> set[int]:
        """Where people are picked up."""
        return set(self.pickup.tolist())

    def daily(self, day: int) -> None:
        """Take people home, up to the day's seats."""
        if not self.in_force(day):
            return
        a = self.sim.agents
        rule: AssistedReturn = self.rule
        if rule.mode == "voluntary":
            at = np.isin(a.place, self.pickup) & (a.link < 0)
            cand = np.flatnonzero(at & ((a.state == State.IN_TRANSIT)
                                        | (a.state == State.WAITING)))
            cand = cand[self.applies(cand)]
            cand, _ = self.split(cand, rule.take_chance, 0)
            taken, _ = self.sim.take(cand, rule.daily_seats)  # longest waiting first
        else:
            simple = rule.who.entered == "any" and not rule.who.transited
            if simple:  # scan once, keep only the seats' worth (memory independent of N)
                taken = self.sim.first_come((State.DETAINED,), self.pickup, rule.daily_seats,
                                            self.group_mask(), int(Flag.RETURN_ORDERED))
            else:
                at = np.isin(a.place, self.pickup) & (a.link < 0)
                cand = np.flatnonzero(at & (a.state == State.DETAINED)
                                      & ((a.flags & Flag.RETURN_ORDERED) != 0))
                taken, _ = self.sim.take(cand[self.applies(cand)], rule.daily_seats)
        if not len(taken):
            return
        self.move_to(taken, self.home)
        a.flags[taken] &= ~Flag.RETURN_ORDERED
        self.sim.change_state(taken, self.state, self.id)
        self.trace(taken, f"{rule.mode} return ({rule.daily_seats} seats a day)",
                   rule.take_chance if rule.mode == "voluntary" else None,
                   f"returned to {rule.to}", self.state)
