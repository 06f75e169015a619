"""The `flee` movement model: Flee 3.1's behaviour on Corridor's columnar engine.

The specification is `docs/flee-compatibility.md`. The model reads its parameters (Flee's
settings), `totals.csv`, `conflicts.csv`, `closures.csv` and the camp counts in
`observations.csv` (kind `present`); each day it updates conflict zones, spawns people from the
daily change of the total, applies closures and runs the kernel in `flee_kernels.py`.
"""

from __future__ import annotations

from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from corridor.engine import flee_count_kernels
from corridor.engine.flee_count_kernels import STAGE, STAGE_DONE, TOP, flee_count_day
from corridor.engine.flee_kernels import (
    WEIGHT_DISTANCE,
    WEIGHT_FULL,
    WEIGHT_UNIFORM,
    flee_day,
)
from corridor.engine.models import MovementModel
from corridor.engine.states import State
from corridor.errors import CorridorError, Problem
from corridor.flee.extras import PRESENT, FleeExtras, read_extras
from corridor.flee.settings import FleeSettings
from corridor.flee.validation import CountSeries

if TYPE_CHECKING:
    from corridor.engine.gates import Gates
    from corridor.engine.simulation import Simulation
    from corridor.scenario.model import Scenario

POSITIVE = 1e-6
AUTO_CAMP_CHANCE = 0.005
ROUNDS = 1  # count representation: slices of each row's leavers, taking turns (first pass)
PURPOSE_MOVE = 11
PURPOSE_SINK = 12
_AGENT_COLUMNS = {"active": np.bool_, "r_start": np.int32, "r_len": np.int16,
                  "r_pos": np.int16, "entry_gen": np.int32, "recent": np.float32,
                  "home": np.int32, "held": np.int64}  # held: `flee_day` lists held people


_ROW_COLUMNS = ("place", "link", "travelled", "state", "group", "prev_place", "since", "timer",
                "flags", "countries", "kinds", "count", "active", "r_start", "r_len", "r_pos",
                "entry_gen", "home", "recent_q", "moved")
# rows' own columns for avoid_short_stints (see `flee_count_kernels.fold_recent`): `recent` in
# whole 1/4096ths of max_move_speed (merges rows that travelled alike) and today's km
_ROW_ONLY_COLUMNS = {"recent_q": np.int32, "moved": np.float64}
_row_buffers = itemgetter(*_ROW_COLUMNS)  # the kernels' column tuple from `Agents._data`, in C
_IN_TRANSIT, _IN_CAMP = np.uint8(State.IN_TRANSIT), np.uint8(State.IN_CAMP)


class FleeParameters(FleeSettings):
    """Parameters of the `flee` model: Flee's settings (see `FleeSettings`)."""


def great_circle_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray,
                    lon2: np.ndarray) -> np.ndarray:
    """Return haversine distances in km (Earth radius 6373 km, as Flee)."""
    la1, lo1, la2, lo2 = (np.radians(x) for x in (lat1, lon1, lat2, lon2))
    a = (np.sin((la2 - la1) / 2) ** 2
         + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2)
    return 6373.0 * 2 * np.arctan2(np.sqrt(a), np.sqrt(np.maximum(1 - a, 0.0)))


def enumerate_paths(n_places: int, out_ptr: np.ndarray, out_links: np.ndarray,
                    link_to: np.ndarray, link_km: np.ndarray, link_open: np.ndarray,
                    is_marker: np.ndarray, level: int
                    ) -> tuple[list[list[int]], list[list[float]], list[list[list[int]]]]:
    """Enumerate Flee's route options from every place.

    A path is a walk along open links that never revisits a place (the start included). Places
    that are not markers count towards `level`; each path ending in a non-marker place is an
    option; paths continue from a place while fewer than `level` non-markers were passed.

    Returns:
        Per place: option end places, option lengths in km, option node lists (start excluded).
    """
    ends: list[list[int]] = [[] for _ in range(n_places)]
    kms: list[list[float]] = [[] for _ in range(n_places)]
    nodes: list[list[list[int]]] = [[] for _ in range(n_places)]
    for origin in range(n_places):
        stack = [(origin, [origin], 0.0, 0)]
        while stack:
            here, path, km, steps = stack.pop()
            for m in range(out_ptr[here + 1] - 1, out_ptr[here] - 1, -1):
                lk = out_links[m]
                nxt = int(link_to[lk])
                if not link_open[lk] or nxt in path:
                    continue
                d = km + float(link_km[lk])
                s = steps + (0 if is_marker[nxt] else 1)
                if not is_marker[nxt]:
                    ends[origin].append(nxt)
                    kms[origin].append(d)
                    nodes[origin].append(path[1:] + [nxt])
                if s < level:
                    stack.append((nxt, path + [nxt], d, s))
    return ends, kms, nodes


class FleeModel(MovementModel):
    """Flee 3.1's model: spawning from UNHCR totals, weighted route choice, per-link speeds."""

    name = "flee"
    parameters_type = FleeParameters
    needs_departures = False
    supports_counts = True
    keeps_row_order = True  # rows are processed in the order they were made (Flee's order)

    # --- loading ------------------------------------------------------------------------------
    @classmethod
    def load_extras(cls, folder: Path, files: dict[str, str], problems: list[Problem]) -> dict:
        """Read `totals.csv`, `conflicts.csv` and `closures.csv`."""
        return {"flee": read_extras(folder, files, problems)}

    @classmethod
    def check(cls, scenario: Scenario, params: FleeParameters, problems: list[Problem]) -> None:
        """Check that the extra files name known places and countries."""
        extras: FleeExtras = scenario.extras.get("flee", FleeExtras())
        ids = {p.id for p in scenario.places}
        countries = {p.country for p in scenario.places}
        if not extras.totals and not params.conflict_driven_spawning:
            problems.append(Problem("totals.csv", None, None, "missing or empty; the flee model "
                                    "spawns people from the daily change of the total"))
        zones = {p.id for p in scenario.places if p.kind == "conflict_zone"}
        zones |= {c.place for _, c in extras.conflicts if c.intensity > 0}
        counts = [t.count for _, t in extras.totals]
        rises = any(b > a for a, b in zip(counts, counts[1:], strict=False))
        if rises and not any(p.population // params.hasten > 0 for p in scenario.places
                             if p.id in zones):
            problems.append(Problem("places.csv", None, "population", "no conflict zone has a "
                                    "population (after hasten); the flee model spawns the rise "
                                    "of totals.csv at conflict zones in proportion to it"))
        for row, c in extras.conflicts:
            if c.place not in ids:
                problems.append(Problem("conflicts.csv", row, "place", f"unknown place "
                                        f"'{c.place}'; it must be an id in places.csv"))
        for row, c in extras.closures:
            names = [("name1", c.name1)] + ([("name2", c.name2)] if c.type in (
                "country", "link", "remove_forced_redirection") else [])
            known = countries if c.type == "country" else ids
            for field, value in names:
                if value not in known:
                    what = "country code of a place" if c.type == "country" else "place id"
                    problems.append(Problem("closures.csv", row, field, f"'{value}' is not a "
                                            f"{what} in places.csv"))

    # --- set-up -------------------------------------------------------------------------------
    def __init__(self, sim: Simulation):
        super().__init__(sim)
        sc = sim.scenario
        net = sim.network
        p: FleeParameters = sc.parameters.effective()
        self.params = p
        self.decay_factors = np.asarray(p.conflict_spawn_decay or [], dtype=np.float64)
        self.documented = p.compat == "documented"
        self.extras: FleeExtras = sc.extras.get("flee", FleeExtras())
        n = net.n_places
        kind = [net.kind_name(i) for i in range(n)]
        self.kind = kind
        hasten = p.hasten
        self.pop = np.array([pl.population // hasten for pl in sc.places], dtype=np.float64)
        raw_cap = np.array([0 if pl.capacity is None else pl.capacity // hasten
                            for pl in sc.places], dtype=np.float64)
        is_camp_kind = np.array([k in ("camp", "idp_camp") for k in kind])
        self.pop[is_camp_kind] = 0.0
        self.raw_capacity = raw_cap
        scale = p.capacity_scaling if self.documented else 1.0
        self.capacity = raw_cap * scale
        self.is_marker = np.array([k == "marker" for k in kind])
        self.is_idp = np.array([k == "idp_camp" for k in kind])
        home = sc.places[0].country
        self.foreign = np.array([pl.country != home for pl in sc.places])
        # Flee's type flags and move chances, as mutable state (events change them).
        self.is_camp = is_camp_kind.copy()
        self.is_town = np.array([k == "town" for k in kind])
        self.intensity = np.zeros(n)
        self.conflict_start = np.full(n, -1, dtype=np.int64)
        self.movechance_base = np.array([self._kind_chance(k) for k in kind])
        auto = (self.movechance_base < AUTO_CAMP_CHANCE) & ~self.is_camp
        self.is_camp |= auto
        self.is_town &= ~auto
        self.group = sim.group_id(home)
        self.camp_places = np.flatnonzero(is_camp_kind)
        self.camp_kind = is_camp_kind
        self.camp_ids = [net.place_ids[i] for i in self.camp_places]
        self._init_conflicts(sim)
        self._init_links(sim)
        self._init_series(sim)
        self._init_home_distance(sim)
        self.deactivation = np.zeros(n)
        self.days_done = 0
        self.debt = 0
        self.raw = 0
        days = sim.days
        self.camp_counts = np.zeros((days, len(self.camp_places)), dtype=np.int64)
        self.total_agents = np.zeros(days, dtype=np.int64)
        self.raw_by_day = np.zeros(days, dtype=np.int64)
        self.debt_by_day = np.zeros(days, dtype=np.int64)
        self.cols = {k: np.zeros(1024, dtype=dt) for k, dt in _AGENT_COLUMNS.items()}
        self.cols["r_start"][:] = -1
        self.counts = sim.count_rows
        self._buffers: tuple | None = None  # `flee_count_day`'s, see `_day_buffers`
        self._place_signature: tuple | None = None  # see `_daily_place_arrays`
        self._occ = np.zeros(n, dtype=np.int64)
        self._flows_of: np.ndarray | None = None  # see `day_flows`
        self._shares_key: tuple | None = None  # see `_spawn_shares`
        self._shares: tuple[np.ndarray, float] = (np.zeros(0), 0.0)
        self._flows = np.zeros(0, dtype=np.int64)
        self.expected_agents = 4096 if self.counts else self._expected_agents()

    def attach_columns(self) -> None:
        """Add the model's per-row columns to the agents (count representation)."""
        a = self.sim.agents
        if "r_start" in a._data:
            return
        for name, fill in (("active", True), ("r_start", -1), ("r_len", 0), ("r_pos", 0),
                           ("entry_gen", 0), ("home", 0)):
            a.add_column(name, _AGENT_COLUMNS[name], fill)
        for name, dtype in _ROW_ONLY_COLUMNS.items():
            a.add_column(name, dtype, 0)

    def _kind_chance(self, kind: str) -> float:
        p = self.params
        return {"conflict_zone": p.conflict_movechance, "camp": p.camp_movechance,
                "idp_camp": p.idpcamp_movechance, "town": p.default_movechance,
                "forwarding_hub": 1.0, "marker": 1.0}.get(kind, p.default_movechance)

    def _init_conflicts(self, sim: Simulation) -> None:
        net = sim.network
        self.conflict_events: dict[int, list[tuple[int, float]]] = {}
        initial: dict[int, float] = {}
        for _, c in sorted(self.extras.conflicts, key=lambda rc: rc[1].date):
            day = sim.scenario.day_of(c.date)
            place = net.index(c.place)
            if day < 0:
                initial[place] = c.intensity
            else:
                self.conflict_events.setdefault(day, []).append((place, c.intensity))
        self.prev_value = np.zeros(net.n_places)
        for i, k in enumerate(self.kind):
            if k == "conflict_zone":
                value = initial.get(i, 1.0)
                if value > POSITIVE:
                    self._start_conflict(i, value, -1)
                self.prev_value[i] = value

    def _init_links(self, sim: Simulation) -> None:
        net = sim.network
        p = self.params
        self.link_speed = np.full(net.n_links, p.max_move_speed)
        self.walk_prob = np.zeros(net.n_links)
        self.link_gen = np.zeros(net.n_links, dtype=np.int32)
        self.link_open = np.ones(net.n_links, dtype=np.bool_)
        self.forced_link = np.full(net.n_places, -1, dtype=np.int32)
        self.forced = []  # (from place, link) of each documented forced redirection
        for link in range(net.n_links):
            route = sim.scenario.routes[net.link_route[link]]
            a = net.link_from[link]
            first = net.index(route.from_) == a
            if (route.forced_redirection == 2 and first) or (
                    route.forced_redirection == 1 and not first):
                self.forced.append((int(a), link))
        self.closures = []
        for _, c in self.extras.closures:
            start = sim.scenario.day_of(c.start_date)
            end = sim.scenario.day_of(c.end_date) if c.end_date else None
            self.closures.append((c, start, end))
        self.route_store = np.zeros(0, dtype=np.int32)
        self._paths_for = None
        self._closure_signature: tuple | None = None

    def _init_series(self, sim: Simulation) -> None:
        start = sim.scenario.config.start_date
        hasten = self.params.hasten
        total = self.extras.total_series(start)
        self.total = None
        if total is not None:
            self.total = CountSeries("total", total.files, total.days, total.counts / hasten)
        # the UNHCR total of each day, as Flee interpolates it (read once a day by spawn)
        self.total_daily = (self.total.daily(sim.days + 1) if self.total is not None
                            else np.zeros(0, dtype=np.int64))
        points: dict[str, list[tuple[int, float]]] = {}
        for obs in sim.scenario.observations:
            if obs.kind == PRESENT and obs.period_start == obs.period_end:
                points.setdefault(obs.place, []).append(
                    ((obs.period_start - start).days, obs.value / hasten))
        self.camp_series: dict[str, CountSeries] = {}
        for pid, pts in points.items():
            pts.sort()
            self.camp_series[pid] = CountSeries(pid, ("observations.csv",),
                                                np.array([d for d, _ in pts]),
                                                np.array([v for _, v in pts]))

    def _init_home_distance(self, sim: Simulation) -> None:
        net = sim.network
        self.home_dist = np.zeros((1, 1))
        if self.params.stay_close_to_home:
            lat, lon = net.lat, net.lon
            if not self.documented:  # Flee 3.1 swaps latitude and longitude here
                lat, lon = lon, lat
            self.home_dist = great_circle_km(lat[:, None], lon[:, None], lat[None, :],
                                             lon[None, :])

    @classmethod
    def expected_people(cls, scenario: Scenario) -> int:
        """The largest total of the UNHCR series divided by hasten (people spawn from it)."""
        extras: FleeExtras = scenario.extras.get("flee", FleeExtras())
        hasten = max(int(getattr(scenario.parameters, "hasten", 1) or 1), 1)
        return int(max((row.count for _, row in extras.totals), default=0)) // hasten

    def _expected_agents(self) -> int:
        extra = sum(int(s.at(0)[0]) for s in self.camp_series.values())
        if self.total is not None and len(self.total.counts):
            return int(self.total.counts.max() * 1.2) + extra
        return extra

    # --- conflicts ----------------------------------------------------------------------------
    def _start_conflict(self, place: int, intensity: float, day: int) -> None:
        self.intensity[place] = intensity
        self.conflict_start[place] = day
        self.movechance_base[place] = self.params.conflict_movechance
        self.is_town[place] = False

    def _end_conflict(self, place: int) -> None:
        self.intensity[place] = 0.0
        self.movechance_base[place] = self.params.default_movechance
        self.is_town[place] = True

    def _apply_conflicts(self, day: int) -> bool:
        """Apply the day's conflict rows; return whether a conflict started or ended."""
        changed = False
        for place, value in self.conflict_events.get(day, ()):
            previous = self.prev_value[place]
            in_conflict = self.intensity[place] > 0.0
            if value > POSITIVE:
                if day == 0 or previous < POSITIVE:
                    self._start_conflict(place, value, day)
                    changed = True
                elif self.documented and in_conflict:
                    self.intensity[place] = value
            elif day > 0 and (previous == 1.0 or (self.documented and previous > POSITIVE)):
                self._end_conflict(place)
                changed = True
            self.prev_value[place] = value
        return changed

    def decay(self, day: int) -> np.ndarray:
        """Return each place's conflict decay factor on a day (1 without a decay list)."""
        factors = self.decay_factors
        if not len(factors):
            return np.ones(len(self.intensity))
        idx = np.minimum((day - self.conflict_start) // 30, len(factors) - 1)
        return factors[np.maximum(idx, 0)]

    # --- spawning -----------------------------------------------------------------------------
    def spawn(self, day: int) -> None:
        """Update conflict zones, then add the day's new people (and camps' day-0 people)."""
        sim = self.sim
        p = self.params
        if day == 0 and p.insert_day0:
            for place, pid in zip(self.camp_places, self.camp_ids, strict=True):
                series = self.camp_series.get(pid)
                if series is not None:
                    self._add(int(series.at(0)[0]), int(place))
        # Flee refreshes spawn weights when a conflict starts or ends, else they are the
        # previous day's: the decay of day - 1 applies.
        weights_day = day if self._apply_conflicts(day) or day == 0 else day - 1
        if p.conflict_driven_spawning:
            conflict = self.intensity > 0.0
            amount = p.displaced_per_conflict_day * self.intensity
            if p.spawn_mode == "pop_ratio":
                amount = amount * self.pop
            if p.spawn_mode == "poisson":
                counts = sim.rng.poisson(np.where(conflict, amount, 0.0))
            else:
                counts = np.where(conflict, np.floor(amount), 0).astype(np.int64)
            self._add_all(counts)
            self._record_totals(day)
            return
        if self.total is None:
            raise CorridorError("the flee model needs totals.csv (or conflict-driven spawning)")
        today = int(self._total_on(day))
        diff = today if day == 0 else today - int(self._total_on(day - 1))
        self.raw += diff
        new = diff - self.debt
        if day == 0 and p.insert_day0:
            new = 0
        if new < 0:
            self.debt = -new
            new = 0
        elif self.debt > 0:
            self.debt = 0
        if new > 0:
            shares, weight_sum = self._spawn_shares(weights_day)
            if not weight_sum > 0:
                raise CorridorError(f"day {day} ({sim.scenario.date_of(day)}): {new} people "
                                    "should appear but no conflict zone has a population")
            self._add_all(sim.rng.multinomial(new, shares))
        self._record_totals(day)

    def _spawn_shares(self, day: int) -> tuple[np.ndarray, float]:
        """Return each place's share of new people (weights of `day`) and the weights' sum.

        A conflict zone weighs its population × intensity (× its decay factor). The shares
        change only with these (the decay with its 30-day step): the last ones are returned
        (not copied; they are only read) while none of that changed.
        """
        decays = bool(self.params.conflict_spawn_decay)
        step = b""
        if decays and len(self.decay_factors):
            step = np.minimum((day - self.conflict_start) // 30,
                              len(self.decay_factors) - 1).tobytes()
        key = (step, self.intensity.tobytes(), self.pop.tobytes())
        if key != self._shares_key:
            weight = np.where(self.intensity > 0.0, self.pop * self.intensity, 0.0)
            if decays:
                weight = weight * self.decay(day)
            total = weight.sum()
            self._shares = (weight / total if total > 0 else weight, total)
            self._shares_key = key
        return self._shares

    def _total_on(self, day: int) -> int:
        if day < len(self.total_daily):
            return int(self.total_daily[day])
        return int(self.total.at(day)[0])

    def _record_totals(self, day: int) -> None:
        if day < len(self.raw_by_day):
            self.raw_by_day[day] = self.raw
            self.debt_by_day[day] = self.debt

    def _add_all(self, counts: np.ndarray) -> None:
        """Add counts[place] new people at every place (one row per place with counts)."""
        places = (counts > 0).nonzero()[0]
        if not self.counts or self.params.take_from_population:
            for place in places:
                self._add(int(counts[place]), int(place))
            return
        self.attach_columns()
        new = self.sim.add_people_at(places, counts[places], self.group)
        a = self.sim.agents
        if self.params.stay_close_to_home and self.documented:
            a.full("home")[new] = places
        a.full("since")[new] = 0  # as in `_add`

    def _add(self, count: int, place: int) -> None:
        if count <= 0:
            return
        if self.params.take_from_population and self.intensity[place] > 0.0:
            if count > self.pop[place]:
                raise CorridorError(
                    f"take_from_population: {count} people should appear in "
                    f"'{self.sim.network.place_ids[place]}' but only {int(self.pop[place])} live "
                    "there; raise its population or turn take_from_population off")
            self.pop[place] -= count
        if self.counts:
            self.attach_columns()
        new = self.sim.add_people(count, place, self.group)
        if self.counts:
            a = self.sim.agents
            if self.params.stay_close_to_home and self.documented:
                a.full("home")[new] = place
            # rows do not keep the day their people appeared (rows of every age merge); their
            # stored order stands for Flee's creation order (see `flee_count_pass`)
            a.full("since")[new] = 0
            return
        self._grow(new.stop)
        c = self.cols
        c["active"][new] = True
        c["r_start"][new] = -1
        c["r_len"][new] = 0
        c["r_pos"][new] = 0
        c["recent"][new] = 0.0
        c["home"][new] = place

    def _grow(self, needed: int) -> None:
        cap = len(self.cols["active"])
        if needed <= cap:
            return
        cap = max(needed, int(cap * 1.5) + 1024)
        for k, arr in self.cols.items():
            new = np.zeros(cap, dtype=arr.dtype)
            new[: len(arr)] = arr
            self.cols[k] = new

    # --- closures and paths -------------------------------------------------------------------
    def _apply_closures(self, day: int, gates: Gates) -> None:
        active = tuple(k for k, (_, start, end) in enumerate(self.closures)
                       if start <= day and (end is None or day < end)) if self.closures else ()
        signature = (active, gates.link_open.tobytes())
        if signature == self._closure_signature:
            return  # the same closures and gates as yesterday: nothing to redo
        self._closure_signature = signature
        net = self.sim.network
        closed_by = np.zeros(net.n_links, dtype=np.int32)
        camp_closed = np.zeros(net.n_places, dtype=np.bool_)
        redirect_off: set[tuple[int, int]] = set()
        country_of = np.array([net.countries[c] for c in net.country])
        for c, start, end in self.closures:
            if day < start or (end is not None and day >= end):
                continue
            if c.type == "country":
                a = country_of[net.link_from] == c.name1
                b = country_of[net.link_to] == c.name2
                a2 = country_of[net.link_from] == c.name2
                b2 = country_of[net.link_to] == c.name1
                closed_by += (a & b) | (a2 & b2)
            elif c.type == "location":
                x = net.index(c.name1)
                closed_by += (net.link_from == x) | (net.link_to == x)
            elif c.type == "link":
                if self.documented:
                    x, y = net.index(c.name1), net.index(c.name2)
                    closed_by += (((net.link_from == x) & (net.link_to == y))
                                  | ((net.link_from == y) & (net.link_to == x)))
            elif c.type in ("camp", "idpcamp"):
                camp_closed[net.index(c.name1)] = True
            elif c.type == "remove_forced_redirection":
                redirect_off.add((net.index(c.name1), net.index(c.name2)))
        link_open = (closed_by == 0) & gates.link_open
        newly_closed = self.link_open & ~link_open
        self.link_gen[newly_closed] += 1
        changed = not np.array_equal(link_open, self.link_open)
        self.link_open = link_open
        self._apply_camp_closures(camp_closed)
        self.forced_link[:] = -1
        if self.documented:
            for a, link in self.forced:
                if (a, int(net.link_to[link])) not in redirect_off:
                    self.forced_link[a] = link
        if changed or self._paths_for is None:
            self._build_paths()

    def _apply_camp_closures(self, closed: np.ndarray) -> None:
        was = getattr(self, "_camp_closed", np.zeros_like(closed))
        p = self.params
        for place in np.flatnonzero(closed & ~was):  # a camp becomes a town
            self.is_camp[place] = False
            self.is_town[place] = True
            self.intensity[place] = 0.0
            self.movechance_base[place] = p.default_movechance
        for place in np.flatnonzero(was & ~closed):  # and back
            self.is_camp[place] = True
            self.is_town[place] = False
            self.intensity[place] = 0.0
            self.movechance_base[place] = (p.idpcamp_movechance if self.is_idp[place]
                                           else p.camp_movechance)
        self._camp_closed = closed

    def _build_paths(self) -> None:
        net = self.sim.network
        p = self.params
        level = p.awareness_level
        self.weight_mode = WEIGHT_FULL
        if self.documented and level <= 0:
            self.weight_mode = WEIGHT_DISTANCE if level == 0 else WEIGHT_UNIFORM
            level = 1
        if not self.documented and level == 0:
            level = -99  # Flee 3.1: routes never match a place, so nobody moves
        ends, kms, nodes = enumerate_paths(net.n_places, net.out_ptr, net.out_links,
                                           net.link_to, net.link_km, self.link_open,
                                           self.is_marker, max(level, 1))
        if level == -1:  # Flee 3.1 at level -1: neighbours only, no paths through markers
            for i in range(net.n_places):
                keep = [k for k, nd in enumerate(nodes[i]) if len(nd) == 1]
                ends[i] = [ends[i][k] for k in keep]
                kms[i] = [kms[i][k] for k in keep]
                nodes[i] = [nodes[i][k] for k in keep]
        if level == -99:
            ends = [[] for _ in ends]
            kms = [[] for _ in kms]
            nodes = [[] for _ in nodes]
        counts = np.array([len(e) for e in ends], dtype=np.int64)
        self.opt_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.opt_end = np.array([e for es in ends for e in es], dtype=np.int32)
        km = np.array([k for ks in kms for k in ks], dtype=np.float64)
        self.opt_inv = 1.0 / np.maximum(p.softening + km, 1e-9) ** p.distance_power
        flat = [nd for nds in nodes for nd in nds]
        starts = np.zeros(len(flat), dtype=np.int32)
        offset = len(self.route_store)
        pieces = []
        for k, nd in enumerate(flat):
            starts[k] = offset
            offset += len(nd)
            pieces.append(np.asarray(nd, dtype=np.int32))
        # Old routes stay valid: new node lists are appended to the store.
        self.route_store = np.concatenate([self.route_store, *pieces]).astype(np.int32)
        self.opt_route = starts
        self.opt_rlen = np.array([len(nd) for nd in flat], dtype=np.int16)
        self.scratch = np.zeros(max(int(counts.max()) if len(counts) else 1, 1))
        self._paths_for = self.link_open.copy()
        # the count kernel's tuples of route options, weights and travel (`flee_count_pass`)
        self._path_args = (
            (self.route_store, self.opt_ptr, self.opt_end, self.opt_inv, self.opt_route,
             self.opt_rlen, net.out_ptr, net.out_links),
            (p.capacity_buffer, p.weight_softening, p.weight_power, self.weight_mode,
             self.home_dist, p.home_distance_power, not self.documented),
            (p.max_walk_speed, p.start_on_foot, p.avoid_short_stints,
             1.0 / max(p.max_move_speed, 1e-12), self.is_town))

    # --- the day ------------------------------------------------------------------------------
    def _daily_place_arrays(self, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return today's (score, population weight, move chance) of every place.

        They change only with what they are computed from (conflicts, camps, closures, the
        decay step of each conflict): the previous day's arrays are returned (not copied;
        the kernels only read them) while none of that changed.
        """
        step = b""
        if len(self.decay_factors):
            step = np.minimum((day - self.conflict_start) // 30,
                              len(self.decay_factors) - 1).tobytes()
        signature = (step, self.intensity.tobytes(), self.is_camp.tobytes(),
                     self.movechance_base.tobytes(), self.forced_link.tobytes(),
                     self.pop.tobytes())
        if signature != self._place_signature:
            self._place_arrays = self._compute_place_arrays(day)
            self._place_signature = signature
        return self._place_arrays

    def _compute_place_arrays(self, day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = self.params
        conflict = self.intensity > 0.0
        score = np.ones(len(self.intensity))
        score[self.foreign] *= p.foreign_weight
        score[self.is_camp] *= p.camp_weight
        exponent = self.decay(day) * self.intensity
        score = np.where(conflict, score * np.power(p.conflict_weight, exponent), score)
        pop_weight = np.ones(len(score))
        if p.use_pop_for_loc_weight:
            base = np.maximum(self.pop, 1.0) if self.documented else np.minimum(self.pop, 1.0)
            pop_weight = np.where(self.is_camp, 1.0,
                                  np.power(base, p.pop_power_for_loc_weight))
        factor = np.power(np.maximum(self.pop, self.raw_capacity) / p.movechance_pop_base,
                          p.movechance_pop_scale_factor)
        movechance = self.movechance_base * factor
        movechance[self.forced_link >= 0] = 1.0
        return score, pop_weight, movechance

    def move(self, day: int, gates: Gates) -> np.ndarray:
        """Apply the day's closures and run Flee's two passes over everybody."""
        sim = self.sim
        net = sim.network
        a = sim.agents
        p = self.params
        self._apply_closures(day, gates)
        score, pop_weight, movechance = self._daily_place_arrays(day)
        if self.counts:
            return self._move_rows(day, score, pop_weight, movechance)
        c = self.cols
        count = self._occ
        flee_day(a.n, a.place, a.link, a.travelled, a.prev_place, a.countries, a.kinds,
                 c["active"], c["r_start"], c["r_len"], c["r_pos"], c["entry_gen"],
                 c["recent"], c["home"], self.route_store, self.opt_ptr, self.opt_end,
                 self.opt_inv, self.opt_route, self.opt_rlen, net.out_ptr, net.out_links,
                 net.link_from, net.link_to, net.link_km, self.link_speed, self.walk_prob,
                 self.link_open, self.link_gen, self.forced_link, movechance, self.is_town,
                 self.is_camp, score, pop_weight, count, self.capacity, net.country, net.kind,
                 p.capacity_buffer, p.weight_softening, p.weight_power, self.weight_mode,
                 self.home_dist, p.home_distance_power, not self.documented, p.max_move_speed,
                 p.max_walk_speed, p.start_on_foot, p.avoid_short_stints,
                 sim.key_for(day, PURPOSE_MOVE), self.day_flows(), self.scratch, a.state,
                 c["held"], self.camp_kind, _IN_TRANSIT, _IN_CAMP)
        if p.sinks:
            self._deactivate(day, count)
        if day < len(self.camp_counts):
            self.camp_counts[day] = count[self.camp_places]
            self.total_agents[day] = a.n
        self.days_done = day + 1
        return np.zeros(0, dtype=np.int64)

    def day_flows(self) -> np.ndarray:
        """Return the recorder's flow counts of today for the model's one cohort (a 1-D view).

        Everybody in a Flee run is of one group, so of one cohort. The view is kept while the
        recorder keeps its array (`begin_day` zeroes it in place; a new cohort replaces it).
        """
        flows = self.sim.recorder.day_flows
        if flows is not self._flows_of:
            self._flows_of = flows
            self._flows = flows[self.sim.cohort_of_group[self.group]]
        return self._flows

    def _move_rows(self, day: int, score: np.ndarray, pop_weight: np.ndarray,
                   movechance: np.ndarray) -> np.ndarray:
        """Flee's two passes over rows of interchangeable people (count representation).

        One call of `flee_count_day` does the day (again after growing the rows, when they
        run short; see `_day_buffers`), merging the rows at its end unless camps are sinks
        (the simulation merges them after `_deactivate_rows`).
        """
        sim = self.sim
        net = sim.network
        a = sim.agents
        p = self.params
        self.attach_columns()
        key = sim.key_for(day, PURPOSE_MOVE)
        common, weights, travel = self._path_args
        room = flee_count_kernels.ROOM
        a.reserve(a.n + 2 * room)
        prog, slices, held, stack, entered, table, first, total = self._day_buffers(a.capacity)
        occ = self._occ
        prog[:] = 0
        sinks = p.sinks
        merge = not sinks  # (else after the sinks, by the simulation)
        flows = self.day_flows()
        while True:
            a.n = flee_count_day(prog, a.n, a.capacity, _row_buffers(a._data), slices, held,
                                 occ, common, net.link_from, net.link_to, net.link_km,
                                 self.link_speed, self.walk_prob, self.link_open, self.link_gen,
                                 self.forced_link, movechance, self.is_camp, score, pop_weight,
                                 self.capacity, net.country, net.kind, weights, travel, key,
                                 flows, self.scratch, stack, entered, self.camp_kind,
                                 _IN_TRANSIT, _IN_CAMP, merge, table, first, total)
            if prog[STAGE] == STAGE_DONE:
                break
            a.reserve(max(a.n + 2 * room, a.capacity + 1))  # short of rows: grow, go on
            _, slices, _, stack, _, table, first, total = self._day_buffers(a.capacity,
                                                                          int(prog[TOP]))
        self.rows_merged = merge
        if sinks:
            self._deactivate_rows()
        if day < len(self.camp_counts):
            self.camp_counts[day] = occ[self.camp_places]
            self.total_agents[day] = sim.departed
        self.days_done = day + 1
        return np.zeros(0, dtype=np.int64)

    def _day_buffers(self, cap: int, top: int = 0) -> tuple:
        """Return `flee_count_day`'s buffers for `cap` rows.

        (prog, slices, held, stack, entered, table, first, total), kept from day to day and
        grown (1.5× at least) when the rows outgrow them: `slices` keeps its rows and `stack`
        its first `top` entries (a suspended pass goes on with them); `held` is only read up
        to the rows of the day's start, which it covered. `table` has the power of two >= 2 ×
        the rows `first` and `total` have (the bounds of `merge_day_rows`).
        """
        buf = self._buffers
        if buf is None or len(buf[1]) < cap:
            size = cap if buf is None else max(cap, len(buf[1]) * 3 // 2)
            slices = np.zeros((size, ROUNDS), dtype=np.int64)
            held = np.zeros(size, dtype=np.int64)
            stack = flee_count_kernels.new_stack(size + 2)
            if buf is None:
                prog = np.zeros(6, dtype=np.int64)
                entered = np.zeros(len(self.scratch) + 1, dtype=np.int64)
            else:
                prog, old_slices, old_held, old_stack, entered = buf[:5]
                slices[: len(old_slices)] = old_slices
                held[: len(old_held)] = old_held
                stack = flee_count_kernels.new_stack(size + 2, old_stack, top)
            slots = 16
            while slots < 2 * size:
                slots <<= 1
            buf = self._buffers = (prog, slices, held, stack, entered,
                                   np.zeros(slots, dtype=np.int64),
                                   np.zeros(size, dtype=np.int64),
                                   np.zeros(size, dtype=np.int64))
        if len(buf[4]) < len(self.scratch) + 1:  # the paths were rebuilt with more options
            buf = self._buffers = (*buf[:4], np.zeros(len(self.scratch) + 1, dtype=np.int64),
                                   *buf[5:])
        return buf

    def _deactivate_rows(self) -> None:
        sim = self.sim
        a = sim.agents
        prob = self.deactivation_probability()
        for place in np.flatnonzero((prob > 0) & self.is_camp):
            idx = np.flatnonzero(a.active & (a.link < 0) & (a.place == place))
            if len(idx):
                yes, _ = sim.split(idx, float(prob[place]), PURPOSE_SINK)
                a.full("active")[yes] = False

    def _deactivate(self, day: int, count: np.ndarray) -> None:
        sim = self.sim
        a = sim.agents
        prob = self.deactivation_probability()
        active = self.cols["active"][: a.n]
        at_place = a.link < 0
        idx = np.flatnonzero(active & at_place & self.is_camp[a.place] & (prob[a.place] > 0))
        if len(idx):
            u = sim.uniforms(idx, PURPOSE_SINK)
            active[idx[u < prob[a.place[idx]]]] = False

    def deactivation_probability(self) -> np.ndarray:
        """Return each place's daily chance of deactivating people (camps as sinks)."""
        net = self.sim.network
        out = np.zeros(net.n_places)
        for pid, value in self.params.deactivation_probability.items():
            if pid in net.place_ids:
                out[net.index(pid)] = value
        return out

    # --- Flee-style output ----------------------------------------------------------------------
    def camp_observed(self) -> np.ndarray:
        """Return the observed camp counts per day (days × camps), as Flee interpolates them."""
        days = self.days_done
        out = np.zeros((days, len(self.camp_ids)), dtype=np.int64)
        for j, pid in enumerate(self.camp_ids):
            series = self.camp_series.get(pid)
            if series is not None:
                out[:, j] = series.daily(days)
        return out
