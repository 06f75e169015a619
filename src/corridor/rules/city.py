"""What the U.S.-border rules share: they act on people who reach a Mexican border city."""

from __future__ import annotations

import numpy as np

from corridor.engine.gates import Gates
from corridor.engine.states import State
from corridor.rules.base import CompiledRule


class CompiledCityRule(CompiledRule):
    """A rule met in a border city: people reaching it stop there for the day."""

    def __init__(self, rule, sim):
        super().__init__(rule, sim)
        self.city = self.place(rule.city)
        self.us_place = self.place(rule.us_place)
        self.at = np.array([self.city], dtype=np.int32)

    def gates(self, day: int, gates: Gates) -> None:
        """Those ending their journey in the city stop there (and choose how to cross).

        People without a destination stop too; people heading for another border city pass
        through (see `Gates.goal_stop`).
        """
        if self.in_force(day):
            gates.goal_stop[self.city] = True

    def arrivals(self, idx: np.ndarray) -> np.ndarray:
        """Those of idx in transit in the city."""
        a = self.sim.agents
        return idx[(a.place[idx] == self.city) & (a.state[idx] == State.IN_TRANSIT)]
