"""`closure`: a crossing, route or place closed for a period; people wait, turn back or reroute."""

from __future__ import annotations

from typing import Literal

import numpy as np

from corridor.engine.gates import Gates
from corridor.engine.states import State
from corridor.rules.base import CompiledRule, Rule
from corridor.rules.scope import Where


class Closure(Rule):
    """A crossing, route or place closed for a period.

    Nobody can take the links into the place, the route, or across the border.

    Attributes:
        where: The place, route or border closed.
        action: What people who reach it do: `wait` at the last place before it until it
            reopens; `turn_back` one hop and wait there; `reroute`: take another open way if one
            exists (else they stay where they are).
    """

    kind: Literal["closure"] = "closure"
    order = 10
    where: Where
    action: Literal["wait", "turn_back", "reroute"] = "wait"

    def places(self) -> list[str]:
        """Places named."""
        return self.where.place_ids()

    def compile(self, sim):
        """Bind to a simulation."""
        return CompiledClosure(self, sim)


class CompiledClosure(CompiledRule):
    """Closes links; holds people at the approach places (`waiting`, released when it ends)."""

    def __init__(self, rule: Closure, sim):
        super().__init__(rule, sim)
        net = sim.network
        self.links = rule.where.entry_links(net)
        self.at = np.unique(net.link_from[self.links]).astype(np.int32)

    def gates(self, day: int, gates: Gates) -> None:
        """Close the links; make the approach places stops (unless rerouting)."""
        if not self.in_force(day):
            return
        gates.link_open[self.links] = False
        if self.rule.action == "reroute":
            gates.route_open[self.links] = False
        else:
            gates.stop_place[self.at] = True

    def daily(self, day: int) -> None:
        """Hold people in transit at the approach places; release them when it reopens."""
        a = self.sim.agents
        if self.in_force(day) and self.rule.action != "reroute":
            here = np.flatnonzero(np.isin(a.place, self.at) & (a.link < 0)
                                  & (a.state == State.IN_TRANSIT))
            self._hold(day, here)
        elif day == self.last + 1:
            held = np.flatnonzero((a.state == State.WAITING) & (a.timer == self.last + 1)
                                  & np.isin(a.place, self._held_places()))
            self.sim.change_state(held, State.IN_TRANSIT, self.id)
            self.trace(held, "reopened", None, "released")

    def _adjacent(self, back: np.ndarray, here: np.ndarray) -> np.ndarray:
        """Whether a route leads from each `back` place to the `here` place.

        Turning back is one hop: a previous place that is not a neighbour (a representation
        that does not keep the previous place, as the flee model's count rows) leaves the
        person waiting where they are rather than sending them across the map.
        """
        net = self.sim.network
        pairs = set(zip(net.link_from.tolist(), net.link_to.tolist(), strict=True))
        return np.array([(int(b), int(h)) in pairs for b, h in zip(back, here, strict=True)],
                        dtype=np.bool_)

    def _held_places(self) -> np.ndarray:
        if self.rule.action == "turn_back":
            return np.arange(self.sim.network.n_places)
        return self.at

    def on_arrival(self, day: int, idx: np.ndarray) -> None:
        """People reaching the closure wait (or turn back and wait)."""
        if not self.in_force(day) or self.rule.action == "reroute":
            return
        a = self.sim.agents
        idx = idx[np.isin(a.place[idx], self.at) & (a.state[idx] == State.IN_TRANSIT)]
        self._hold(day, idx)

    def _hold(self, day: int, idx: np.ndarray) -> None:
        idx = idx[self.applies(idx)]
        if not len(idx):
            return
        a = self.sim.agents
        if self.rule.action == "turn_back":
            back = a.prev_place[idx]
            movable = (back >= 0) & self._adjacent(back, a.place[idx])
            for place in np.unique(back[movable]):
                sel = idx[movable & (back == place)]
                self.move_to(sel, int(place))
        self.sim.change_state(idx, State.WAITING, self.id)
        a.timer[idx] = min(self.last + 1, np.iinfo(np.int16).max)
        self.trace(idx, "closed", 1.0, self.rule.action, State.WAITING)
