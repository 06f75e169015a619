"""The interface through which rules act on a running simulation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from corridor.engine.gates import Gates
from corridor.engine.states import State
from corridor.scenario.kinds import KIND_INDEX

if TYPE_CHECKING:
    from corridor.engine.simulation import Simulation


class RuleHooks:
    """What the daily loop asks of the rules.

    This base applies no policy rule, only the one fact of the network: people in transit who
    reach a `destination` place have arrived.

    The loop calls, each day: `daily` (timers and queues: decisions, returns, hearings), then
    `gates` (what the movement kernel must respect), then, after movement, `on_arrival` for the
    people who stopped at a gate.
    """

    def __init__(self, sim: Simulation):
        self.sim = sim
        net = sim.network
        self.is_destination = net.kind == KIND_INDEX["destination"]
        self.destinations = np.flatnonzero(self.is_destination)
        self._gates: Gates | None = None  # see `gates`

    def base_gates(self) -> Gates:
        """Gates with every link open and a stop at each destination."""
        net = self.sim.network
        gates = Gates.open(net.n_places, net.n_links)
        gates.stop_place[self.destinations] = True
        return gates

    def daily(self, day: int) -> None:
        """Apply the rules that act on people already held (none here)."""

    def gates(self, day: int) -> Gates:
        """Return today's open links and stop places.

        Without rules they are the same every day, and the movement kernels only read them:
        one `Gates` serves the whole run (rules build theirs afresh each day on `base_gates`).
        """
        if self._gates is None:
            self._gates = self.base_gates()
        return self._gates

    def on_arrival(self, day: int, arrived: np.ndarray) -> None:
        """People in transit who stopped at a destination have arrived."""
        self.arrive(arrived)

    def arrive(self, idx: np.ndarray) -> None:
        """Move people in transit at a destination place into `arrived`."""
        if not len(self.destinations) or not len(idx):
            return
        a = self.sim.agents
        done = idx[self.is_destination[a.place[idx]] & (a.link[idx] < 0)
                   & (a.state[idx] == State.IN_TRANSIT)]
        self.sim.change_state(done, State.ARRIVED, "arrival")
