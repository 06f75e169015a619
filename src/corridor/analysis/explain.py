"""`corridor explain`: the journey of one person along a route, and every rule met on the way."""

from __future__ import annotations

import datetime as dt
import heapq
import unicodedata
from dataclasses import dataclass, field

import numpy as np

from corridor.engine.gates import Gates
from corridor.engine.movement import CorridorModel
from corridor.engine.simulation import Simulation
from corridor.engine.states import State
from corridor.errors import Problem, ScenarioError
from corridor.rules.trace import Event, Tracer
from corridor.scenario.load import finalize
from corridor.scenario.model import DepartureRow, Scenario

MAX_DAYS = 240
# States in which a journey has not come to an end yet.
PENDING = ("in_transit", "waiting_metering", "waiting_mpp", "detained", "asylum_transit",
           "waiting")


class ReplicaSimulation(Simulation):
    """A simulation whose people are independent replicas of one traveller.

    `explain --all-outcomes` follows `draws` travellers at once, but each stands for the same
    person travelling alone: nobody shares a seat, a place in a queue or a detention cell
    with another draw. So every rule that rations something (return seats, a port's daily
    quota, a station's capacity, an agreement's daily transfers) treats each draw as if it were
    the only one asking: it is served whenever the ration is at least one, and the number
    already served that day or already held counts nobody else. Random draws stay per person
    (counter-based streams), so draw k's journey does not depend on how many draws there are,
    and the shares of end states differ between `--draws 100` and `--draws 10000` only by
    sampling noise.
    """

    def take(self, idx: np.ndarray, n: int, fifo: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Each replica alone would be first in line: all are taken when n >= 1."""
        idx = np.asarray(idx, dtype=np.int64)
        if n >= 1:
            return idx, idx[:0]
        return idx[:0], idx

    def first_come(self, states: tuple[State, ...], places: np.ndarray, n: int,
                   group_ok: np.ndarray | None = None, flag_mask: int = 0) -> np.ndarray:
        """Everyone waiting is first in their own line: all of them when n >= 1."""
        rows = super().first_come(states, places, max(self.agents.n, 1), group_ok, flag_mask)
        return rows if n >= 1 else rows[:0]

    def people(self, idx: np.ndarray | None = None) -> int:
        """Other replicas are not there: nobody else is held or was served before."""
        return 0

    def occupancy(self) -> np.ndarray:
        """A person alone does not fill a place."""
        return np.zeros_like(super().occupancy())


def fold(text: str) -> str:
    """Lower-case text without accents (for matching place names)."""
    nfkd = unicodedata.normalize("NFKD", text)
    return "".join(c for c in nfkd if not unicodedata.combining(c)).casefold().strip()


def resolve_route(scenario: Scenario, route: str) -> list[str]:
    """Turn "Name>Name>…" (names or ids) into place ids, filling gaps with shortest paths.

    Raises:
        ScenarioError: For an unknown place or places with no path between them.
    """
    lookup: dict[str, str] = {}
    for p in scenario.places:
        lookup[fold(p.id)] = p.id
        lookup[fold(p.name)] = p.id
    names = [x for x in (s.strip() for s in route.replace("→", ">").split(">")) if x]
    if not names:
        raise ScenarioError([Problem("--route", None, None, "is empty")])
    ids = []
    for name in names:
        pid = lookup.get(fold(name))
        if pid is None:
            raise ScenarioError([Problem("--route", None, None,
                                         f"unknown place {name!r} (use a place name or id "
                                         f"from places.csv)")])
        ids.append(pid)
    graph: dict[str, list[tuple[str, float]]] = {}
    for r in scenario.routes:
        graph.setdefault(r.from_, []).append((r.to, r.distance_km))
        if r.two_way:
            graph.setdefault(r.to, []).append((r.from_, r.distance_km))
    path = [ids[0]]
    for a, b in zip(ids, ids[1:], strict=False):
        leg = _shortest(graph, a, b)
        if leg is None:
            raise ScenarioError([Problem("--route", None, None, f"no route from {a} to {b}")])
        path += leg[1:]
    return path


def _shortest(graph: dict[str, list[tuple[str, float]]], a: str, b: str) -> list[str] | None:
    dist = {a: 0.0}
    prev: dict[str, str] = {}
    heap = [(0.0, a)]
    while heap:
        d, u = heapq.heappop(heap)
        if u == b:
            out = [b]
            while out[-1] != a:
                out.append(prev[out[-1]])
            return out[::-1]
        if d > dist[u]:
            continue
        for v, km in graph.get(u, ()):
            if d + km < dist.get(v, np.inf):
                dist[v] = d + km
                prev[v] = u
                heapq.heappush(heap, (d + km, v))
    return None


class FixedRouteModel(CorridorModel):
    """The corridor model, except that people on the route take its next link (when open)."""

    def __init__(self, sim: Simulation):
        super().__init__(sim)
        net = sim.network
        path = [net.index(p) for p in sim.scenario.extras["route"]]
        self.route_links = [net.find_link(a, b) for a, b in zip(path, path[1:], strict=False)]
        self.on_route = np.zeros(net.n_places, dtype=np.bool_)
        self.on_route[path] = True
        self.move_chance = self.move_chance.copy()
        self.move_chance[path[:-1]] = 1.0
        self.move_chance[path[-1]] = 0.0

    def spawn(self, day: int) -> None:
        """Add the travellers; at a gate place they meet its rules at once."""
        before = self.sim.agents.n
        super().spawn(day)
        new = np.arange(before, self.sim.agents.n)
        gates = self.sim.rules.gates(day)
        if len(new):
            at = self.sim.agents.place[new[0]]
            if gates.stop_place[at] or gates.goal_stop[at]:
                self.sim.rules.on_arrival(day, new)

    def choose_destinations(self, gates: Gates, day: int) -> None:
        """The traveller follows the given route: no destination of their own to draw."""

    def link_weights(self, gates: Gates) -> np.ndarray:
        """Only the route's next link from a route place; usual weights elsewhere."""
        weights = super().link_weights(gates)
        net = self.sim.network
        from_route = self.on_route[net.link_from]
        weights[:, from_route] = 0.0
        for link in self.route_links:
            weights[:, link] = 1.0 if gates.link_open[link] else 0.0
        return weights


@dataclass
class RuleMet:
    """A rule that acts where the person is (or would be), and its status on that date."""

    place: str
    date: dt.date
    rule: str
    kind: str
    title: str
    in_force: bool
    status: str
    applies: bool | None
    who: str
    reached: bool = True
    after_end: bool = False


@dataclass
class Explanation:
    """What `explain` found."""

    scenario: str
    nationality: str
    route: list[str]
    start: dt.date
    seed: int
    journey: list[dict] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    rules_met: list[RuleMet] = field(default_factory=list)
    final_state: str = ""
    final_place: str = ""
    outcomes: dict[str, float] | None = None
    draws: int = 1
    end_date: dt.date | None = None
    ended_by: str = "settled"
    notes: list[str] = field(default_factory=list)


def explain(scenario: Scenario, route: str, date: dt.date, nationality: str = "HN",
            attributes: dict[str, str] | None = None, seed: int = 0, draws: int = 1,
            days: int | None = None) -> Explanation:
    """Follow one person (or `draws` people, for the distribution of outcomes) along a route.

    The person leaves the first place of the route on `date` and takes the route's next link
    each day it is open, meeting the scenario's rules as they stand on each date. Person 0's
    journey is traced day by day. The journey ends when the person has settled or on the
    scenario's last day, whichever comes first: the scenario says nothing about later dates.
    The draws are independent replicas of the same person (see `ReplicaSimulation`).

    Raises:
        ScenarioError: For a date after the scenario's last day, or a bad route.
    """
    path = resolve_route(scenario, route)
    last = scenario.config.end_date
    if date > last:
        raise ScenarioError([Problem("--date", None, None,
                                     f"{date} is after the scenario's last day ({last}); "
                                     f"the scenario says nothing about later dates")])
    sc = _journey_scenario(scenario, path, date, nationality, attributes or {}, draws, days)
    sim = ReplicaSimulation(sc, seed=seed)
    sim.model = FixedRouteModel(sim)
    sim.tracer = Tracer(follow=None if draws > 1 else np.array([0]))
    journey = []
    a = sim.agents
    net = sim.network
    while sim.day < sim.days:
        sim.step()
        day = sim.day - 1
        pos = net.place_ids[a.place[0]] if a.link[0] < 0 else net.link_label(int(a.link[0]))
        journey.append({"day": day, "date": sc.date_of(day), "position": pos,
                        "state": State(int(a.state[0])).label})
        if a.state[0] != State.IN_TRANSIT and _settled(journey):
            break
    # The other draws are followed to their own ends, not stopped when person 0 settles.
    pending = [int(State[name.upper()]) for name in PENDING]
    while draws > 1 and sim.day < sim.days and np.isin(a.state[: a.n], pending).any():
        sim.step()
    settled = journey[-1]["state"] not in PENDING
    out = Explanation(scenario.name, nationality, path, date, seed,
                      journey=_compress(journey), events=sim.tracer.events.get(0, []),
                      final_state=journey[-1]["state"], final_place=journey[-1]["position"],
                      draws=draws, end_date=sc.config.end_date,
                      ended_by="settled" if settled else
                      ("scenario_end" if sc.config.end_date == last else "journey_limit"))
    out.rules_met = _rules_met(sim, path, journey, date)
    out.notes = _notes(scenario, out, attributes or {})
    if draws > 1:
        states = np.bincount(a.state[: a.n], minlength=len(State))
        out.outcomes = {State(s).label: float(c) / a.n for s, c in enumerate(states) if c}
    return out


def _settled(journey: list[dict]) -> bool:
    """Stop tracing once the person has been in the same final-looking state for a while."""
    last = journey[-8:]
    return len(last) == 8 and len({(j["state"], j["position"]) for j in last}) == 1 and \
        last[-1]["state"] not in PENDING


def _compress(journey: list[dict]) -> list[dict]:
    """Keep the days on which position or state changed (and the first and last)."""
    kept = []
    for i, step in enumerate(journey):
        if i == 0 or i == len(journey) - 1 or (step["position"], step["state"]) != (
                journey[i - 1]["position"], journey[i - 1]["state"]):
            kept.append(step)
    return kept


def _dates_reached(path: list[str], journey: list[dict]) -> dict[str, dt.date]:
    """Date each route place was reached, including places passed through during a day."""
    where = {pid: k for k, pid in enumerate(path)}
    reached: dict[str, dt.date] = {}
    furthest = -1.0
    for step in journey:
        pos = step["position"]
        if ">" in pos:
            a, b = pos.split(">")
            k = where[a] + 0.5 if a in where and where.get(b) == where[a] + 1 else None
        else:
            k = where.get(pos)
        if k is None:
            break  # left the route (taken elsewhere by a rule)
        while furthest + 1 <= k:
            furthest += 1
            reached.setdefault(path[int(furthest)], step["date"])
    return reached


def _journey_scenario(scenario: Scenario, path: list[str], date: dt.date, nationality: str,
                      attributes: dict[str, str], draws: int, days: int | None) -> Scenario:
    km = 0.0
    index = {(r.from_, r.to): r.distance_km for r in scenario.routes}
    index.update({(r.to, r.from_): r.distance_km for r in scenario.routes if r.two_way})
    for a, b in zip(path, path[1:], strict=False):
        km += index[(a, b)]
    walk = scenario.parameters.walk_speed_km if scenario.parameters is not None else 35.0
    length = days or min(MAX_DAYS, int(km / walk) + 150)
    length = max(1, min(length, (scenario.config.end_date - date).days + 1))
    config = scenario.config.model_copy(update={"start_date": date, "days": length})
    dep = DepartureRow.model_validate({"date": date, "origin": path[0], "count": draws,
                                       "nationality": nationality, **attributes})
    return finalize(scenario.replace(config=config, departures=(dep,), parameters=None,
                                     extras={**scenario.extras, "route": path}))


def _rules_met(sim: Simulation, path: list[str], journey: list[dict],
               start: dt.date) -> list[RuleMet]:
    """Return the rules acting at each route place, with their status on the date.

    The date is when the person was there or, for places not reached, would have been at
    walking speed.
    """
    net = sim.network
    sc = sim.scenario
    reached = _dates_reached(path, journey)
    walk = sc.parameters.walk_speed_km
    last = sc.config.end_date
    out: list[RuleMet] = []
    planned = start
    for k, pid in enumerate(path):
        if k:
            link = net.find_link(net.index(path[k - 1]), net.index(pid))
            planned = planned + dt.timedelta(days=int(np.ceil(net.link_km[link] / walk)))
        date = reached.get(pid, planned)
        planned = date
        place = net.index(pid)
        for compiled in sim.rules.rules if hasattr(sim.rules, "rules") else []:
            if place not in compiled.met_at():
                continue
            rule = compiled.rule
            in_force, status = rule.status_on(date)
            applies = bool(compiled.applies(np.array([0]))[0]) if in_force else None
            out.append(RuleMet(pid, date, rule.id, rule.kind, rule.title or rule.id, in_force,
                               status, applies, rule.who.describe(), reached=pid in reached,
                               after_end=date > last))
    return out


def _notes(scenario: Scenario, result: Explanation, attributes: dict[str, str]) -> list[str]:
    """Plain statements about what the journey's end means and what it depends on."""
    notes = []
    if result.ended_by == "scenario_end":
        notes.append(f"The scenario ends on {result.end_date}: the person is still "
                     f"{result.final_state} at {result.final_place} then; what happens after is "
                     f"outside the scenario.")
    elif result.ended_by == "journey_limit":
        notes.append(f"The trace stops on {result.end_date}, {MAX_DAYS} days at most after "
                     f"setting out: the person is still {result.final_state} at "
                     f"{result.final_place}.")
    missing: dict[str, set[str]] = {}
    for rule in scenario.rules:
        for name, value in (getattr(rule.who, "attributes", None) or {}).items():
            if name not in attributes:
                values = value if isinstance(value, list | tuple | set) else [value]
                missing.setdefault(name, set()).update(str(v) for v in values)
    for name, values in sorted(missing.items()):
        shown = " or ".join(f"{name}={v}" for v in sorted(values))
        notes.append(f"This person has no {name!r} attribute, so the rules for {shown} "
                     f"do not apply to them; add --attribute {name}=… to follow someone who "
                     f"has one.")
    return notes
