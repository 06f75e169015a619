"""The interface through which rules act on a running simulation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from corridor.engine.gates import Gates

if TYPE_CHECKING:
    from corridor.engine.simulation import Simulation


class RuleHooks:
    """What the daily loop asks of the rules. This base applies no rule at all.

    The loop calls, each day: `daily` (timers and queues: decisions, returns, hearings), then
    `gates` (what the movement kernel must respect), then, after movement, `on_arrival` for the
    people who stopped at a gate.
    """

    def __init__(self, sim: Simulation):
        self.sim = sim
        self._open = Gates.open(sim.network.n_places, sim.network.n_links)

    def daily(self, day: int) -> None:
        """Apply the rules that act on people already held (none here)."""

    def gates(self, day: int) -> Gates:
        """Return today's open links and stop places (all open, no stops here)."""
        return self._open

    def on_arrival(self, day: int, arrived: np.ndarray) -> None:
        """Apply the rules met by people who stopped at a gate (none here)."""
