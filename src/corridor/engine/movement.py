"""The `corridor` movement model: scheduled departures, route choice a few hops ahead."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from corridor.engine import count_kernels
from corridor.engine.count_kernels import move_rows
from corridor.engine.gates import Gates
from corridor.engine.kernels import move_agents, move_agents_parallel
from corridor.engine.models import MovementModel
from corridor.engine.paths import Paths, distance_to
from corridor.engine.states import N_STATES, State
from corridor.errors import Problem
from corridor.scenario.kinds import PLACE_KINDS

if TYPE_CHECKING:
    from corridor.engine.simulation import Simulation
    from corridor.scenario.model import Scenario

DEFAULT_MOVE_CHANCE = {"default": 1.0, "destination": 0.0}
DEFAULT_ATTRACTIVENESS = {"default": 1.0}
PURPOSE_MOVE = 1
PARALLEL_MIN_AGENTS = 100_000  # below this, threads cost more than they save


def _by_kind(value: dict[str, float], defaults: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(value) - set(PLACE_KINDS) - {"default"})
    if unknown:
        raise ValueError(f"unknown place kind(s) {unknown}; expected 'default' or one of "
                         f"{', '.join(PLACE_KINDS)}")
    return {**defaults, **value}


class CorridorParameters(BaseModel):
    """Parameters of the `corridor` movement model (`[parameters]` in scenario.toml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    walk_speed_km: float = Field(35.0, gt=0, description="km a day on foot")
    ride_speed_km: float = Field(200.0, ge=0, description="km a day with a ride")
    ride_chance: float = Field(0.2, ge=0, le=1, description="daily chance of a ride")
    awareness_hops: int = Field(2, ge=1, le=4, description="hops ahead a traveller weighs")
    distance_power: float = Field(1.0, ge=0)
    softening_km: float = Field(10.0, ge=0)
    backtrack_weight: float = Field(0.0, ge=0)
    capacity_buffer: float = Field(0.9, gt=0, le=1)
    goal_kinds: list[str] = Field(default_factory=list,
                                  description="place kinds people head for (empty: none)")
    goal_scale_km: float = Field(100.0, gt=0, description="a place's weight falls by e for "
                                 "every goal_scale_km further from the nearest goal")
    detour_weight: float = Field(0.1, ge=0, description="weight factor of a link that does not "
                                 "bring one closer to a goal (with goal_kinds)")
    move_chance: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_MOVE_CHANCE))
    attractiveness: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_ATTRACTIVENESS))

    @field_validator("move_chance")
    @classmethod
    def _move_chance(cls, v: dict[str, float]) -> dict[str, float]:
        if any(not 0.0 <= x <= 1.0 for x in v.values()):
            raise ValueError("move chances must lie between 0 and 1")
        return _by_kind(v, DEFAULT_MOVE_CHANCE)

    @field_validator("goal_kinds")
    @classmethod
    def _goal_kinds(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - set(PLACE_KINDS))
        if unknown:
            raise ValueError(f"unknown place kind(s) {unknown}")
        return v

    @field_validator("attractiveness")
    @classmethod
    def _attractiveness(cls, v: dict[str, float]) -> dict[str, float]:
        if any(x < 0 for x in v.values()):
            raise ValueError("attractiveness must not be negative")
        return _by_kind(v, DEFAULT_ATTRACTIVENESS)

    def per_kind(self, table: dict[str, float]) -> np.ndarray:
        """Return a value per place kind from a by-kind table with a default."""
        return np.array([table.get(k, table["default"]) for k in PLACE_KINDS], dtype=np.float64)


def capacity_factor(occupancy: np.ndarray, capacity: np.ndarray, buffer: float) -> np.ndarray:
    """Return 1 below buffer×capacity, falling linearly to 0 at capacity (inf = unlimited)."""
    factor = np.ones_like(occupancy, dtype=np.float64)
    limited = np.isfinite(capacity)
    if limited.any():
        cap = capacity[limited]
        occ = occupancy[limited]
        soft = buffer * cap
        span = np.maximum(cap - soft, 1e-9)
        f = np.clip((cap - occ) / span, 0.0, 1.0)
        factor[limited] = np.where(occ <= soft, 1.0, f)
    return factor


class CorridorModel(MovementModel):
    """People leave as scheduled and choose routes by the best reachable place, hops ahead."""

    name = "corridor"
    parameters_type = CorridorParameters
    needs_departures = True
    supports_counts = True

    @classmethod
    def check(cls, scenario: Scenario, params: CorridorParameters,
              problems: list[Problem]) -> None:
        """Require at least one departure."""
        if not scenario.departures:
            problems.append(Problem("departures.csv", None, None, "has no departures"))

    def __init__(self, sim: Simulation):
        super().__init__(sim)
        net = sim.network
        p: CorridorParameters = sim.scenario.parameters
        self.params = p
        self.paths = Paths.enumerate(net, p.awareness_hops)
        kind_attr = p.per_kind(p.attractiveness)[net.kind]
        override = np.array([np.nan if pl.attractiveness is None else pl.attractiveness
                             for pl in sim.scenario.places])
        self.attractiveness = np.where(np.isnan(override), kind_attr, override)
        if p.goal_kinds:
            goals = np.flatnonzero(np.isin(net.kind, [PLACE_KINDS.index(k)
                                                      for k in p.goal_kinds]))
            self.goal_distance = distance_to(net, goals)
            self.attractiveness = self.attractiveness * np.exp(-self.goal_distance
                                                               / p.goal_scale_km)
            closer = self.goal_distance[net.link_to] < self.goal_distance[net.link_from]
            self.link_factor = np.where(closer, 1.0, p.detour_weight)
        else:
            self.goal_distance = np.zeros(net.n_places)
            self.link_factor = np.ones(net.n_links)
        self.move_chance = p.per_kind(p.move_chance)[net.kind]
        self.movable = np.zeros(N_STATES, dtype=np.bool_)
        self.movable[State.IN_TRANSIT] = True
        self.schedule: dict[int, list[tuple[int, int, int]]] = {}
        for dep in sim.scenario.departures:
            day = sim.scenario.day_of(dep.date)
            group = sim.group_id(dep.nationality, dep.attributes)
            self.schedule.setdefault(day, []).append((net.index(dep.origin), group, dep.count))
        self.expected_agents = sum(d.count for d in sim.scenario.departures)
        self._stopped = np.empty(0, dtype=np.int32)

    def spawn(self, day: int) -> None:
        """Add the people scheduled to leave on this day."""
        for origin, group, count in self.schedule.get(day, ()):
            self.sim.add_people(count, origin, group)

    def link_weights(self, gates: Gates) -> np.ndarray:
        """Return today's weight of every link (best path value through it)."""
        net = self.sim.network
        value = self.attractiveness * capacity_factor(self.sim.occupancy(), net.capacity,
                                                      self.params.capacity_buffer)
        weights = self.paths.best_link_weights(value, gates.link_open, net.n_links,
                                               self.params.softening_km,
                                               self.params.distance_power)
        return weights * self.link_factor

    def move(self, day: int, gates: Gates) -> np.ndarray:
        """Advance everybody in transit by one day."""
        if self.sim.count_rows:
            return self._move_rows(day, gates)
        sim = self.sim
        net = sim.network
        a = sim.agents
        p = self.params
        if len(self._stopped) < a.n:
            self._stopped = np.empty(max(a.n, 2 * len(self._stopped)), dtype=np.int32)
        stopped = self._stopped
        args = (a.n, a.place, a.link, a.travelled, a.state, a.prev_place, a.countries, a.kinds,
                self.movable, self.move_chance, self.link_weights(gates), net.out_ptr,
                net.out_links, net.link_to, net.link_km, net.country, net.kind,
                gates.stop_place, gates.stop_link, p.backtrack_weight, p.walk_speed_km,
                p.ride_speed_km, p.ride_chance, sim.key_for(day, PURPOSE_MOVE),
                sim.recorder.day_flows, stopped)
        threads = sim.threads
        if threads > 1 and a.n >= PARALLEL_MIN_AGENTS:
            n_stopped = move_agents_parallel(*args, 4 * threads)
        else:
            n_stopped = move_agents(*args)
        return stopped[:n_stopped].copy()

    def _move_rows(self, day: int, gates: Gates) -> np.ndarray:
        """Advance rows of many people (count representation), splitting them as they go."""
        sim = self.sim
        net = sim.network
        a = sim.agents
        p = self.params
        weights = self.link_weights(gates)
        n_orig = a.n
        room = count_kernels.ROOM
        a.reserve(a.n + 2 * room)
        stopped = np.empty(max(2 * n_orig, 2 * room, 16), dtype=np.int64)
        stack = count_kernels.new_stack(a.capacity - a.n + 2)
        start, n_stopped, top = 0, 0, 0
        while True:
            f = a.full
            start, n, n_stopped, top, short = move_rows(
                start, n_orig, a.n, a.capacity, f("place"), f("link"), f("travelled"),
                f("state"), f("group"), f("prev_place"), f("since"), f("timer"), f("flags"),
                f("countries"), f("kinds"), f("count"), self.movable, self.move_chance,
                weights, net.out_ptr, net.out_links, net.link_to, net.link_km, net.country,
                net.kind, gates.stop_place, gates.stop_link, p.backtrack_weight,
                p.walk_speed_km, p.ride_speed_km, p.ride_chance,
                sim.key_for(day, PURPOSE_MOVE), sim.recorder.day_flows, stopped, n_stopped,
                stack, top)
            a.n = n
            if not short:
                break
            # a buffer ran short: grow it and go on where the kernel stopped. Rows grow at
            # least 1.5× and `stopped` 2× (it never needs more than the rows), so a row of c
            # people, which makes at most c - 1 rows, ends after a few calls.
            if short == count_kernels.SHORT_OF_ROWS:
                cap = a.capacity
                a.reserve(max(a.n + 2 * room, cap + 1))
                # the stack needs (capacity - rows in use when the row started + 2) entries
                stack = count_kernels.new_stack(len(stack[0]) + a.capacity - cap, stack, top)
            else:
                grown = np.empty(2 * len(stopped), dtype=np.int64)
                grown[:n_stopped] = stopped[:n_stopped]
                stopped = grown
        return stopped[:n_stopped].copy()
