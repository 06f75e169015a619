"""`aca`: safe-third-country (asylum cooperative) agreements."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from corridor.engine.states import State
from corridor.rules.base import Chance, CompiledRule, Rule
from corridor.rules.flags import Flag


class SafeThirdCountry(Rule):
    """An asylum cooperative agreement with a partner country.

    From its start date, asylum seekers covered by `who` (nationalities, and `transited` the
    partner country) processed by the U.S. may be transferred to the partner to claim asylum
    there. An agreement with `applied = false` (signed, never applied) has no effect, and
    `corridor explain` says so.

    Attributes:
        partner: The partner country (ISO code).
        transfer_to: Where transferred people arrive.
        home: Origin place for those who go home from there.
        share: Share of covered people the U.S. puts into ACA processing.
        daily_capacity: Transfers a day at most (empty: no limit).
        claim_chance: Chance a transferred person claims asylum in the partner country.
        home_chance: Chance a transferred person (not claiming) goes home; the others leave and
            move on (in transit from `transfer_to`).
    """

    kind: Literal["aca"] = "aca"
    order = 93
    partner: str = Field(pattern=r"^[A-Z]{2}$")
    transfer_to: str | None = None
    home: str | None = None
    share: Chance = 1.0
    daily_capacity: int | None = Field(None, ge=0)
    claim_chance: Chance = 0.0
    home_chance: Chance = 0.0

    def places(self) -> list[str]:
        """Places named."""
        return [p for p in (self.transfer_to, self.home) if p]

    def compile(self, sim):
        """Bind to a simulation."""
        return CompiledSafeThirdCountry(self, sim)


class CompiledSafeThirdCountry(CompiledRule):
    """Transfers covered people to the partner country, within the day's capacity."""

    def __init__(self, rule: SafeThirdCountry, sim):
        super().__init__(rule, sim)
        self.transfer_to = self.place(rule.transfer_to) if rule.transfer_to else -1
        self.home = self.place(rule.home) if rule.home else -1
        self._day = -1
        self._used = 0

    def met_at(self) -> set[int]:
        """Where the U.S. processes asylum seekers: border cities and ports of entry."""
        from corridor.scenario.kinds import KIND_INDEX

        net = self.sim.network
        kinds = [KIND_INDEX["border_city"], KIND_INDEX["port_of_entry"]]
        return set(np.flatnonzero(np.isin(net.kind, kinds)).tolist())

    def transfer(self, day: int, idx: np.ndarray) -> np.ndarray:
        """Transfer covered people; return those not transferred."""
        if not self.in_force(day) or self.transfer_to < 0 or not len(idx):
            return idx
        rule: SafeThirdCountry = self.rule
        if self._day != day:
            self._day, self._used = day, 0
        ok = self.applies(idx)
        chosen, rest = self.split(idx[ok], rule.share, 0)
        rest = np.concatenate([idx[~ok], rest])
        if rule.daily_capacity is not None:
            room = max(rule.daily_capacity - self._used, 0)
            chosen, over = self.sim.take(chosen, room, fifo=False)
            rest = np.concatenate([rest, over])
        self._used += self.sim.people(chosen)
        if not len(chosen):
            return rest
        self.move_to(chosen, self.transfer_to)
        self.sim.change_state(chosen, State.TRANSFERRED_ACA, self.id)
        self.trace(chosen, f"safe third country ({rule.partner})", rule.share,
                   f"transferred to {rule.partner}", State.TRANSFERRED_ACA)
        claimed, others = self.split(chosen, rule.claim_chance, 1)
        self.sim.agents.flags[claimed] |= Flag.ACA_CLAIMED
        self.trace(claimed, "after the transfer", rule.claim_chance,
                   f"claims asylum in {rule.partner}", None)
        went, stay = self.split(others, rule.home_chance, 2)
        if self.home >= 0:
            self.move_to(went, self.home)
            self.sim.change_state(went, State.RETURNED_VOLUNTARY, self.id)
            self.trace(went, "after the transfer", rule.home_chance, "went home",
                       State.RETURNED_VOLUNTARY)
        leave = stay if self.home >= 0 else others
        self.sim.change_state(leave, State.IN_TRANSIT, self.id)
        self.trace(leave, "after the transfer", None, "left to move on", State.IN_TRANSIT)
        return rest
