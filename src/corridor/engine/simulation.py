"""`Simulation`: the one object that owns a run's network, agents, clock and random streams."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass

import numba
import numpy as np

from corridor.engine.agents import Agents
from corridor.engine.hooks import RuleHooks
from corridor.engine.kernels import first_come
from corridor.engine.models import model_class
from corridor.engine.network import Network
from corridor.engine.random import day_key, master_key, uniforms
from corridor.engine.recorder import NOT_DEPARTED, Recorder
from corridor.engine.row_splits import binomial_split, timer_splits
from corridor.engine.row_updates import change_rows, put_rows_at
from corridor.engine.states import N_STATES, State
from corridor.io.sinks import MemorySink
from corridor.scenario.cohorts import COHORT, cohort_labels, label_of
from corridor.scenario.model import Scenario

ENGINES = ("agents", "counts", "auto")
AUTO_COUNTS_FROM = 200_000  # people from which `auto` picks the count representation


def choose_engine(scenario: Scenario, engine: str) -> str:
    """Resolve `auto`: counts for large runs of models that have a count representation."""
    return engine_choice(scenario, engine)[0]


def engine_choice(scenario: Scenario, engine: str) -> tuple[str, str]:
    """Return the representation a run uses and why (one line, for `--engine auto`).

    Raises:
        ScenarioError: When `counts` is asked for a scenario without a count representation.
    """
    from corridor.errors import Problem, ScenarioError

    model = model_class(scenario.config.model)
    problem = model.counts_problem(scenario)
    if engine == "counts" and problem:
        raise ScenarioError([Problem("--engine", None, None,
                                     f"{problem}; use --engine agents")])
    if engine != "auto":
        return engine, f"--engine {engine}"
    if problem:
        return "agents", f"{problem}"
    people = model.expected_people(scenario)
    if people >= AUTO_COUNTS_FROM:
        return "counts", (f"about {people:,} people expected, at least {AUTO_COUNTS_FROM:,}: "
                          "rows of interchangeable people")
    return "agents", (f"about {people:,} people expected, fewer than {AUTO_COUNTS_FROM:,}: "
                      "one row per person")


@dataclass(frozen=True)
class Group:
    """Attributes shared by a group of people (who a rule applies to)."""

    nationality: str
    attributes: tuple[tuple[str, str], ...] = ()
    origin: str = ""  # place id people of the group departed from ("" if not tracked)

    @property
    def cohort(self) -> str:
        """The group's `cohort` attribute ("" without one): how the report splits a run."""
        return dict(self.attributes).get("cohort", "")

    def get(self, name: str, default: str = "") -> str:
        """Return an attribute (or the nationality) by name."""
        if name == "nationality":
            return self.nationality
        return dict(self.attributes).get(name, default)


class Simulation:
    """A run of a scenario: network, agents, clock, random streams, rules and recorder.

    Nothing is shared between two simulations; running two in one process is safe.

    Args:
        scenario: A validated scenario (see `corridor.load_scenario`).
        seed: Seed of the run; defaults to the scenario's seed.
        engine: Representation of people: "agents" (one row per person), "counts" (rows of
            interchangeable people, split by binomial draws), or "auto" (counts for large runs).
        seed_sequence: An explicit `SeedSequence` (e.g. spawned for an ensemble member);
            overrides `seed` for the random streams.
        sink: Where tables go as they are produced (default: memory).
        member: Index of the run in an ensemble; makes the run id distinct (`...-m<k>`).
        threads: Threads for the kernels (default: all that numba may use); results do not
            depend on it.
    """

    def __init__(self, scenario: Scenario, seed: int | None = None, engine: str = "agents",
                 seed_sequence: np.random.SeedSequence | None = None, sink=None,
                 member: int | None = None, threads: int | None = None):
        if engine not in ENGINES:
            from corridor.errors import Problem, ScenarioError

            raise ScenarioError([Problem("--engine", None, None, f"unknown engine {engine!r}; "
                                         f"expected one of {', '.join(ENGINES)}")])
        if scenario.parameters is None:
            from corridor.scenario.load import finalize

            scenario = finalize(scenario)
        self.scenario = scenario
        self.engine = choose_engine(scenario, engine)
        self.count_rows = self.engine == "counts"
        self.threads = max(1, min(threads or numba.get_num_threads(), numba.get_num_threads()))
        self.seed = scenario.config.seed if seed is None else int(seed)
        if not 0 <= self.seed <= 2**63 - 1:
            from corridor.errors import Problem, ScenarioError

            raise ScenarioError([Problem("--seed", None, None, f"{self.seed} is not a seed; give "
                                         "a whole number from 0 to 2**63 - 1")])
        self.seed_sequence = seed_sequence or np.random.SeedSequence(self.seed)
        # the sequence's first two children, whatever was spawned from it before: a sequence
        # given twice (an ensemble member run again in one process) gives the same run
        ss = self.seed_sequence
        streams = [np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, i),
                                          pool_size=ss.pool_size) for i in range(2)]
        self.master = master_key(streams[0])
        self._keys: dict[tuple[int, int], np.uint64] = {}  # (day, purpose) → key_for
        self.rng = np.random.default_rng(streams[1])
        self.days = scenario.config.days
        self.day = 0
        self.network = Network.from_scenario(scenario)
        self.groups: list[Group] = []
        self._group_index: dict[Group, int] = {}
        # cohorts (`corridor.scenario.cohorts`): labels in numbering order, and each group's
        self.cohorts: list[str] = list(cohort_labels(scenario.departures))
        self._scenario_cohorts = tuple(self.cohorts)
        self._group_cohort: list[int] = []
        self._cohort_of_group = np.zeros(0, dtype=np.int64)
        self.departed_by_cohort = [0] * len(self.cohorts)
        self.digest = scenario.digest()
        self.member = member
        self.run_id = f"{scenario.name}-s{self.seed}-{self.digest[:10]}"
        if member is not None:
            self.run_id += f"-m{member}"
        self.sink = sink if sink is not None else MemorySink()
        self.recorder = Recorder(self)
        self.model = model_class(scenario.config.model)(self)
        self.agents = Agents(reserve=getattr(self.model, "expected_agents", 0))
        self.tracer = None  # set by `corridor explain` to record what rules did to whom
        self.rules = self._build_rules()
        self.departed = 0
        self.wall_time = 0.0
        self._place_bits: tuple[np.ndarray, np.ndarray] | None = None  # see `add_people_at`

    def _build_rules(self) -> RuleHooks:
        if not self.scenario.rules:
            return RuleHooks(self)
        from corridor.rules.book import RuleBook

        return RuleBook(self)

    # --- groups and people -------------------------------------------------------------------
    def group_id(self, nationality: str, attributes: dict[str, str] | None = None,
                 origin: str = "") -> int:
        """Return the index of a group of people with these attributes (created on first use).

        `origin` (the place id they departed from) keeps people of different origins apart, so
        that outcomes can say where people came from; rules never look at it.
        """
        group = Group(nationality, tuple(sorted((attributes or {}).items())), origin)
        idx = self._group_index.get(group)
        if idx is None:
            idx = len(self.groups)
            if idx > np.iinfo(np.uint16).max:
                raise ValueError("too many distinct groups of people (more than 65,535)")
            self.groups.append(group)
            self._group_index[group] = idx
            label = label_of(group.get(COHORT), self._scenario_cohorts)
            if label not in self.cohorts:  # a group the scenario's departures do not name
                self.cohorts.append(label)
                self.departed_by_cohort.append(0)
                self.recorder.grow_cohorts(len(self.cohorts))
            self._group_cohort.append(self.cohorts.index(label))
        return idx

    @property
    def cohort_of_group(self) -> np.ndarray:
        """The cohort index of every group (int64, indexed by group; see `cohorts`)."""
        if len(self._cohort_of_group) != len(self._group_cohort):
            self._cohort_of_group = np.array(self._group_cohort, dtype=np.int64)
        return self._cohort_of_group

    def add_people(self, count: int, place: int, group: int,
                   state: State = State.IN_TRANSIT, rule: str = "departure") -> slice:
        """Add people at a place; counted as a change of state from `not_departed`."""
        net = self.network
        country = int(net.country[place])
        rows, per_row = (1 if count else 0, count) if self.count_rows else (count, 1)
        new = self.agents.add(rows, place, group, self.day, int(state),
                              1 << country if country < 16 else 0, 1 << int(net.kind[place]),
                              per_row=per_row)
        self.departed += count
        cohort = self._group_cohort[group]
        self.departed_by_cohort[cohort] += count
        if count:
            self.recorder.add_count(place, N_STATES, int(state), rule, count, cohort)
        return new

    def add_people_at(self, places: np.ndarray, counts: np.ndarray, group: int,
                      state: State = State.IN_TRANSIT, rule: str = "departure") -> slice:
        """Add counts[i] people at places[i], one row each (count representation only)."""
        if not self.count_rows:
            raise ValueError("add_people_at makes one row per place: count representation only")
        if self._place_bits is None:  # each place's country and kind bits (they never change)
            net = self.network
            country = net.country.astype(np.int64)
            self._place_bits = (np.where(country < 16,
                                         np.left_shift(1, np.minimum(country, 15)), 0),
                                np.left_shift(1, net.kind.astype(np.int64)))
        country_bit, kind_bit = self._place_bits
        new = self.agents.add(len(places), places, group, self.day, int(state),
                              country_bit[places], kind_bit[places], per_row=counts)
        count_list = counts.tolist()
        people = sum(count_list)
        self.departed += people
        cohort = self._group_cohort[group]
        self.departed_by_cohort[cohort] += people
        self.recorder.add_counts(places.tolist(), N_STATES, int(state), rule, count_list,
                                 cohort)
        return new

    def positions(self, idx: np.ndarray) -> np.ndarray:
        """Return the position (place, or n_places + link) of some agents."""
        a = self.agents
        link = a.link[idx]
        return np.where(link < 0, a.place[idx], self.network.n_places + link)

    def change_state(self, idx: np.ndarray, new: State, rule: str) -> None:
        """Move some agents into a new state, counting the change as a flow caused by a rule."""
        if len(idx) == 0:
            return
        a = self.agents
        rec = self.recorder
        key = rec.change_key(int(new), rule)
        if key is None:
            rec.add_transitions(self.positions(idx), a.state[idx], int(new), rule,
                                a.count[idx], self.cohort_of_group[a.group[idx]])
            a.state[idx] = int(new)
            a.since[idx] = self.day
            return
        radix, mult, tail = key
        keys, people = change_rows(np.asarray(idx, dtype=np.int64), int(new), self.day,
                                   a.full("place"), a.full("link"), a.full("state"),
                                   a.full("since"), a.full("count"), a.full("group"),
                                   self.cohort_of_group, self.network.n_places,
                                   rec.counts.shape[1], radix, mult, tail)
        rec.add_changes(keys, people)

    def put_at(self, idx: np.ndarray, place: int) -> None:
        """Put people at a place, off any link (e.g. bused to a station or returned home).

        Their previous place becomes the one they were at (unchanged when on a link); the
        place's country and kind join those they have been in.
        """
        if not len(idx):
            return
        a = self.agents
        net = self.network
        country = int(net.country[place])
        put_rows_at(np.asarray(idx, dtype=np.int64), place, a.full("place"), a.full("link"),
                    a.full("prev_place"), a.full("travelled"), a.full("countries"),
                    a.full("kinds"), np.uint16(1 << country if country < 16 else 0),
                    np.uint16(1 << int(net.kind[place])))

    # --- people as rows: decisions that work for both representations ----------------------
    def people(self, idx: np.ndarray | None = None) -> int:
        """Number of people in rows idx (all rows when None)."""
        a = self.agents
        return int(a.count[idx].sum()) if idx is not None else int(a.count.sum())

    def split(self, idx: np.ndarray, p: float, purpose: int) -> tuple[np.ndarray, np.ndarray]:
        """Partition the people of rows idx: each, with chance p, goes to the first part.

        One Bernoulli draw per person (agents), or one binomial split per row (counts).
        """
        if self.count_rows:
            return self._split_rows(idx, p, purpose)
        yes = self.uniforms(idx, purpose) < p
        return idx[yes], idx[~yes]

    def split3(self, idx: np.ndarray, p1: float, p2: float,
               purpose: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Partition people three ways: chance p1, chance p2, and the rest."""
        if self.count_rows:
            first, rest = self._split_rows(idx, p1, purpose)
            second, rest = self._split_rows(rest, p2 / (1.0 - p1) if p1 < 1 else 0.0,
                                            purpose, counter=1)
            return first, second, rest
        u = self.uniforms(idx, purpose)
        first = u < p1
        second = ~first & (u < p1 + p2)
        return idx[first], idx[second], idx[~first & ~second]

    def split_many(self, idx: np.ndarray, probs: np.ndarray, purpose: int) -> list[np.ndarray]:
        """Partition the people of rows idx over options with chances `probs` (summing to 1).

        One categorical draw per person (agents), or successive binomial splits per row
        (counts: a multinomial).
        """
        probs = np.asarray(probs, dtype=np.float64)
        if not self.count_rows:
            u = self.uniforms(idx, purpose)
            cum = np.cumsum(probs)
            choice = np.minimum(np.searchsorted(cum / cum[-1], u, side="right"),
                                len(probs) - 1)
            return [idx[choice == k] for k in range(len(probs))]
        parts = []
        rest = np.asarray(idx, dtype=np.int64)
        left = 1.0
        for k, p in enumerate(probs[:-1]):
            share = min(1.0, p / left) if left > 0 else 0.0
            part, rest = self._split_rows(rest, share, purpose, counter=k)
            parts.append(part)
            left -= p
        parts.append(rest)
        return parts

    def take(self, idx: np.ndarray, n: int, fifo: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Take the first n people of rows idx; return (taken, rest).

        People longest in their state come first (or, with `fifo=False`, the given order). A
        row is split when only part of it fits.
        """
        if fifo and len(idx):
            idx = idx[np.lexsort((idx, self.agents.since[idx]))]
        if not self.count_rows:
            return idx[:n], idx[n:]
        counts = self.agents.count[idx].astype(np.int64)
        before = np.cumsum(counts) - counts
        full = before + counts <= n
        partial = np.flatnonzero(~full & (before < n))
        taken = idx[full].astype(np.int64)
        if len(partial):
            pieces = self.agents.split_rows(idx[partial], n - before[partial])
            taken = np.concatenate([taken, pieces])
        return taken, idx[~full].astype(np.int64)

    def first_come(self, states: tuple[State, ...], places: np.ndarray, n: int,
                   group_ok: np.ndarray | None = None, flag_mask: int = 0) -> np.ndarray:
        """Rows of the first n people waiting in `states` at `places` (oldest first).

        The equivalent of `take(rows matching, n)` without building the list of all who wait:
        memory stays small however many people wait. A row taken in part is split.
        """
        a = self.agents
        state_ok = np.zeros(N_STATES, dtype=np.bool_)
        state_ok[[int(s) for s in states]] = True
        place_ok = np.zeros(self.network.n_places, dtype=np.bool_)
        place_ok[places] = True
        if group_ok is None:
            group_ok = np.ones(max(len(self.groups), 1), dtype=np.bool_)
        rows, parts = first_come(a.n, a.state, a.place, a.link, a.flags, a.since, a.group,
                                 a.count, state_ok, place_ok, group_ok, np.uint16(flag_mask),
                                 n)
        partial = parts < a.count[rows]
        for j in np.flatnonzero(partial):
            rows[j] = a.split_row(int(rows[j]), int(parts[j]))
        return rows

    def set_timers(self, idx: np.ndarray, first: int, last: int, purpose: int) -> None:
        """Set each person's timer to a day drawn uniformly from first..last."""
        a = self.agents
        span = last - first + 1
        if not self.count_rows:
            u = self.uniforms(idx, purpose)
            a.timer[idx] = first + np.floor(u * span).astype(np.int64)
            return
        if not len(idx) or span <= 0:
            return
        # all the steps of successive binomial splits (see `row_splits`) in one kernel call
        src, people, step = timer_splits(self.key_for(self.day, purpose),
                                         np.asarray(idx, dtype=np.int64), a.full("count"),
                                         a.full("timer"), first, span)
        if len(src):
            new = a.append_copies(src, people)
            a.timer[new] = first + step

    def _split_rows(self, idx: np.ndarray, p: float, purpose: int,
                    counter: int = 0) -> tuple[np.ndarray, np.ndarray]:
        a = self.agents
        if not len(idx):
            return idx, idx
        # one kernel call: the draws, and the people of rows split in part leave their row
        yes, no, src, taken = binomial_split(self.key_for(self.day, purpose),
                                             np.asarray(idx, dtype=np.int64), counter,
                                             a.full("count"), float(p))
        if len(src):  # the pieces become new rows, in the order of idx
            yes = np.concatenate([yes, a.append_copies(src, taken)])
        return yes, no

    def occupancy(self) -> np.ndarray:
        """Return the number of people at each place at the end of the previous day."""
        return self.recorder.totals()[: self.network.n_places].sum(axis=1)

    # --- random streams ---------------------------------------------------------------------
    def key_for(self, day: int, purpose: int) -> np.uint64:
        """Return the counter-based random key of a day and purpose."""
        key = self._keys.get((day, purpose))
        if key is None:
            if len(self._keys) > 4096:
                self._keys.clear()
            key = self._keys[(day, purpose)] = day_key(self.master, day, purpose)
        return key

    def uniforms(self, idx: np.ndarray, purpose: int, counter: int = 0) -> np.ndarray:
        """Return one uniform draw per agent for today, reproducible per agent and purpose."""
        return uniforms(self.key_for(self.day, purpose), np.asarray(idx, dtype=np.int64),
                        counter)

    # --- the daily loop ---------------------------------------------------------------------
    def step(self) -> None:
        """Advance the simulation by one day."""
        day = self.day
        self.recorder.begin_day()
        self.model.spawn(day)
        self.rules.daily(day)
        gates = self.rules.gates(day)
        arrived = self.model.move(day, gates)
        if len(arrived):
            self.rules.on_arrival(day, arrived)
        if self.count_rows and (len(arrived) or not self.model.rows_merged):
            self.agents.merge(keep_order=self.model.keeps_row_order)
        self.recorder.end_day(day)
        self.day += 1

    def run(self, progress: Callable[[int], None] | None = None):
        """Run every remaining day and return the result.

        Args:
            progress: Called with the day number after each day (for progress bars).

        Returns:
            A `corridor.io.results.RunResult`.
        """
        from corridor.io.results import RunResult

        started = time.perf_counter()
        # no cyclic garbage collection during the days (a run makes no reference cycles to
        # speak of; the collector's passes over every object were ~4 % of a count run)
        collecting = gc.isenabled()
        gc.disable()
        try:
            while self.day < self.days:
                self.step()
                if progress is not None:
                    progress(self.day)
            self.recorder.flush()
            self.sink.write("outcomes", self.recorder.outcomes())
        except BaseException:
            self.sink.abort()
            raise
        finally:
            if collecting:
                gc.enable()
        self.wall_time += time.perf_counter() - started
        return RunResult.from_simulation(self)

    # --- metadata ---------------------------------------------------------------------------
    def summary(self) -> dict:
        """Return totals by final state and position."""
        by_state, by_place = self.recorder.last_day_totals()
        by_state.pop(NOT_DEPARTED, None)
        by_cohort = self.recorder.last_day_cohort_totals()
        for label, departed in zip(self.cohorts, self.departed_by_cohort, strict=True):
            by_cohort.setdefault(label, {"departed": 0, "by_state": {}})["departed"] = departed
        return {
            "run_id": self.run_id,
            "scenario": self.scenario.name,
            "departed": int(self.departed),
            "days": int(self.day),
            "final_date": self.scenario.date_of(max(self.day - 1, 0)).isoformat(),
            "by_state": by_state,
            "by_place": by_place,
            "by_cohort": by_cohort,
        }

    def metadata(self) -> dict:
        """Return what identifies and describes this run (written to run.json)."""
        import datetime as dt

        import corridor

        cfg = self.scenario.config
        return {
            "run_id": self.run_id,
            "scenario": cfg.name,
            "scenario_digest": self.digest,
            "corridor_version": corridor.__version__,
            "engine": self.engine,
            "model": cfg.model,
            "seed": self.seed,
            "member": self.member,
            "start_date": cfg.start_date.isoformat(),
            "days": self.days,
            "parameters": self.scenario.parameters.model_dump(mode="json"),
            "rules": [r.id for r in self.scenario.rules if getattr(r, "enabled", True)],
            "agents": int(self.agents.n),
            "bytes_per_agent": self.agents.bytes_per_agent(),
            "wall_time_s": round(self.wall_time, 4),
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
