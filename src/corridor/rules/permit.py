"""`transit_permit`: moving past a line (out of the southern states) needs a permit."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from corridor.engine.gates import Gates
from corridor.rules.base import Chance, Rule
from corridor.rules.control import _Interception
from corridor.rules.flags import Flag


class TransitPermit(Rule):
    """A permit regime for transit past a line.

    While in force with `issued = false`, transit is denied: reviews do not grant permits (see
    `case_review`), and people leaving `regions` without a permit are intercepted at the line
    with `intercept_chance`. Switching the rule off (or `issued = true`) lets reviews grant
    permits; checkpoints never stop permit holders.

    Attributes:
        regions: Leaving these regions for another region of the same country is crossing the
            line (going back across the border is not).
        issued: Whether permits to transit are issued at all.
        intercept_chance: Chance that a person without a permit is stopped crossing the line.
        on_intercept: `detain` (at `detain_at`) or `turn_back`.
    """

    kind: Literal["transit_permit"] = "transit_permit"
    order = 40
    regions: list[str] = Field(min_length=1)
    issued: bool = False
    intercept_chance: Chance = 0.0
    on_intercept: Literal["detain", "turn_back"] = "detain"
    detain_at: str | None = None
    return_to: str | None = None

    def places(self) -> list[str]:
        """Places named."""
        return [p for p in (self.detain_at, self.return_to) if p]

    def compile(self, sim):
        """Bind to a simulation."""
        return CompiledTransitPermit(self, sim)


class CompiledTransitPermit(_Interception):
    """Marks the line's links; denies transit; intercepts people crossing without a permit."""

    def __init__(self, rule: TransitPermit, sim):
        from corridor.rules.base import CompiledRule

        CompiledRule.__init__(self, rule, sim)
        net = sim.network
        inside = np.isin(np.array(net.regions, dtype=object)[net.region], rule.regions)
        same_country = net.country[net.link_from] == net.country[net.link_to]
        self.links = np.flatnonzero(inside[net.link_from] & ~inside[net.link_to] & same_country)
        self.at = np.unique(net.link_to[self.links]).astype(np.int32)
        self.detain_at = self.place(rule.detain_at) if rule.detain_at else -1
        self.return_to = self.place(rule.return_to) if rule.return_to else -1

    def denies(self, day: int, idx: np.ndarray) -> np.ndarray:
        """Mask of people (idx) to whom transit is denied today."""
        if not self.in_force(day) or self.rule.issued:
            return np.zeros(len(idx), dtype=np.bool_)
        return self.applies(idx)

    def gates(self, day: int, gates: Gates) -> None:
        """Stop people at the line when it is enforced."""
        if self.in_force(day) and self.rule.intercept_chance > 0:
            gates.stop_link[self.links] = True

    def on_arrival(self, day: int, idx: np.ndarray) -> None:
        """Intercept people crossing the line without a permit."""
        if not self.in_force(day) or self.rule.intercept_chance <= 0:
            return
        idx = self.entering(idx)
        a = self.sim.agents
        idx = idx[(a.flags[idx] & Flag.PERMIT) == 0]
        caught, passed = self.split(idx, self.rule.intercept_chance, 0)
        self.trace(passed, "crossing the transit line without a permit",
                   self.rule.intercept_chance, "not stopped", None)
        self.stop(caught, self.rule.on_intercept, "stopped at the transit line",
                  self.rule.intercept_chance)
