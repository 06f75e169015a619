"""`border_control` and `checkpoint`: chances of being stopped, and what follows."""

from __future__ import annotations

from typing import Literal

import numpy as np

from corridor.engine.gates import Gates
from corridor.engine.states import State
from corridor.rules.base import Chance, CompiledRule, Rule
from corridor.rules.flags import Flag
from corridor.rules.scope import Where

Outcome = Literal["turn_back", "detain"]


class BorderControl(Rule):
    """Control of entries into a country at a crossing, on a route or along a border.

    Attributes:
        where: Crossing place, route, or border (`GT>MX`).
        entry: `registered`: entries are registered (CA-4 style); with `register_chance` a person
            is registered, the others enter irregularly. `irregular`: every entry is irregular
            and stopped with `stop_chance`.
        register_chance: Share of entrants who are registered (entry = registered).
        then: What happens to registered entrants: `continue` (free movement), `detain` (taken
            to `detain_at` for identification and review).
        stop_chance: Chance an irregular crossing is stopped.
        on_stop: `turn_back` (to `return_to`, or where they came from) or `detain` (at
            `detain_at`).
    """

    kind: Literal["border_control"] = "border_control"
    order = 20
    where: Where
    entry: Literal["registered", "irregular"] = "irregular"
    register_chance: Chance = 1.0
    then: Literal["continue", "detain"] = "continue"
    stop_chance: Chance = 0.0
    on_stop: Outcome = "turn_back"
    detain_at: str | None = None
    return_to: str | None = None

    def places(self) -> list[str]:
        """Places named."""
        return [*self.where.place_ids(), *(p for p in (self.detain_at, self.return_to) if p)]

    def compile(self, sim):
        """Bind to a simulation."""
        return CompiledBorderControl(self, sim)


class Checkpoint(Rule):
    """A checkpoint at a place or on a route: people without a permit are intercepted.

    Attributes:
        where: The place or route.
        intercept_chance: Chance per pass that a person without a permit is intercepted.
        on_intercept: `detain` (at `detain_at`) or `turn_back` (to `return_to`, or back).
    """

    kind: Literal["checkpoint"] = "checkpoint"
    order = 30
    where: Where
    intercept_chance: Chance = 0.5
    on_intercept: Outcome = "detain"
    detain_at: str | None = None
    return_to: str | None = None

    def places(self) -> list[str]:
        """Places named."""
        return [*self.where.place_ids(), *(p for p in (self.detain_at, self.return_to) if p)]

    def compile(self, sim):
        """Bind to a simulation."""
        return CompiledCheckpoint(self, sim)


class _Interception(CompiledRule):
    """Shared mechanics: stop people entering by `self.links`, then turn back or detain."""

    def __init__(self, rule, sim):
        super().__init__(rule, sim)
        net = sim.network
        self.links = rule.where.entry_links(net)
        self.at = np.unique(net.link_to[self.links]).astype(np.int32)
        self.detain_at = self.place(rule.detain_at) if rule.detain_at else -1
        self.return_to = self.place(rule.return_to) if rule.return_to else -1

    def gates(self, day: int, gates: Gates) -> None:
        """People crossing the controlled links stop at their end today."""
        if self.in_force(day):
            gates.stop_link[self.links] = True

    def entering(self, idx: np.ndarray) -> np.ndarray:
        """Those of idx who just came in by one of the controlled links, in transit."""
        a = self.sim.agents
        net = self.sim.network
        idx = idx[a.state[idx] == State.IN_TRANSIT]
        came = np.zeros(len(idx), dtype=np.bool_)
        prev, here = a.prev_place[idx], a.place[idx]
        for link in self.links:
            came |= (prev == net.link_from[link]) & (here == net.link_to[link])
        idx = idx[came]
        return idx[self.applies(idx)]

    def stop(self, idx: np.ndarray, outcome: str, event: str, chance: float) -> None:
        """Turn back or detain people who were stopped."""
        if not len(idx):
            return
        a = self.sim.agents
        if outcome == "detain":
            self.sim.rules.detain(idx, self.detain_at, self, event, chance)
            return
        if self.return_to >= 0:
            self.move_to(idx, self.return_to)
        else:
            back = a.prev_place[idx].copy()
            for place in np.unique(back[back >= 0]):
                self.move_to(idx[back == place], int(place))
        self.sim.change_state(idx, State.IN_TRANSIT, self.id)  # counted as a flow
        self.trace(idx, event, chance, "turned back", State.IN_TRANSIT)


class CompiledBorderControl(_Interception):
    """Registers or stops entrants."""

    def on_arrival(self, day: int, idx: np.ndarray) -> None:
        """Apply the control to people who just crossed."""
        if not self.in_force(day):
            return
        idx = self.entering(idx)
        if not len(idx):
            return
        a = self.sim.agents
        rule: BorderControl = self.rule
        if rule.entry == "registered":
            registered, irregular = self.split(idx, rule.register_chance, 0)
            a.flags[registered] |= Flag.REGISTERED
            a.flags[irregular] |= Flag.IRREGULAR
            self.sim.change_state(registered, State.IN_TRANSIT, self.id)  # registered entries
            self.trace(registered, "entry registered", rule.register_chance, "registered",
                       State.IN_TRANSIT)
            self.trace(irregular, "entry registered", rule.register_chance,
                       "entered without registering", State.IN_TRANSIT)
            if rule.then == "detain":
                self.sim.rules.detain(registered, self.detain_at, self, "registered and taken "
                                      "to a migration station", 1.0)
            return
        stopped, through = self.split(idx, rule.stop_chance, 1)
        a.flags[through] |= Flag.IRREGULAR
        self.trace(through, "irregular crossing", rule.stop_chance, "not stopped",
                   State.IN_TRANSIT)
        self.stop(stopped, rule.on_stop, "irregular crossing stopped", rule.stop_chance)


class CompiledCheckpoint(_Interception):
    """Intercepts people without a permit."""

    def __init__(self, rule, sim):
        super().__init__(rule, sim)
        if rule.where.place:  # a checkpoint at a place: everyone arriving there passes it
            net = sim.network
            self.links = np.flatnonzero(net.link_to == self.place(rule.where.place))

    def on_arrival(self, day: int, idx: np.ndarray) -> None:
        """Intercept, with the rule's chance, people without a permit."""
        if not self.in_force(day):
            return
        idx = self.entering(idx)
        a = self.sim.agents
        idx = idx[(a.flags[idx] & Flag.PERMIT) == 0]
        if not len(idx):
            return
        rule: Checkpoint = self.rule
        caught, passed = self.split(idx, rule.intercept_chance, 0)
        self.trace(passed, "checkpoint", rule.intercept_chance, "passed", State.IN_TRANSIT)
        self.stop(caught, rule.on_intercept, "intercepted at a checkpoint",
                  rule.intercept_chance)
