"""`RuleBook`: all rules of a run, applied in the documented order, and how they hand people on.

The order at a place (docs/rules.md) is the `order` of each rule kind, then the order of the
rules in `rules.toml`: closure (10) → border_control (20) → checkpoint (30) → transit_permit (40)
→ case_review (50) → detention (60) → asylum_transit (70) → assisted_return (80) →
port_of_entry (90) → crossing_between_ports (92) → aca (93) → mpp (95).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from corridor.engine.gates import Gates
from corridor.engine.hooks import RuleHooks
from corridor.engine.states import State
from corridor.rules.aca import CompiledSafeThirdCountry
from corridor.rules.asylum import CompiledAsylumTransit
from corridor.rules.base import CompiledRule
from corridor.rules.between_ports import CompiledCrossingBetweenPorts
from corridor.rules.detention import CompiledCaseReview, CompiledDetention
from corridor.rules.flags import Flag
from corridor.rules.mpp import CompiledRemainInMexico
from corridor.rules.permit import CompiledTransitPermit
from corridor.scenario.kinds import KIND_INDEX

if TYPE_CHECKING:
    from corridor.engine.simulation import Simulation


class RuleBook(RuleHooks):
    """The compiled rules of one simulation."""

    def __init__(self, sim: Simulation):
        super().__init__(sim)
        rules = list(sim.scenario.rules)
        self.rules: list[CompiledRule] = [r.compile(sim) for r in rules]
        self._index = {r.id: i for i, r in enumerate(self.rules)}
        self.ordered = sorted(self.rules, key=lambda r: (r.rule.order, self._index[r.id]))
        self.exit_of = self._station_exits()
        self._of_type: dict[type, list] = {}
        n_places = sim.network.n_places
        self._met_here: list[np.ndarray | None] = []  # per ordered rule: places of `at`
        for rule in self.ordered:
            if len(rule.at):
                mask = np.zeros(n_places, dtype=np.bool_)
                mask[rule.at] = True
                self._met_here.append(mask)
            else:
                self._met_here.append(None)

    def _station_exits(self) -> np.ndarray:
        """Return where people released from each place go.

        From a migration station: the nearest neighbouring place that is not a station;
        elsewhere, the place itself.
        """
        net = self.sim.network
        station = KIND_INDEX["migration_station"]
        exits = np.arange(net.n_places, dtype=np.int32)
        for p in np.flatnonzero(net.kind == station):
            best, best_km = p, np.inf
            for k in range(net.out_ptr[p], net.out_ptr[p + 1]):
                link = net.out_links[k]
                q = net.link_to[link]
                if net.kind[q] != station and net.link_km[link] < best_km:
                    best, best_km = q, net.link_km[link]
            exits[p] = best
        return exits

    def release(self, idx: np.ndarray, by: CompiledRule, outcome: str,
                chance: float | None = None) -> None:
        """Let people go on (in transit), out of the station if they were in one."""
        if not len(idx):
            return
        a = self.sim.agents
        places = self.exit_of[a.place[idx]]
        moved = places != a.place[idx]
        for place in np.unique(places[moved]):
            by.move_to(idx[moved & (places == place)], int(place))
        self.sim.change_state(idx, State.IN_TRANSIT, by.id)
        by.trace(idx, "release", chance, outcome, State.IN_TRANSIT)

    def of_type(self, cls: type) -> list:
        """The compiled rules of one kind, in order."""
        found = self._of_type.get(cls)
        if found is None:
            found = self._of_type[cls] = [r for r in self.ordered if isinstance(r, cls)]
        return found

    def index_of(self, rule_id: str) -> int:
        """Position of a rule in rules.toml (keys its random streams)."""
        return self._index[rule_id]

    # the daily loop ------------------------------------------------------------------------
    def daily(self, day: int) -> None:
        """Let every rule act on the people it holds."""
        for rule in self.ordered:
            rule.daily(day)

    def gates(self, day: int) -> Gates:
        """Combine every rule's closures and stops for today."""
        gates = self.base_gates()
        for rule in self.ordered:
            rule.gates(day, gates)
        return gates

    def on_arrival(self, day: int, arrived: np.ndarray) -> None:
        """Apply, in order, the rules met by people who stopped at a gate."""
        a = self.sim.agents
        for rule, met_here in zip(self.ordered, self._met_here, strict=True):
            if met_here is not None:
                here = arrived[met_here[a.place[arrived]]]
                if len(here):
                    rule.on_arrival(day, here)
        self.arrive(arrived)

    # hand-overs between rules ----------------------------------------------------------------
    def detain(self, idx: np.ndarray, station: int, by: CompiledRule, event: str,
               chance: float | None) -> None:
        """Take people to a station; its detention rule admits them (or returns are ordered)."""
        if not len(idx):
            return
        by.move_to(idx, station)
        by.trace(idx, event, chance, "taken to " + self.sim.network.place_ids[station], None)
        day = self.sim.day
        for rule in self.of_type(CompiledDetention):
            if rule.station == station and rule.in_force(day):
                rule.admit(day, idx, by.id)
                return
        self.sim.change_state(idx, State.DETAINED, by.id)  # no detention rule: decided at once
        self.review(day, idx, station)

    def review(self, day: int, idx: np.ndarray, station: int) -> None:
        """Review the cases decided at a station; with no review rule, order their return."""
        for rule in self.of_type(CompiledCaseReview):
            if len(idx) and rule.in_force(day) and rule.covers(station):
                idx = rule.review(day, idx)
        if len(idx):
            self.order_return(idx, None)

    def transit_denied(self, day: int, idx: np.ndarray) -> np.ndarray:
        """Mask of people to whom a transit permit is denied today."""
        denied = np.zeros(len(idx), dtype=np.bool_)
        for rule in self.of_type(CompiledTransitPermit):
            denied |= rule.denies(day, idx)
        return denied

    def apply_asylum(self, day: int, idx: np.ndarray, by: CompiledRule) -> np.ndarray:
        """Register asylum applications; return those no asylum rule takes."""
        for rule in self.of_type(CompiledAsylumTransit):
            if len(idx) and rule.in_force(day):
                ok = rule.applies(idx)
                rule.take(day, idx[ok])
                idx = idx[~ok]
        return idx

    def order_return(self, idx: np.ndarray, by: CompiledRule | None) -> None:
        """Order people's return: they wait in detention for a seat."""
        if not len(idx):
            return
        a = self.sim.agents
        a.flags[idx] |= Flag.RETURN_ORDERED
        a.timer[idx] = -1
        not_held = idx[a.state[idx] != State.DETAINED]
        self.sim.change_state(not_held, State.DETAINED, by.id if by else "return-order")
        if by is not None:
            by.trace(idx, "return ordered", None, "waits in detention for a seat home",
                     State.DETAINED)

    def crossing_at(self, day: int, city: int) -> CompiledCrossingBetweenPorts | None:
        """The crossing-between-ports rule in force at a border city, if any."""
        for rule in self.of_type(CompiledCrossingBetweenPorts):
            if rule.city == city and rule.in_force(day):
                return rule
        return None

    def cross_between_ports(self, day: int, idx: np.ndarray, city: int) -> None:
        """People try to cross between ports from a city."""
        if not len(idx):
            return
        rule = self.crossing_at(day, city)
        if rule is not None:
            rule.cross(day, idx)

    def us_processing(self, day: int, idx: np.ndarray, city: int,
                      by: CompiledRule) -> np.ndarray:
        """Apply the ACA and MPP rules to asylum seekers processed by the U.S. near a city.

        Returns:
            Those to whom neither applies.
        """
        for rule in self.of_type(CompiledSafeThirdCountry):
            if len(idx):
                idx = rule.transfer(day, idx)
        for rule in self.of_type(CompiledRemainInMexico):
            if len(idx) and rule.city == city:
                idx = rule.enrol(day, idx)
        return idx
