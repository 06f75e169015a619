"""What an observation counts, in terms of a run's tables.

An observation names a place, a kind of count and optionally a cohort (only that cohort's
people count; the tables' `cohort` column). The place resolves (accents and case do not
matter) to a set of place ids: an aggregate of `scenario.toml`, a place id or name, a country (ISO
code or English name) or a region, tried in that order. The kind resolves to a `Measure`:

- a state name (`detained`, `returned_air`, …): people entering that state (`transitions`);
- `present`: people at the places, all states, the largest daily count of the period (`daily`);
- `departed`: people leaving (changes `not_departed → in_transit`, rule `departure`);
- `arrived`: people arriving at the places: hops from a place outside them to one inside
  (`flows`) plus departures there (`transitions`); it replaces the state `arrived`, which only
  destinations give and whose people arrive there;
- `first_arrival_days`, `median_arrival_days`: days from the period's start to the day on which
  the arrivals of the period reach 1 % (at least one person) / half of all its arrivals;
- a measure of `scenario.toml` (`[measures.NAME]`): crossings of a border or a route
  (`flows`), changes of state filtered by state and rule (`transitions`), presence, or a sum.

`check_observations` is called when a scenario is loaded: an observation that maps to nothing
is a `Problem` naming `observations.csv`, its row and field. `RunTables.value` computes a
measure over a period of a finished run.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor.engine.states import MODEL_CAUSES, STATE_LABELS
from corridor.errors import CorridorError, Problem, ScenarioError
from corridor.scenario.cohorts import cohort_labels

if TYPE_CHECKING:
    import pyarrow as pa

    from corridor.scenario.model import AggregateSpec, MeasureSpec, ObservationRow, Scenario

OBSERVATIONS = "observations.csv"
CONFIG = "scenario.toml"
NOT_DEPARTED = "not_departed"
DEPARTURE_RULE = "departure"
PRESENT = "present"
DEPARTED = "departed"
ARRIVED = "arrived"
FIRST_ARRIVAL = "first_arrival_days"
MEDIAN_ARRIVAL = "median_arrival_days"
ARRIVAL_DAY_KINDS = {FIRST_ARRIVAL: "first", MEDIAN_ARRIVAL: "median"}
BUILTIN_KINDS = (PRESENT, DEPARTED, ARRIVED, *ARRIVAL_DAY_KINDS, *STATE_LABELS)
FIRST_SHARE = 0.01  # the first arrival: the day arrivals reach this share of the period's
MEDIAN_SHARE = 0.5
FROM_STATES = (NOT_DEPARTED, *STATE_LABELS)


def fold(text: str) -> str:
    """Return text for matching names: no accents, case-folded, single spaces.

    Example: `fold("Tecún  Umán") == fold("tecun uman")`.
    """
    plain = "".join(c for c in unicodedata.normalize("NFKD", text)
                    if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


@dataclass(frozen=True)
class Where:
    """Where an observation counts: a set of place ids, optionally only for some rules.

    Attributes:
        label: The observation's place, as written.
        what: How it resolved (`place`, `aggregate`, `country`, `region`).
        places: Place ids.
        rules: Rule id patterns (`*` matches any text); empty = changes caused by any rule.
    """

    label: str
    what: str
    places: frozenset[str]
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measure:
    """A kind of count, resolved.

    Attributes:
        name: The kind, as written.
        counts: `flows`, `transitions`, `present`, `sum`, `arrivals` (entries into the places)
            or `arrival_days` (days to the first or median arrival; `statistic` says which).
        crossed: For flows: (`border`, A, B) with country codes or (`route`, FROM, TO) with ids.
        from_states, to_states: For transitions: state filters (empty = any).
        rules: For transitions: rule id patterns (empty = any).
        keep_state: Whether changes that keep the state count (true when `rules` is given).
        states: For presence: states counted (empty = all).
        statistic: For presence: `max`, `mean` or `last` over the days of the period; for
            arrival days: `first` or `median`.
        places: The measure's own places (None = wherever the observation says).
        anywhere: Whether the measure counts at every place, whatever the observation's place.
        parts: For a sum: the measures added up.
    """

    name: str
    counts: str
    crossed: tuple[str, str, str] | None = None
    from_states: frozenset[str] = frozenset()
    to_states: frozenset[str] = frozenset()
    rules: tuple[str, ...] = ()
    keep_state: bool = False
    states: frozenset[str] = frozenset()
    statistic: str = "max"
    places: frozenset[str] | None = None
    anywhere: bool = False
    parts: tuple[Measure, ...] = ()

    def kinds_of_count(self) -> set[str]:
        """Every way of counting this measure uses (its own, or those of its parts)."""
        if self.counts == "sum":
            return set().union(*(p.kinds_of_count() for p in self.parts))
        if self.counts == "arrivals":
            return {"flows", "transitions"}
        if self.counts == "arrival_days":
            return {"flows", "transitions", "arrival_days"}
        return {self.counts}


class Unresolved(LookupError):
    """A name that maps to nothing; the message says what was expected."""


def rule_matches(rule: str, patterns: Iterable[str]) -> bool:
    """Whether a rule id matches any of the patterns (`*` matches any text)."""
    return any(fnmatchcase(rule, p) for p in patterns)


class Catalog:
    """The names a scenario's observations may use, with their meaning.

    Problems in the definitions of `[aggregates]` and `[measures]` (unknown place, region,
    country, state or rule) are collected in `problems` when the catalog is built.

    Args:
        place_ids: Place ids of `places.csv`.
        country_of: Place id → ISO country code.
        region_of: Place id → region ("" for none).
        rule_ids: Ids of the rules of `rules.toml`.
        links: (from, to) pairs of place ids that a route joins, in that direction.
        aggregates: `[aggregates]` of `scenario.toml`.
        measure_specs: `[measures]` of `scenario.toml`.
        names: Place id → display name.
        cohorts: Cohort labels that observations may name (`corridor.scenario.cohorts`).
    """

    def __init__(self, place_ids: Iterable[str], country_of: dict[str, str],
                 region_of: dict[str, str], rule_ids: Iterable[str] = (),
                 links: Iterable[tuple[str, str]] = (),
                 aggregates: dict[str, AggregateSpec] | None = None,
                 measure_specs: dict[str, MeasureSpec] | None = None,
                 names: dict[str, str] | None = None, cohorts: Iterable[str] = ()):
        self.place_ids = tuple(place_ids)
        self.cohorts = tuple(cohorts)
        self.country_of = dict(country_of)
        self.region_of = dict(region_of)
        self.rule_ids = tuple(rule_ids)
        self.links = frozenset(links)
        self.aggregates = dict(aggregates or {})
        self.measure_specs = dict(measure_specs or {})
        self.problems: list[Problem] = []
        self._place_by_name: dict[str, str] = {}
        for pid in self.place_ids:
            self._place_by_name.setdefault(fold(pid), pid)
        for pid, name in (names or {}).items():
            self._place_by_name.setdefault(fold(name), pid)
        self._regions: dict[str, set[str]] = {}
        self._countries: dict[str, set[str]] = {}
        for pid in self.place_ids:
            self._countries.setdefault(self.country_of[pid], set()).add(pid)
            region = self.region_of.get(pid, "")
            if region:
                self._regions.setdefault(fold(region), set()).add(pid)
        self._aggregates = {fold(name): name for name in self.aggregates}
        self._wheres: dict[str, Where] = {}
        self._measures: dict[str, Measure] = {}
        self._check_definitions()

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Catalog:
        """Return the catalog of a loaded scenario (its places, rules, aggregates, measures)."""
        links = set()
        for r in scenario.routes:
            links.add((r.from_, r.to))
            if r.two_way:
                links.add((r.to, r.from_))
        return cls(
            place_ids=[p.id for p in scenario.places],
            country_of={p.id: p.country for p in scenario.places},
            region_of={p.id: p.region for p in scenario.places},
            rule_ids=[r.id for r in scenario.rules],
            links=links,
            aggregates=dict(scenario.config.aggregates),
            measure_specs=dict(scenario.config.measures),
            names={p.id: p.name for p in scenario.places},
            cohorts=cohort_labels(scenario.departures),
        )

    # --- places ------------------------------------------------------------------------------
    def place_id(self, text: str) -> str | None:
        """Return the id of a place named by id or name (accents and case do not matter)."""
        return self._place_by_name.get(fold(text))

    def country_code(self, text: str) -> str | None:
        """Return the ISO code of a country of the network named by code or English name."""
        from corridor.flee.countries import country_code

        code = text.strip().upper() if re.fullmatch(r"\s*[A-Za-z]{2}\s*", text) else None
        if code is None:
            code = country_code(text.strip())
        return code if code in self._countries else None

    def region_places(self, text: str) -> set[str] | None:
        """Return the places of a region (the `region` column), or None."""
        found = self._regions.get(fold(text))
        return set(found) if found else None

    def where(self, text: str) -> Where:
        """Resolve an observation's place.

        Tried in order: an aggregate, a place id or name, a country, a region. An aggregate may
        take the name of a place: the scenario then says what that name means for observations
        (e.g. detentions reported at a town happen, in the model, at a migration station).

        Raises:
            Unresolved: When the text names none of them.
        """
        key = fold(text)
        if key in self._wheres:
            return self._wheres[key]
        pid = self.place_id(text)
        if key in self._aggregates:
            name = self._aggregates[key]
            spec = self.aggregates[name]
            where = Where(text, "aggregate", frozenset(self._spec_places(spec, None, [])),
                          tuple(spec.rules))
        elif pid is not None:
            where = Where(text, "place", frozenset({pid}))
        elif (code := self.country_code(text)) is not None:
            where = Where(text, "country", frozenset(self._countries[code]))
        elif (region := self.region_places(text)) is not None:
            where = Where(text, "region", frozenset(region))
        else:
            raise Unresolved(
                f"'{text}' is not an aggregate of scenario.toml, a place id or name, a country "
                f"or a region of places.csv (aggregates: "
                f"{', '.join(self.aggregates) or 'none defined'})")
        self._wheres[key] = where
        return where

    def _spec_places(self, spec: Any, label: str | None,
                     problems: list[Problem]) -> set[str]:
        """Places of an aggregate or of a measure's `places`/`regions`/`countries`."""
        out: set[str] = set()
        for name in spec.places:
            pid = self.place_id(name)
            if pid is None:
                if label:
                    problems.append(Problem(CONFIG, None, f"{label}.places",
                                            f"unknown place '{name}'; expected a place id or "
                                            f"name of places.csv"))
            else:
                out.add(pid)
        for name in spec.regions:
            found = self.region_places(name)
            if found is None:
                if label:
                    problems.append(Problem(CONFIG, None, f"{label}.regions",
                                            f"unknown region '{name}'; regions come from the "
                                            f"region column of places.csv"))
            else:
                out |= found
        for name in spec.countries:
            code = self.country_code(name)
            if code is None:
                if label:
                    problems.append(Problem(CONFIG, None, f"{label}.countries",
                                            f"'{name}' is not a country of places.csv "
                                            f"({', '.join(sorted(self._countries))})"))
            else:
                out |= self._countries[code]
        return out

    # --- measures ----------------------------------------------------------------------------
    def measure(self, kind: str) -> Measure:
        """Resolve an observation's kind.

        Raises:
            Unresolved: When it is neither a built-in kind nor a measure of scenario.toml.
        """
        if kind in self._measures:
            return self._measures[kind]
        measure = self._build_measure(kind, ())
        self._measures[kind] = measure
        return measure

    def _build_measure(self, kind: str, chain: tuple[str, ...]) -> Measure:
        if kind in chain:
            raise Unresolved(f"measure '{kind}' is part of itself "
                             f"({' → '.join((*chain, kind))})")
        if kind in self.measure_specs:
            return self._from_spec(kind, self.measure_specs[kind], (*chain, kind))
        if kind == PRESENT:
            return Measure(kind, "present")
        if kind == DEPARTED:
            return Measure(kind, "transitions", from_states=frozenset({NOT_DEPARTED}),
                           rules=(DEPARTURE_RULE,), keep_state=True)
        if kind == ARRIVED:
            return Measure(kind, "arrivals")
        if kind in ARRIVAL_DAY_KINDS:
            return Measure(kind, "arrival_days", statistic=ARRIVAL_DAY_KINDS[kind])
        if kind in STATE_LABELS:
            return Measure(kind, "transitions", to_states=frozenset({kind}))
        raise Unresolved(
            f"'{kind}' is not a state ({', '.join(STATE_LABELS)}), 'present', 'departed', "
            f"'arrived', 'first_arrival_days', 'median_arrival_days' or a measure of "
            f"scenario.toml (measures: "
            f"{', '.join(self.measure_specs) or 'none defined'})")

    def _from_spec(self, name: str, spec: MeasureSpec, chain: tuple[str, ...]) -> Measure:
        places = None
        if spec.places or spec.regions or spec.countries:
            places = frozenset(self._spec_places(spec, None, []))
        counts = spec.counts
        if spec.anywhere:
            places = frozenset(self.place_ids)
        common = {"places": places, "anywhere": spec.anywhere}
        if counts == "sum":
            parts = tuple(self._build_measure(part, chain) for part in spec.sum)
            return Measure(name, "sum", parts=parts, **common)
        if counts == "present":
            return Measure(name, "present", states=frozenset(spec.states),
                           statistic=spec.statistic, **common)
        if counts == "flows":
            return Measure(name, "flows", crossed=self._crossed(spec.crossed), **common)
        return Measure(name, "transitions", from_states=frozenset(spec.from_states),
                       to_states=frozenset(spec.to_states), rules=tuple(spec.rules),
                       keep_state=bool(spec.rules), **common)

    def _crossed(self, text: str) -> tuple[str, str, str]:
        a, b = (x.strip() for x in text.split(">", 1))
        if re.fullmatch(r"[A-Z]{2}", a) and re.fullmatch(r"[A-Z]{2}", b):
            return ("border", a, b)
        pa, pb = self.place_id(a), self.place_id(b)
        if pa is None or pb is None:
            raise Unresolved(f"crossed = '{text}': expected two country codes (\"HN>GT\") or "
                             f"two places of places.csv (\"FROM>TO\")")
        return ("route", pa, pb)

    # --- checks ------------------------------------------------------------------------------
    def _check_definitions(self) -> None:
        """Check `[aggregates]` and `[measures]`: every place, state and rule they name."""
        problems = self.problems
        known_rules = (*self.rule_ids, DEPARTURE_RULE, *MODEL_CAUSES)
        for name, spec in self.aggregates.items():
            label = f"aggregates.{name}"
            self._spec_places(spec, label, problems)
            self._check_rules(spec.rules, label, known_rules)
        for name, spec in self.measure_specs.items():
            label = f"measures.{name}"
            if name in BUILTIN_KINDS:
                problems.append(Problem(CONFIG, None, label,
                                        f"'{name}' is a built-in kind of count; give the "
                                        f"measure a name of its own"))
            self._spec_places(spec, label, problems)
            self._check_rules(spec.rules, label, known_rules)
            for fname, states, allowed in (("to_states", spec.to_states, STATE_LABELS),
                                           ("from_states", spec.from_states, FROM_STATES),
                                           ("states", spec.states, STATE_LABELS)):
                for state in states:
                    if state not in allowed:
                        problems.append(Problem(CONFIG, None, f"{label}.{fname}",
                                                f"unknown state '{state}'; expected one of "
                                                f"{', '.join(allowed)}"))
            if spec.crossed is not None:
                try:
                    kind, a, b = self._crossed(spec.crossed)
                except Unresolved as err:
                    problems.append(Problem(CONFIG, None, f"{label}.crossed", str(err)))
                else:
                    if kind == "border":
                        for code in (a, b):
                            if code not in self._countries:
                                problems.append(Problem(
                                    CONFIG, None, f"{label}.crossed",
                                    f"'{code}' is not a country of places.csv "
                                    f"({', '.join(sorted(self._countries))})"))
                    elif (a, b) not in self.links:
                        problems.append(Problem(CONFIG, None, f"{label}.crossed",
                                                f"no route leads from '{a}' to '{b}' in "
                                                f"routes.csv"))
            for part in spec.sum:
                try:
                    measure = self.measure(part)
                except Unresolved as err:
                    problems.append(Problem(CONFIG, None, f"{label}.sum", str(err)))
                else:
                    if "arrival_days" in measure.kinds_of_count():
                        problems.append(Problem(CONFIG, None, f"{label}.sum",
                                                f"'{part}' is a number of days, which does "
                                                f"not add up with counts"))

    def _check_rules(self, patterns: list[str], label: str, known: tuple[str, ...]) -> None:
        for pattern in patterns:
            if not any(fnmatchcase(r, pattern) for r in known):
                self.problems.append(Problem(CONFIG, None, f"{label}.rules",
                                             f"'{pattern}' matches no rule of rules.toml"))

    def check(self, number: int, obs: ObservationRow, problems: list[Problem]) -> None:
        """Check that one observation (row `number`) maps to a place and a measure."""
        where = measure = None
        try:
            where = self.where(obs.place)
        except Unresolved as err:
            problems.append(Problem(OBSERVATIONS, number, "place", str(err)))
        try:
            measure = self.measure(obs.kind)
        except Unresolved as err:
            problems.append(Problem(OBSERVATIONS, number, "kind", str(err)))
        if obs.cohort and obs.cohort not in self.cohorts:
            problems.append(Problem(OBSERVATIONS, number, "cohort",
                                    f"unknown cohort '{obs.cohort}'; expected empty (everyone) "
                                    f"or one of {', '.join(self.cohorts)} (the cohort column "
                                    f"of departures.csv)"))
        if measure is not None and measure.counts == "arrival_days":
            for name in ("value", "low", "high"):
                days = getattr(obs, name)
                if days is not None and days < 0:
                    problems.append(Problem(OBSERVATIONS, number, name,
                                            f"{days:g} is negative; '{obs.kind}' is a number "
                                            f"of days from period_start"))
        if where is None or measure is None:
            return
        if where.rules and measure.kinds_of_count() & {"flows", "present"}:
            problems.append(Problem(OBSERVATIONS, number, "kind",
                                    f"'{obs.kind}' counts crossings or presence, which no rule "
                                    f"causes, but '{obs.place}' counts only changes caused by "
                                    f"rules {', '.join(where.rules)}"))
        if measure.places is not None and not measure.anywhere and not (
                measure.places & where.places):
            problems.append(Problem(OBSERVATIONS, number, "kind",
                                    f"measure '{obs.kind}' counts at none of the places of "
                                    f"'{obs.place}'"))


def check_observations(scenario: Scenario,
                       rows: Iterable[tuple[int, ObservationRow]] | None = None) -> None:
    """Check that every observation of a scenario maps to a place and a measure.

    Also checks the `[aggregates]` and `[measures]` of `scenario.toml`.

    Args:
        scenario: The loaded scenario.
        rows: (row number, observation) pairs; default: the scenario's, numbered from row 2.

    Raises:
        ScenarioError: With every problem found.
    """
    catalog = Catalog.from_scenario(scenario)
    problems = list(catalog.problems)
    if rows is None:
        rows = enumerate(scenario.observations, start=2)
    if not problems:
        for number, obs in rows:
            catalog.check(number, obs, problems)
    if problems:
        raise ScenarioError(problems)


# --- run tables ------------------------------------------------------------------------------
def arrival_day(per_day: np.ndarray, statistic: str, offset: int = 0) -> float | None:
    """Return the day (index + offset) on which cumulative arrivals reach a share of them all.

    `first`: 1 % of the period's arrivals, and at least one person — a lone early arrival in
    a large group does not set it, so one-row-per-person and rows-of-many runs agree;
    `median`: half of them. None when nobody arrives.

    Examples: `arrival_day(np.array([0, 0, 5, 5]), "first") == 2`;
    `arrival_day(np.array([1, 0, 0, 99]), "first") == 0` (1 % of 100 is one person);
    `arrival_day(np.array([0, 4, 0, 6]), "median", offset=3) == 6`.
    """
    total = float(per_day.sum())
    if total <= 0:
        return None
    need = max(FIRST_SHARE * total, 1.0) if statistic == "first" else MEDIAN_SHARE * total
    cumulative = np.cumsum(per_day)
    day = int(np.searchsorted(cumulative, need * (1 - 1e-12)))
    return float(min(day, len(per_day) - 1) + offset)


def _column(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy()


class _Labels:
    """A string column as integer codes and the distinct labels, for fast set tests."""

    def __init__(self, table: pa.Table, name: str):
        import pyarrow.compute as pc

        encoded = pc.dictionary_encode(table.column(name)).combine_chunks()
        self.codes = encoded.indices.to_numpy(zero_copy_only=False)
        self.labels: list[str] = encoded.dictionary.to_pylist()

    def mask(self, keep: Callable[[str], bool]) -> np.ndarray:
        """Rows whose label passes `keep`."""
        ok = np.array([bool(keep(label)) for label in self.labels], dtype=np.bool_)
        return ok[self.codes] if len(self.codes) else np.zeros(0, dtype=np.bool_)

    def values(self) -> np.ndarray:
        """The labels of every row (object array)."""
        return np.array(self.labels, dtype=object)[self.codes]


class RunTables:
    """A finished run's tables, read lazily from its folder, and measures computed on them.

    Args:
        folder: A run folder (`daily.parquet`, `flows.parquet`, `transitions.parquet`).
        country_of: Place id → country code (from the run's scenario).
        start_date: The run's day 0.
        days: The run's length.
    """

    def __init__(self, folder: Path, country_of: dict[str, str], start_date: dt.date,
                 days: int):
        self.folder = Path(folder)
        self.country_of = country_of
        self.start_date = start_date
        self.days = days
        self._tables: dict[str, dict[str, Any]] = {}

    @classmethod
    def open(cls, folder: Path, scenario: Scenario) -> RunTables:
        """Open a run folder; day 0 and length come from its `run.json`."""
        folder = Path(folder)
        start, days = scenario.config.start_date, scenario.config.days
        meta = folder / "run.json"
        if meta.is_file():
            data = json.loads(meta.read_text(encoding="utf-8"))
            start = dt.date.fromisoformat(str(data.get("start_date", start)))
            days = int(data.get("days", days))
        return cls(folder, {p.id: p.country for p in scenario.places}, start, days)

    def _table(self, name: str, columns: tuple[str, ...], labels: tuple[str, ...]
               ) -> dict[str, Any]:
        """Read columns of a table once; its `cohort` column too, when it has one."""
        if name not in self._tables:
            import pyarrow.parquet as pq

            path = self.folder / f"{name}.parquet"
            if not path.is_file():
                raise CorridorError(f"{self.folder} has no {name}.parquet; is it a run folder "
                                    f"written by `corridor run --out`?")
            if "cohort" in pq.read_schema(path).names:
                columns, labels = (*columns, "cohort"), (*labels, "cohort")
            table = pq.read_table(path, columns=list(columns))
            data: dict[str, Any] = {}
            for col in columns:
                data[col] = _Labels(table, col) if col in labels else _column(table, col)
            self._tables[name] = data
        return self._tables[name]

    def _cohort(self, t: dict[str, Any], name: str, cohort: str) -> np.ndarray | bool:
        """Rows of one cohort (True for everybody when `cohort` is empty)."""
        if not cohort:
            return True
        if "cohort" not in t:
            raise CorridorError(f"{self.folder / name}.parquet has no cohort column (written "
                                f"before runs kept cohorts apart): run the scenario again to "
                                f"score observations of cohort '{cohort}'")
        return t["cohort"].mask(lambda c: c == cohort)

    def observe(self, catalog: Catalog, obs: ObservationRow) -> float | None:
        """Return the run's value of an observation; None when the run cannot measure it.

        None when the period lies wholly outside the run, and for arrival days when nobody
        (of the observation's cohort) arrives at the place within the period.
        """
        first, last, coverage = self.days_of(obs.period_start, obs.period_end)
        if coverage <= 0:
            return None
        day0 = (obs.period_start - self.start_date).days
        return self.value(catalog.measure(obs.kind), catalog.where(obs.place), first, last,
                          obs.cohort, day0)

    def days_of(self, start: dt.date, end: dt.date) -> tuple[int, int, float]:
        """Return the first and last run day of a period, and the share of it the run covers."""
        d0 = (start - self.start_date).days
        d1 = (end - self.start_date).days
        lo, hi = max(d0, 0), min(d1, self.days - 1)
        covered = max(hi - lo + 1, 0) / (d1 - d0 + 1)
        return lo, hi, covered

    def value(self, measure: Measure, where: Where, first: int, last: int, cohort: str = "",
              day0: int | None = None) -> float | None:
        """Return a measure's value at a place set over run days `first`..`last` (inclusive).

        Args:
            measure: What is counted.
            where: Where it is counted.
            first: First run day of the period.
            last: Last run day of the period (inclusive).
            cohort: Count only this cohort's people (empty: everybody).
            day0: For arrival days, the run day they are counted from (default `first`).

        Returns:
            The value; None only for arrival days when nobody arrives in the period.
        """
        if measure.anywhere:
            places = measure.places
        else:
            places = where.places if measure.places is None else where.places & measure.places
        if measure.counts == "sum":
            return float(sum(self.value(p, Where(where.label, where.what, places, where.rules),
                                        first, last, cohort) or 0.0 for p in measure.parts))
        if measure.counts == "arrival_days":
            per_day = self.arrivals_per_day(places, first, last, cohort)
            return arrival_day(per_day, measure.statistic, first - (first if day0 is None
                                                                     else day0))
        if last < first or not places:
            return 0.0
        if measure.counts == "arrivals":
            return float(self.arrivals_per_day(places, first, last, cohort).sum())
        if measure.counts == "flows":
            return self._flows(measure, places, first, last, cohort)
        if measure.counts == "present":
            return self._present(measure, places, first, last, cohort)
        return self._transitions(measure, places, where.rules, first, last, cohort)

    def arrivals_per_day(self, places: frozenset[str], first: int, last: int,
                         cohort: str = "") -> np.ndarray:
        """Return people arriving at a place set on each run day `first`..`last`.

        An arrival is a completed hop from a place outside the set to one inside it
        (`flows.parquet`), or a departure from a place of the set (`transitions.parquet`).
        """
        n = max(last - first + 1, 0)
        out = np.zeros(n)
        if not n or not places:
            return out
        inside = places.__contains__
        t = self._table("flows", ("day", "from_place", "to_place", "count"),
                        ("from_place", "to_place"))
        sel = ((t["day"] >= first) & (t["day"] <= last) & t["to_place"].mask(inside)
               & ~t["from_place"].mask(inside) & self._cohort(t, "flows", cohort))
        out += np.bincount(t["day"][sel] - first, weights=t["count"][sel], minlength=n)
        t = self._transitions_table()
        sel = ((t["day"] >= first) & (t["day"] <= last) & t["place"].mask(inside)
               & t["from_state"].mask(lambda s: s == NOT_DEPARTED)
               & t["rule"].mask(lambda r: r == DEPARTURE_RULE)
               & self._cohort(t, "transitions", cohort))
        out += np.bincount(t["day"][sel] - first, weights=t["count"][sel], minlength=n)
        return out

    def _transitions_table(self) -> dict[str, Any]:
        return self._table("transitions", ("day", "place", "from_state", "to_state", "rule",
                                           "count"), ("place", "from_state", "to_state", "rule"))

    def _flows(self, measure: Measure, places: frozenset[str], first: int, last: int,
               cohort: str = "") -> float:
        t = self._table("flows", ("day", "from_place", "to_place", "count"),
                        ("from_place", "to_place"))
        kind, a, b = measure.crossed
        sel = (t["day"] >= first) & (t["day"] <= last) & self._cohort(t, "flows", cohort)
        if kind == "border":
            country = self.country_of.get
            sel &= t["from_place"].mask(lambda p: country(p) == a)
            sel &= t["to_place"].mask(lambda p: country(p) == b)
        else:
            sel &= t["from_place"].mask(lambda p: p == a) & t["to_place"].mask(lambda p: p == b)
        sel &= t["from_place"].mask(places.__contains__) | t["to_place"].mask(
            places.__contains__)
        return float(t["count"][sel].sum())

    def _transitions(self, measure: Measure, places: frozenset[str], rules: tuple[str, ...],
                     first: int, last: int, cohort: str = "") -> float:
        t = self._transitions_table()
        sel = (t["day"] >= first) & (t["day"] <= last) & t["place"].mask(places.__contains__)
        sel &= self._cohort(t, "transitions", cohort)
        if measure.to_states:
            sel &= t["to_state"].mask(measure.to_states.__contains__)
        if measure.from_states:
            sel &= t["from_state"].mask(measure.from_states.__contains__)
        if measure.rules:
            sel &= t["rule"].mask(lambda r: rule_matches(r, measure.rules))
        if rules:
            sel &= t["rule"].mask(lambda r: rule_matches(r, rules))
        if not measure.keep_state:
            sel &= t["from_state"].values() != t["to_state"].values()
        return float(t["count"][sel].sum())

    def _present(self, measure: Measure, places: frozenset[str], first: int, last: int,
                 cohort: str = "") -> float:
        t = self._table("daily", ("day", "place", "state", "count"), ("place", "state"))
        sel = (t["day"] >= first) & (t["day"] <= last) & t["place"].mask(places.__contains__)
        sel &= self._cohort(t, "daily", cohort)
        if measure.states:
            sel &= t["state"].mask(measure.states.__contains__)
        per_day = np.bincount(t["day"][sel] - first, weights=t["count"][sel],
                              minlength=last - first + 1)
        if measure.statistic == "mean":
            return float(per_day.mean())
        if measure.statistic == "last":
            return float(per_day[-1])
        return float(per_day.max())

    def present_by_place(self, place_ids: list[str]) -> np.ndarray:
        """Return people present (all states) per day and place: shape (days, places)."""
        t = self._table("daily", ("day", "place", "state", "count"), ("place", "state"))
        index = {p: i for i, p in enumerate(place_ids)}
        col = np.array([index.get(label, -1) for label in t["place"].labels],
                       dtype=np.int64)[t["place"].codes] if len(t["day"]) else np.zeros(
                           0, dtype=np.int64)
        out = np.zeros((self.days, len(place_ids)))
        ok = (col >= 0) & (t["day"] >= 0) & (t["day"] < self.days)
        np.add.at(out, (t["day"][ok], col[ok]), t["count"][ok])
        return out
