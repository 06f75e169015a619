"""`port_of_entry`: asking for asylum at a U.S. port, with metering (a daily quota and a list)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from corridor.engine.states import State
from corridor.rules.base import Chance, Rule
from corridor.rules.city import CompiledCityRule
from corridor.rules.flags import Flag


class PortOfEntry(Rule):
    """The right to ask for asylum at a port of entry, from a Mexican border city.

    People in transit reaching `city` choose, once: ask for asylum at the port (`claim_share`),
    or cross between ports (if a `crossing_between_ports` rule acts at this city; otherwise
    they ask at the port too). With `daily_quota` (metering) they join a waiting list in the
    city (`waiting_metering`) and are called first come, first served; without, they are
    processed the day they arrive. Processing at the port applies the ACA and MPP rules in
    force there, else the person enters U.S. proceedings.

    Attributes:
        city: The Mexican border city.
        port: The U.S. port of entry.
        us_place: Where people admitted into the U.S. go.
        claim_share: Share of arrivals who ask at the port.
        daily_quota: People processed a day (empty: no metering).
        give_up_chance: Daily chance that a person on the list gives up (→ `gave_up`).
        cross_chance: Daily chance that a person on the list tries between ports instead.
        listed_before: People already on the list when the rule starts (with `daily_quota`):
            the quota calls them first, so the model's people wait behind them. They are not
            people of the model: only the time they take is.
    """

    kind: Literal["port_of_entry"] = "port_of_entry"
    order = 90
    city: str
    port: str
    us_place: str
    claim_share: Chance = 1.0
    daily_quota: int | None = Field(None, ge=0)
    give_up_chance: Chance = 0.0
    cross_chance: Chance = 0.0
    listed_before: int = Field(0, ge=0)

    def places(self) -> list[str]:
        """Places named."""
        return [self.city, self.port, self.us_place]

    def compile(self, sim):
        """Bind to a simulation."""
        return CompiledPortOfEntry(self, sim)


class CompiledPortOfEntry(CompiledCityRule):
    """Sorts arrivals at the city; runs the waiting list; processes claims at the port."""

    def __init__(self, rule: PortOfEntry, sim):
        super().__init__(rule, sim)
        self.port = self.place(rule.port)
        self.backlog = rule.listed_before  # people on the list before the model's (see rule)

    def gates(self, day: int, gates) -> None:
        """Stop those ending their journey here; a long waiting list deters new arrivals.

        The list's deterrence is the months it would take to call everyone on it.
        """
        super().gates(day, gates)
        quota = self.rule.daily_quota
        if self.in_force(day) and quota is not None:
            waiting = float(self.sim.recorder.counts[:, self.city, State.WAITING_METERING].sum())
            waiting += self.backlog
            gates.deterrence[self.city] += waiting / max(quota, 1) / 30.0

    def on_arrival(self, day: int, idx: np.ndarray) -> None:
        """Arrivals choose: the port (list or processing) or between ports."""
        if not self.in_force(day):
            return
        a = self.sim.agents
        idx = self.arrivals(idx)
        idx = idx[self.applies(idx)]
        if not len(idx):
            return
        rule: PortOfEntry = self.rule
        a.flags[idx] |= Flag.DECIDED_APPROACH
        rules = self.sim.rules
        can_cross = rules.crossing_at(day, self.city) is not None
        claim, cross = self.split(idx, rule.claim_share if can_cross else 1.0, 0)
        a.flags[claim] |= Flag.AT_PORT
        self.trace(claim, "approach at the border", rule.claim_share,
                   "asks for asylum at the port", None)
        self.trace(cross, "approach at the border", rule.claim_share,
                   "will cross between ports", None)
        rules.cross_between_ports(day, cross, self.city)
        if rule.daily_quota is None:
            self.process(day, claim)
        else:
            self.sim.change_state(claim, State.WAITING_METERING, self.id)
            self.trace(claim, "metering", None, f"on the waiting list ({rule.daily_quota} a day)",
                       State.WAITING_METERING)

    def daily(self, day: int) -> None:
        """Run the waiting list: people give up, try between ports, or are called.

        The quota first calls those listed before the model's people (`listed_before`).
        """
        if not self.in_force(day) or self.rule.daily_quota is None:
            return
        quota = self.rule.daily_quota
        before = min(self.backlog, quota)
        self.backlog -= before
        quota -= before
        a = self.sim.agents
        listed = np.flatnonzero((a.state == State.WAITING_METERING) & (a.place == self.city))
        if not len(listed):
            return
        rule: PortOfEntry = self.rule
        quit_, crossing, listed = self.split3(listed, rule.give_up_chance, rule.cross_chance, 1)
        self.sim.change_state(quit_, State.GAVE_UP, self.id)
        self.trace(quit_, "waiting list", rule.give_up_chance, "gave up", State.GAVE_UP)
        self.sim.change_state(crossing, State.IN_TRANSIT, self.id)
        self.trace(crossing, "waiting list", rule.cross_chance, "tries between ports", None)
        self.sim.rules.cross_between_ports(day, crossing, self.city)
        called, _ = self.sim.take(listed, quota)
        self.trace(called, "metering", None, "called to the port", None)
        self.process(day, called)

    def process(self, day: int, idx: np.ndarray) -> None:
        """Asylum claim at the port: ACA transfer, MPP, or U.S. proceedings."""
        if not len(idx):
            return
        self.move_to(idx, self.port)
        rest = self.sim.rules.us_processing(day, idx, self.city, self)
        self.move_to(rest, self.us_place)
        self.sim.change_state(rest, State.US_PROCEEDINGS, self.id)
        self.trace(rest, "asylum claim at the port", None, "admitted into U.S. proceedings",
                   State.US_PROCEEDINGS)
