"""`crossing_between_ports`: crossing into the U.S. away from a port; apprehension and after."""

from __future__ import annotations

from typing import Literal

import numpy as np

from corridor.engine.states import State
from corridor.rules.base import Chance, Rule
from corridor.rules.city import CompiledCityRule
from corridor.rules.flags import Flag


class CrossingBetweenPorts(Rule):
    """Crossing between ports from a border city.

    Attributes:
        city: The Mexican border city people cross from.
        crossing: The place between ports (Border Patrol sector).
        us_place: Where people who get through, or are admitted, go.
        home: Origin place for removals.
        apprehension_chance: Chance of being apprehended (an encounter).
        removal_chance: Chance that an apprehended person to whom neither ACA nor MPP applies is
            removed (→ `returned_air`); the others enter U.S. proceedings.
    """

    kind: Literal["crossing_between_ports"] = "crossing_between_ports"
    order = 92
    city: str
    crossing: str
    us_place: str
    home: str
    apprehension_chance: Chance = 0.8
    removal_chance: Chance = 0.0

    def places(self) -> list[str]:
        """Places named."""
        return [self.city, self.crossing, self.us_place, self.home]

    def compile(self, sim):
        """Bind to a simulation."""
        return CompiledCrossingBetweenPorts(self, sim)


class CompiledCrossingBetweenPorts(CompiledCityRule):
    """Apprehends or lets through; apprehended people go through U.S. processing."""

    def __init__(self, rule: CrossingBetweenPorts, sim):
        super().__init__(rule, sim)
        self.crossing = self.place(rule.crossing)
        self.home = self.place(rule.home)

    def on_arrival(self, day: int, idx: np.ndarray) -> None:
        """Arrivals that no port rule sorted (none in force here) cross between ports."""
        if not self.in_force(day):
            return
        a = self.sim.agents
        idx = self.arrivals(idx)
        idx = idx[(a.flags[idx] & Flag.DECIDED_APPROACH) == 0]
        a.flags[idx] |= Flag.DECIDED_APPROACH
        self.cross(day, idx)

    def cross(self, day: int, idx: np.ndarray) -> None:
        """People try to cross between ports today."""
        idx = idx[self.applies(idx)]
        if not len(idx):
            return
        rule: CrossingBetweenPorts = self.rule
        self.move_to(idx, self.crossing)
        held, through = self.split(idx, rule.apprehension_chance, 0)
        self.move_to(through, self.us_place)
        self.sim.change_state(through, State.ENTERED_US_IRREGULAR, self.id)
        self.trace(through, "crossing between ports", rule.apprehension_chance,
                   "not apprehended", State.ENTERED_US_IRREGULAR)
        self.sim.change_state(held, State.APPREHENDED_US, self.id)
        self.trace(held, "crossing between ports", rule.apprehension_chance, "apprehended",
                   State.APPREHENDED_US)
        rest = self.sim.rules.us_processing(day, held, self.city, self)
        removed, admitted = self.split(rest, rule.removal_chance, 1)
        self.move_to(removed, self.home)
        self.sim.change_state(removed, State.RETURNED_AIR, self.id)
        self.trace(removed, "after apprehension", rule.removal_chance, "removed",
                   State.RETURNED_AIR)
        self.move_to(admitted, self.us_place)
        self.sim.change_state(admitted, State.US_PROCEEDINGS, self.id)
        self.trace(admitted, "after apprehension", rule.removal_chance,
                   "in U.S. proceedings", State.US_PROCEEDINGS)
