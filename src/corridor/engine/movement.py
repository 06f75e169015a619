"""The `corridor` movement model: scheduled departures, route choice a few hops ahead."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from corridor.engine import count_kernels
from corridor.engine.count_kernels import move_rows
from corridor.engine.flags import Flag
from corridor.engine.gates import Gates
from corridor.engine.kernels import move_agents, move_agents_parallel
from corridor.engine.models import MovementModel
from corridor.engine.paths import Paths, distance_to
from corridor.engine.random import uniform
from corridor.engine.states import ATTRITION, N_STATES, State
from corridor.errors import Problem
from corridor.scenario.kinds import PLACE_KINDS, ROUTE_MODES

if TYPE_CHECKING:
    from corridor.engine.simulation import Simulation
    from corridor.scenario.model import Scenario

WALKED_MODES = ("foot", "river", "bridge")  # at the walking speed, ride or not
RIDDEN_MODES = ("rail", "air", "sea")  # at the ride speed, ride or not
DEFAULT_MOVE_CHANCE = {"default": 1.0, "destination": 0.0}
DEFAULT_ATTRACTIVENESS = {"default": 1.0}
PURPOSE_MOVE = 1
PURPOSE_DESTINATION = 2
PURPOSE_ATTRITION = 3
PURPOSE_COHESION = 4
PARALLEL_MIN_AGENTS = 100_000  # below this, threads cost more than they save


def _by_kind(value: dict[str, float], defaults: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(value) - set(PLACE_KINDS) - {"default"})
    if unknown:
        raise ValueError(f"unknown place kind(s) {unknown}; expected 'default' or one of "
                         f"{', '.join(PLACE_KINDS)}")
    return {**defaults, **value}


class CorridorParameters(BaseModel):
    """Parameters of the `corridor` movement model (`[parameters]` in scenario.toml)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

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
    mode_speed_km: dict[str, float] = Field(
        default_factory=dict, description="km a day on legs of a mode, walkers and riders "
        "alike (e.g. rail); by default roads go at the walking or the ride speed, foot, bridge "
        "and river legs at the walking speed, rail, air and sea legs at the ride speed")
    ride_seats: float | None = Field(None, ge=0, description="rides a place offers a day: "
                                     "with more travellers there, each has a smaller chance "
                                     "of one (empty: unlimited)")
    attrition_chance: float = Field(0.0, ge=0, le=1, description="daily chance that a "
                                    "traveller gives the journey up (→ gave_up)")
    attrition_home_share: float = Field(0.0, ge=0, le=1, description="share of those who "
                                        "give up who go home on their own (→ "
                                        "returned_voluntary at their origin, rule "
                                        "'attrition'); the others stay where they are")
    destination_kinds: list[str] = Field(
        default_factory=list, description="place kinds among which each traveller chooses a "
        "destination when leaving (empty: no destination; routes by `goal_kinds`)")
    destination_km: float = Field(1000.0, gt=0, description="a destination's utility falls "
                                  "by 1 for every destination_km still to go")
    heading_weight: float = Field(2.0, ge=0, description="utility of the destination a "
                                  "group announced (`heading_for` in departures.csv)")
    deterrence_weight: float = Field(1.0, ge=0, description="utility lost per unit of a "
                                     "destination's deterrence (months of waiting list, "
                                     "exposure to Remain in Mexico)")
    detour_km: float = Field(50.0, gt=0, description="towards a destination, a link's "
                             "weight falls by e for every detour_km it adds to the trip")
    danger_km: float = Field(0.0, ge=0, description="km that passing through a place of "
                             "danger 1 (places.csv `danger`) weighs in destination choice and "
                             "routing, on top of its distance")
    overnight_at_places: bool = Field(False, description="travellers spend the night at a "
                                      "place, not on the road: after the day's first leg "
                                      "they set out only on a leg they can finish that day")
    pace_cohesion: float = Field(0.0, ge=0, le=1, description="daily chance that a traveller "
                                 "travels with their group: at the group's pace (its members' "
                                 "mean km a day) and by its way (one draw per cohort, place and "
                                 "day)")
    pace_by: str = Field("", description="a group attribute (a departures.csv column, e.g. "
                         "`caravan`) that names a caravan: the travellers who go with their "
                         "group (`pace_cohesion`) share one pace with everyone of the same "
                         "value still in their group, wherever they are; groups with an empty "
                         "value, and all groups when this is empty, go at the pace of the "
                         "travellers at their place")
    gather_km: float | None = Field(None, gt=0, description="with `pace_by`: a caravan's "
                                    "members still in their group who are more than "
                                    "gather_km ahead of its middle (the weighted median of "
                                    "the km still to go to the destination most of them head "
                                    "for) wait where they are that day: the head waits for "
                                    "the tail (empty: nobody waits)")
    legal_ride_chance: float | None = Field(None, ge=0, le=1, description="daily chance of a "
                                            "ride for a traveller who may travel legally where "
                                            "they are (a `free_movement_countries` country, or "
                                            "holding a permit), not limited by `ride_seats`: "
                                            "buses sell them tickets; `ride_seats` is then "
                                            "shared among the others (empty: everyone rides "
                                            "with `ride_chance`)")
    legal_ride_seats: float | None = Field(None, ge=0, description="with `legal_ride_chance`: "
                                           "the legal rides (bus seats) a place offers a day, "
                                           "shared among the travellers there who may travel "
                                           "legally (empty: not limited)")
    free_movement_countries: list[str] = Field(
        default_factory=list, description="countries where the travellers move freely (e.g. "
        "the CA-4 area for Central Americans): rides there go by `legal_ride_chance`")
    breakaway_chance: float = Field(0.0, ge=0, le=1, description="daily chance that a "
                                    "traveller still in their group leaves it for good when "
                                    "setting out: from then on they travel at their own pace "
                                    "and by their own way (a caravan holds together and "
                                    "thins; 0: nobody leaves, `pace_cohesion` alone decides "
                                    "each day)")
    cohesion: float = Field(0.0, ge=0, le=1, description="share of a departing group that "
                            "heads for the group's collective destination (drawn once per "
                            "group by the same logit) rather than drawing its own")

    @field_validator("move_chance")
    @classmethod
    def _move_chance(cls, v: dict[str, float]) -> dict[str, float]:
        if any(not 0.0 <= x <= 1.0 for x in v.values()):
            raise ValueError("move chances must lie between 0 and 1")
        return _by_kind(v, DEFAULT_MOVE_CHANCE)

    @field_validator("mode_speed_km")
    @classmethod
    def _mode_speed(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(ROUTE_MODES))
        if unknown:
            raise ValueError(f"unknown mode(s) {unknown}; expected {', '.join(ROUTE_MODES)}")
        if any(not (np.isfinite(x) and x > 0) for x in v.values()):
            raise ValueError("mode speeds must be finite and above 0")
        return v

    @field_validator("goal_kinds", "destination_kinds")
    @classmethod
    def _goal_kinds(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - set(PLACE_KINDS))
        if unknown:
            raise ValueError(f"unknown place kind(s) {unknown}")
        return v

    @field_validator("free_movement_countries")
    @classmethod
    def _countries(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if not (len(c) == 2 and c.isascii() and c.isalpha() and c.isupper())]
        if bad:
            raise ValueError(f"country codes must be two capital letters as in places.csv "
                             f"(e.g. GT), not {bad}")
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


def pace_warnings(scenario: Scenario) -> list[str]:
    """A `pace_by` that no row of departures.csv gives a value: nobody travels as a caravan.

    Not an error (the general parameters name the `caravan` column for every caravan, and a
    scenario without it runs with the pace of the travellers at each place), so `corridor
    check` prints it as a warning.
    """
    by = getattr(scenario.parameters, "pace_by", "")
    if not by or any(d.attributes.get(by, "").strip() for d in scenario.departures):
        return []
    return [f"scenario.toml: pace_by names '{by}', which no row of departures.csv gives a "
            f"value: nobody travels as a caravan (add a '{by}' column naming each group's "
            "caravan, empty for people travelling on their own)"]


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


def leg_factors(scenario: Scenario, net, p: CorridorParameters) -> tuple[np.ndarray, np.ndarray]:
    """Per link, the budget a km costs a walker and a rider (see `engine/legs.py`).

    A day's budget is `walk_speed_km` on foot and `ride_speed_km` with a ride; a leg travelled
    at speed v costs budget × (day's speed / v) per km: roads cost their km, a walked leg
    costs a rider ride/walk per km, a leg of a mode with its own speed costs by that speed.
    """
    walk = np.ones(net.n_links, dtype=np.float64)
    ride = np.ones(net.n_links, dtype=np.float64)
    modes = [scenario.routes[r].mode for r in net.link_route.tolist()]
    for lk, mode in enumerate(modes):
        if mode in p.mode_speed_km:
            v = p.mode_speed_km[mode]
            walk[lk], ride[lk] = p.walk_speed_km / v, p.ride_speed_km / v
        elif mode in WALKED_MODES:
            ride[lk] = p.ride_speed_km / p.walk_speed_km
        elif mode in RIDDEN_MODES and p.ride_speed_km > 0:
            walk[lk] = p.walk_speed_km / p.ride_speed_km
    return walk, ride


class CorridorModel(MovementModel):
    """People leave as scheduled and choose routes by the best reachable place, hops ahead."""

    name = "corridor"
    parameters_type = CorridorParameters
    needs_departures = True
    supports_counts = True

    @classmethod
    def check(cls, scenario: Scenario, params: CorridorParameters,
              problems: list[Problem]) -> None:
        """Require at least one departure, and `pace_by` with `gather_km`."""
        if not scenario.departures:
            problems.append(Problem("departures.csv", None, None, "has no departures"))
        if params.gather_km is not None and not params.pace_by:
            problems.append(Problem("scenario.toml", None, "gather_km", "needs `pace_by` (the "
                                    "column that says which caravan a group belongs to)"))

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
        self.passable = self.attractiveness > 0
        danger = np.array([pl.danger for pl in sim.scenario.places], dtype=np.float64)
        # the km a link weighs in destination choice and routing: its length, plus the danger
        # of the place it leads to
        self.link_cost = net.link_km + p.danger_km * danger[net.link_to]
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
        self.walk_factor, self.ride_factor = leg_factors(sim.scenario, net, p)
        free = set(p.free_movement_countries)
        self.free_movement = np.array([pl.country in free for pl in sim.scenario.places],
                                      dtype=np.bool_)
        self.destinations = np.flatnonzero(np.isin(
            net.kind, [PLACE_KINDS.index(k) for k in p.destination_kinds])).astype(np.int32)
        self._distances_key: bytes | None = None
        self._distances = np.zeros((len(self.destinations), net.n_places))
        self._goal_row = np.zeros(0, dtype=np.int32)
        self._goal_place = np.zeros(0, dtype=np.int32)
        self._pace_of_group = np.zeros(0, dtype=np.int64)
        self._pace_keys: dict[str, int] = {}
        self.schedule: dict[int, list[tuple[int, int, int]]] = {}
        for dep in sim.scenario.departures:
            day = sim.scenario.day_of(dep.date)
            group = sim.group_id(dep.nationality, dep.attributes, dep.origin)
            self.schedule.setdefault(day, []).append((net.index(dep.origin), group, dep.count))
        self.expected_agents = sum(d.count for d in sim.scenario.departures)
        self._stopped = np.empty(0, dtype=np.int32)

    def spawn(self, day: int) -> None:
        """Add the people scheduled to leave on this day."""
        for origin, group, count in self.schedule.get(day, ()):
            self.sim.add_people(count, origin, group)

    # --- destinations ---------------------------------------------------------------------
    def destination_distances(self, gates: Gates) -> np.ndarray:
        """Km from every place to each destination over the links people plan by (cached).

        Those are today's open links and the closed ones people do not route around (they
        wait at the closure: `Gates.route_open`).
        """
        planned = gates.link_open | gates.route_open  # see `Gates.route_open`
        key = planned.tobytes()
        if key != self._distances_key:
            net = self.sim.network
            self._distances = np.array([
                distance_to(net, np.array([d]), planned, self.passable, self.link_cost)
                for d in self.destinations]).reshape(len(self.destinations), net.n_places)
            self._distances_key = key
        return self._distances

    def goal_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Per group: the row of link weights it follows and its destination place (-1)."""
        groups = self.sim.groups
        if len(self._goal_row) != len(groups):
            net = self.sim.network
            row = np.zeros(len(groups), dtype=np.int32)
            place = np.full(len(groups), -1, dtype=np.int32)
            where = {int(d): k for k, d in enumerate(self.destinations)}
            for g, group in enumerate(groups):
                dest = group.get("destination")
                if dest:
                    q = net.index(dest)
                    place[g] = q
                    row[g] = 1 + where.get(q, -1) if q in where else 0
            self._goal_row, self._goal_place = row, place
        return self._goal_row, self._goal_place

    def destination_utility(self, place: int, heading: str, gates: Gates) -> np.ndarray:
        """Utility of each destination for a traveller at `place` (see docs/movement.md)."""
        p = self.params
        net = self.sim.network
        dist = self.destination_distances(gates)[:, place]
        utility = (-dist / p.destination_km
                   + np.log(np.maximum(self.attractiveness[self.destinations], 1e-300))
                   - p.deterrence_weight * gates.deterrence[self.destinations])
        if heading:
            utility = utility + p.heading_weight * (self.destinations == net.index(heading))
        return np.where(np.isfinite(dist) & (self.attractiveness[self.destinations] > 0),
                        utility, -np.inf)

    def choose_destinations(self, gates: Gates, day: int) -> None:
        """Give every traveller without a destination one, drawn by utility (logit)."""
        sim = self.sim
        a = sim.agents
        if not len(self.destinations) or a.n == 0:
            return
        goal_row, goal_place = self.goal_arrays()
        undecided = np.flatnonzero((a.state == State.IN_TRANSIT) & (goal_place[a.group] < 0)
                                   & (a.link < 0))
        if not len(undecided):
            return
        keys = a.group[undecided].astype(np.int64) * sim.network.n_places + a.place[undecided]
        for key in np.unique(keys):
            g, place = divmod(int(key), sim.network.n_places)
            rows = undecided[keys == key]
            group = sim.groups[g]
            utility = self.destination_utility(place, group.get("heading_for"), gates)
            if not np.isfinite(utility).any():
                continue
            prob = np.exp(utility - utility[np.isfinite(utility)].max())
            prob = np.where(np.isfinite(utility), prob, 0.0)
            prob = self.with_cohesion(prob / prob.sum(), g)
            parts = sim.split_many(rows, prob, PURPOSE_DESTINATION)
            attrs = dict(group.attributes)
            for k, part in enumerate(parts):
                if len(part):
                    attrs["destination"] = sim.network.place_ids[self.destinations[k]]
                    a.group[part] = sim.group_id(group.nationality, attrs)
        self.goal_arrays()

    def with_cohesion(self, prob: np.ndarray, group: int) -> np.ndarray:
        """Mix individual choice with the group's collective one (`cohesion`).

        The collective destination is drawn from the same chances by one draw per group, the
        same every day of the run and in both representations (a counter-based stream keyed by
        the group), so that a caravan that holds together heads for one city.
        """
        cohesion = self.params.cohesion
        if cohesion <= 0.0:
            return prob
        u = uniform(self.sim.key_for(0, PURPOSE_COHESION), group, 0)
        collective = min(int(np.searchsorted(np.cumsum(prob), u * prob.sum(), side="right")),
                         len(prob) - 1)
        mixed = (1.0 - cohesion) * prob
        mixed[collective] += cohesion
        return mixed

    # --- attrition --------------------------------------------------------------------------
    def attrition(self) -> None:
        """Travellers give the journey up with the daily `attrition_chance`.

        A share `attrition_home_share` of them goes home on their own: they are put at their
        group's origin in state `returned_voluntary` (the change is counted there, by the rule
        `attrition`, as a return home). The others stay where they are (→ `gave_up`).
        """
        p = self.params
        chance = p.attrition_chance
        if chance <= 0.0:
            return
        sim = self.sim
        a = sim.agents
        travelling = np.flatnonzero(a.state == State.IN_TRANSIT)
        share = p.attrition_home_share
        if share <= 0.0:
            gave_up, _ = sim.split(travelling, chance, PURPOSE_ATTRITION)
        else:
            home, gave_up, _ = sim.split3(travelling, chance * share, chance * (1.0 - share),
                                          PURPOSE_ATTRITION)
            origin = np.array([sim.network.index(g.origin) if g.origin else -1
                               for g in sim.groups], dtype=np.int64)
            where = origin[a.group[home]]
            for place in np.unique(where):
                part = home[where == place]
                if place < 0:  # no tracked origin: they stay where they are
                    gave_up = np.concatenate([gave_up, part])
                    continue
                sim.put_at(part, int(place))
                sim.change_state(part, State.RETURNED_VOLUNTARY, ATTRITION)
        sim.change_state(gave_up, State.GAVE_UP, ATTRITION)

    # --- the day's movement -----------------------------------------------------------------
    def link_weights(self, gates: Gates) -> np.ndarray:
        """Return today's weight of every link: row 0 without a destination, then one row each.

        Without a destination a link weighs the best path value through it (hops ahead); towards
        a destination it weighs exp(-detour / detour_km), the detour being how much longer the
        trip is by that link than by the shortest open path. Only links that bring the traveller
        closer to the destination count (Dial's efficient links: the place reached is nearer
        to it by the open network than the place left), so the spread never sends someone
        back and forth between neighbouring places (a 1 km leg back costs a detour of 2 km,
        nearly nothing at a `detour_km` of tens of km).
        """
        net = self.sim.network
        capacity = capacity_factor(self.sim.occupancy(), net.capacity,
                                   self.params.capacity_buffer)
        value = self.attractiveness * capacity
        weights = self.paths.best_link_weights(value, gates.link_open, net.n_links,
                                               self.params.softening_km,
                                               self.params.distance_power)
        rows = [weights * self.link_factor]
        if len(self.destinations):
            dist = self.destination_distances(gates)
            for k, dest in enumerate(self.destinations):
                d = dist[k]
                enter = self.passable[net.link_to] | (net.link_to == dest)
                ok = (gates.link_open & enter & np.isfinite(d[net.link_to])
                      & np.isfinite(d[net.link_from]))
                d_to = np.where(ok, d[net.link_to], 0.0)
                d_from = np.where(ok, d[net.link_from], 0.0)
                ok &= d_to < d_from  # efficient links only
                detour = np.where(ok, self.link_cost + d_to - d_from, 0.0)
                w = np.exp(-detour / self.params.detour_km)
                rows.append(np.where(ok, w * capacity[net.link_to], 0.0))
        return np.ascontiguousarray(np.array(rows, dtype=np.float64))

    def ride_chances(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each place's chances of a ride today: without papers, with papers, and the mean.

        The first is `ride_chance` shared out over `ride_seats` among the travellers at the
        place (with `legal_ride_chance`, among those without papers only: see
        `legs.ride_chance_of`); the second is `legal_ride_chance` shared out over
        `legal_ride_seats` among those with papers (-1 everywhere when `legal_ride_chance` is
        not set); the third is the mean chance of the travellers there, which sets a group's
        pace.
        """
        p = self.params
        net = self.sim.network
        chance = np.full(net.n_places, p.ride_chance, dtype=np.float64)
        legal = p.legal_ride_chance
        unset = np.full(net.n_places, -1.0)
        if p.ride_seats is None and legal is None:
            return chance, unset, chance
        a = self.sim.agents
        here = (a.state == State.IN_TRANSIT) & (a.link < 0)
        at = a.place[here]
        weights = a.count[here].astype(np.float64)
        travellers = np.bincount(at, weights=weights, minlength=net.n_places)
        seated = travellers
        if legal is not None:
            papers = self.free_movement[at] | ((a.flags[here] & Flag.PERMIT) != 0)
            seated = np.bincount(at, weights=np.where(papers, 0.0, weights),
                                 minlength=net.n_places)
        if p.ride_seats is not None:
            chance = chance * np.minimum(1.0, p.ride_seats / np.maximum(seated, 1.0))
        if legal is None:
            return chance, unset, chance
        legal_chance = np.full(net.n_places, float(legal))
        if p.legal_ride_seats is not None:
            legal_chance *= np.minimum(1.0, p.legal_ride_seats
                                       / np.maximum(travellers - seated, 1.0))
        mean = np.where(travellers > 0, (chance * seated + legal_chance * (travellers - seated))
                        / np.maximum(travellers, 1.0), chance)
        return chance, legal_chance, mean

    def legs(self, day: int, gates: Gates) -> tuple:
        """The kernels' `legs` tuple for today (see `engine/legs.py`).

        A group's pace is its members' mean: `walk_speed_km` plus their mean ride chance
        (shared out over the seats where they are) times the extra km of a ride; the mean of
        the travellers at each place, or with `pace_by` of a caravan's members still in their
        group, wherever they are (`caravan_paces`); with `gather_km` a caravan's head waits
        (a pace of 0 km where it is: `gathering`).
        """
        p = self.params
        chance, legal, mean = self.ride_chances()
        pace_of_group = self.pace_of_group()
        if p.pace_by:
            mean = self.caravan_paces(mean, pace_of_group)
        else:
            mean = mean[None, :]
        group_km = p.walk_speed_km + mean * max(p.ride_speed_km - p.walk_speed_km, 0.0)
        if p.pace_by and p.gather_km is not None:
            group_km = np.where(self.gathering(pace_of_group, gates), 0.0, group_km)
        return (self.walk_factor, self.ride_factor, chance, bool(p.overnight_at_places),
                float(p.pace_cohesion), np.ascontiguousarray(group_km),
                np.ascontiguousarray(mean >= 0.5), float(p.breakaway_chance), legal,
                self.free_movement, pace_of_group)

    def pace_of_group(self) -> np.ndarray:
        """Per group, its pace row in the `legs` tuple (int64).

        Row 0 is the pace of the travellers at each place: every group's without `pace_by`,
        and that of groups with an empty value of it (people travelling on their own, such
        as background flows). With `pace_by`, each of its values (a caravan) has a row of its
        own, numbered from 1 as groups appear.
        """
        groups = self.sim.groups
        if len(self._pace_of_group) != len(groups):
            by = self.params.pace_by
            keys = self._pace_keys
            rows = [0 if not by or not g.get(by) else keys.setdefault(g.get(by), len(keys) + 1)
                    for g in groups]
            self._pace_of_group = np.array(rows, dtype=np.int64)
        return self._pace_of_group

    def caravan_paces(self, mean: np.ndarray, pace_of_group: np.ndarray) -> np.ndarray:
        """Each caravan's mean ride chance, the same at every place (pace rows × places).

        Row 0 is `mean`, the chance of the travellers at each place. A caravan's row is the
        mean of the place chances over its members still in their group and at a place
        today, weighted by their numbers; a caravan with none there keeps the chance of the
        place (its row is then not read for a member who sets out elsewhere).
        """
        a = self.sim.agents
        n_rows = len(self._pace_keys) + 1
        here = ((a.state == State.IN_TRANSIT) & (a.link < 0)
                & ((a.flags & Flag.LEFT_GROUP) == 0))
        at = a.place[here]
        key = pace_of_group[a.group[here]]
        weights = a.count[here].astype(np.float64)
        people = np.bincount(key, weights=weights, minlength=n_rows)
        rides = np.bincount(key, weights=weights * mean[at], minlength=n_rows)
        shared = rides / np.maximum(people, 1.0)
        rows = np.where(people[:, None] > 0, shared[:, None], mean[None, :])
        rows[0] = mean
        return rows

    def gathering(self, pace_of_group: np.ndarray, gates: Gates) -> np.ndarray:
        """Where each caravan's head waits for its tail today (pace rows × places, bool).

        A caravan's middle is the weighted median of the km still to go, for its members
        still in their group (at a place, or on a road: from the place they left), to the
        destination most of them head for; its members more than `gather_km` nearer to that
        destination wait where they are (their pace is 0 km today). Without destinations
        nobody waits.
        """
        net = self.sim.network
        a = self.sim.agents
        n_rows = len(self._pace_keys) + 1
        waits = np.zeros((n_rows, net.n_places), dtype=np.bool_)
        _, goal_place = self.goal_arrays()
        if not len(self.destinations) or not len(goal_place):
            return waits
        here = (a.state == State.IN_TRANSIT) & ((a.flags & Flag.LEFT_GROUP) == 0)
        groups = a.group[here]
        key = pace_of_group[groups]
        weights = a.count[here].astype(np.float64)
        column = np.full(net.n_places, -1, dtype=np.int64)
        column[self.destinations] = np.arange(len(self.destinations))
        dest = column[np.maximum(goal_place[groups], 0)]
        dest = np.where(goal_place[groups] >= 0, dest, -1)
        distances = self.destination_distances(gates)
        at = a.place[here]
        for k in np.unique(key[key > 0]):
            mine = (key == k) & (dest >= 0)
            if not mine.any():
                continue
            heading = int(np.argmax(np.bincount(dest[mine], weights=weights[mine])))
            to_go = distances[heading]
            ahead = to_go[at[key == k]]
            w = weights[key == k]
            finite = np.isfinite(ahead)
            if not finite.any():
                continue
            order = np.argsort(ahead[finite], kind="stable")
            cum = np.cumsum(w[finite][order])
            middle = ahead[finite][order][np.searchsorted(cum, 0.5 * cum[-1])]
            waits[k] = to_go < middle - self.params.gather_km
        return waits

    def move(self, day: int, gates: Gates) -> np.ndarray:
        """Advance everybody in transit by one day."""
        self.attrition()
        self.choose_destinations(gates, day)
        if self.sim.count_rows:
            return self._move_rows(day, gates)
        sim = self.sim
        a = sim.agents
        p = self.params
        if len(self._stopped) < a.n:
            self._stopped = np.empty(max(a.n, 2 * len(self._stopped)), dtype=np.int32)
        stopped = self._stopped
        args = (a.n, a.place, a.link, a.travelled, a.state, a.group, a.prev_place, a.countries,
                a.kinds, a.flags, self.movable, self.move_chance, self.link_weights(gates),
                self.goals(gates), self.net_arrays(),
                (gates.stop_place, gates.stop_link), p.backtrack_weight, p.walk_speed_km,
                p.ride_speed_km, self.legs(day, gates),
                sim.key_for(day, PURPOSE_MOVE), sim.recorder.day_flows.reshape(-1), stopped)
        threads = sim.threads
        if threads > 1 and a.n >= PARALLEL_MIN_AGENTS:
            n_stopped = move_agents_parallel(*args, 4 * threads)
        else:
            n_stopped = move_agents(*args)
        return stopped[:n_stopped].copy()

    def goals(self, gates: Gates) -> tuple[np.ndarray, ...]:
        """The kernels' per-group arrays: destination row and place, and flow offset.

        Flows are counted per (cohort, link) in the recorder's `day_flows`, which the kernels
        get flattened: a hop of group g along link lk adds to entry cohort(g) × links + lk.
        """
        row, place = self.goal_arrays()
        base = self.sim.cohort_of_group * self.sim.network.n_links
        return row, place, gates.goal_stop, base[: len(row)]

    def net_arrays(self) -> tuple[np.ndarray, ...]:
        """The network arrays the kernels read."""
        net = self.sim.network
        return (net.out_ptr, net.out_links, net.link_to, net.link_km, net.country, net.kind)

    def _move_rows(self, day: int, gates: Gates) -> np.ndarray:
        """Advance rows of many people (count representation), splitting them as they go."""
        sim = self.sim
        a = sim.agents
        p = self.params
        weights = self.link_weights(gates)
        goals = self.goals(gates)
        legs = self.legs(day, gates)
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
                weights, goals, self.net_arrays(), (gates.stop_place, gates.stop_link),
                p.backtrack_weight, p.walk_speed_km, p.ride_speed_km, legs,
                sim.key_for(day, PURPOSE_MOVE), sim.recorder.day_flows.reshape(-1), stopped,
                n_stopped, stack, top)
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
