"""Output metrics of a run: one number each, for sweeps, sensitivity analysis and calibration.

A metric is named on the command line (`--output NAME`); names with an argument are written
`NAME:ARG`. The registry (`METRICS`) holds:

| name | value |
|---|---|
| `departed` | people who departed |
| `reached_us_border` | people who reached a border city (a place of kind `border_city`) |
| `reached:KIND` | people who reached a place of that kind (`reached:port_of_entry`, …) |
| `returned_by:DATE` | people in a `returned_*` state on that date (returns are final) |
| `final:STATE`, or just `STATE` | people in that state on the last day |
| `ard` | Flee's averaged relative difference of camp counts (rescaled), `flee` scenarios |
| `matched_share` | share of the observations whose observed range holds the run's value |
| `mean_abs_log_error` | mean over observations of abs(ln((run + 1) / (observed + 1))) |

Values are computed in the worker that ran the member, from the member's run folder, so only
numbers travel back. The observation metrics use the score module's measure mapping
(`corridor.analysis.measures`): each observation is measured exactly as `corridor score` does.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corridor.engine.states import STATE_LABELS
from corridor.errors import CorridorError
from corridor.scenario.kinds import PLACE_KINDS

if TYPE_CHECKING:
    import pyarrow as pa

    from corridor.scenario.model import Scenario

RETURNED = ("returned_air", "returned_land", "returned_voluntary")


class MetricError(CorridorError):
    """An output metric is unknown, or does not apply to the scenario."""


@dataclass
class MemberRun:
    """A finished run as the metrics see it: its scenario, folder and summary.

    Args:
        scenario: The scenario the run used (settings applied).
        folder: The run folder (`daily.parquet`, `flows.parquet`, …).
        summary: The run's summary (`summary.json`).
    """

    scenario: Scenario
    folder: Path
    summary: dict[str, Any]
    _tables: dict[str, pa.Table] = field(default_factory=dict, repr=False)
    _observations: list[float | None] | None = field(default=None, repr=False)

    def table(self, name: str, columns: tuple[str, ...]) -> pa.Table:
        """Return columns of one of the run's tables (read once)."""
        import pyarrow.parquet as pq

        key = f"{name}:{','.join(columns)}"
        if key not in self._tables:
            self._tables[key] = pq.read_table(self.folder / f"{name}.parquet",
                                              columns=list(columns))
        return self._tables[key]

    def observation_values(self) -> list[float | None]:
        """Return the run's value of every observation of the scenario, in file order.

        Measured as the score module measures them; None for an observation the run does not
        measure (its period outside the run; arrival days where nobody arrives).
        """
        if self._observations is None:
            from corridor.analysis.measures import Catalog, RunTables

            catalog = Catalog.from_scenario(self.scenario)
            tables = RunTables.open(self.folder, self.scenario)
            values: list[float | None] = []
            for obs in self.scenario.observations:
                values.append(tables.observe(catalog, obs))
            self._observations = values
        return self._observations


@dataclass(frozen=True)
class Metric:
    """An entry of the registry.

    Attributes:
        name: The name before any `:ARG`.
        help: One line for `--help` and error messages.
        compute: `compute(run, arg)` → the value.
        argument: What the argument is (`DATE`, `KIND`, `STATE`); empty when none is taken.
        check: `check(scenario, arg)` → a problem, or None when the metric applies.
    """

    name: str
    help: str
    compute: Callable[[MemberRun, str], float]
    argument: str = ""
    check: Callable[[Scenario, str], str | None] | None = None


# --- the metrics ----------------------------------------------------------------------------
def _sum(table: pa.Table, mask: Any) -> float:
    import pyarrow.compute as pc

    return float(pc.sum(table.filter(mask).column("count")).as_py() or 0)


def _reached(run: MemberRun, kind: str) -> float:
    import re

    import pyarrow.compute as pc

    t = run.table("outcomes", ("kinds", "count"))
    pattern = f"(^|,){re.escape(kind)}(,|$)"
    return _sum(t, pc.match_substring_regex(t.column("kinds"), pattern)) if t.num_rows else 0.0


def _check_kind(scenario: Scenario, kind: str) -> str | None:
    if kind not in PLACE_KINDS:
        return f"'{kind}' is not a place kind ({', '.join(PLACE_KINDS)})"
    if not any(p.kind == kind for p in scenario.places):
        return f"the scenario has no place of kind '{kind}'"
    return None


def _day_of(scenario: Scenario, text: str) -> int:
    return scenario.day_of(dt.date.fromisoformat(text))


def _check_date(scenario: Scenario, text: str) -> str | None:
    try:
        day = _day_of(scenario, text)
    except ValueError:
        return f"'{text}' is not a date (YYYY-MM-DD)"
    if not 0 <= day < scenario.config.days:
        return (f"{text} is outside the run ({scenario.config.start_date} to "
                f"{scenario.config.end_date})")
    return None


def _returned_by(run: MemberRun, date: str) -> float:
    import pyarrow as pa
    import pyarrow.compute as pc

    t = run.table("daily", ("day", "state", "count"))
    day = _day_of(run.scenario, date)
    mask = pc.and_(pc.equal(t.column("day"), pa.scalar(day, pa.int32())),
                   pc.is_in(t.column("state"), pa.array(RETURNED)))
    return _sum(t, mask)


def _check_state(_scenario: Scenario, state: str) -> str | None:
    return None if state in STATE_LABELS else (f"'{state}' is not a state "
                                               f"({', '.join(STATE_LABELS)})")


def _final(run: MemberRun, state: str) -> float:
    return float(run.summary["by_state"].get(state, 0))


def observed_ranges(scenario: Scenario) -> list[tuple[float, float, float]]:
    """Return (value, low, high) of each observation; low and high default to the value."""
    return [(o.value, o.value if o.low is None else o.low, o.value if o.high is None else o.high)
            for o in scenario.observations]


def _check_observations(scenario: Scenario, _arg: str) -> str | None:
    return None if scenario.observations else "the scenario has no observations.csv"


def _matched_share(run: MemberRun, _arg: str) -> float:
    values = run.observation_values()
    hits = sum(1 for (_, low, high), v in zip(observed_ranges(run.scenario), values,
                                              strict=True)
               if v is not None and low <= v <= high)
    return hits / len(values)


def _mean_abs_log_error(run: MemberRun, _arg: str) -> float:
    pairs = [(v, value) for (value, *_), v in zip(observed_ranges(run.scenario),
                                                   run.observation_values(), strict=True)
             if v is not None]
    if not pairs:
        return math.inf
    return sum(abs(math.log((v + 1.0) / (value + 1.0))) for v, value in pairs) / len(pairs)


CAMP_KINDS = ("camp", "idp_camp")  # the places Flee's ARD compares (as the score module)


def camp_observations(scenario: Scenario) -> dict[str, list[tuple[int, float]]]:
    """Return the single-day `present` observations at camps: camp id → (day, count) pairs."""
    camps = {p.id for p in scenario.places if p.kind in CAMP_KINDS}
    points: dict[str, list[tuple[int, float]]] = {}
    for obs in scenario.observations:
        if obs.kind == "present" and obs.place in camps and obs.period_start == obs.period_end:
            points.setdefault(obs.place, []).append((scenario.day_of(obs.period_start),
                                                     obs.value))
    return points


def _check_ard(scenario: Scenario, _arg: str) -> str | None:
    if scenario.config.model != "flee":
        return "the ARD is computed for scenarios of the flee model"
    if not camp_observations(scenario):
        return "the scenario has no camp counts (observations of kind 'present' at camps)"
    return None


def _ard(run: MemberRun, _arg: str) -> float:
    # the score module's ARD on the member's tables: the number `corridor score` gives for it
    from corridor.analysis.measures import RunTables
    from corridor.analysis.score import camp_ard

    value = camp_ard(run.scenario, RunTables.open(run.folder, run.scenario))
    return math.nan if value is None else float(value)


METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("departed", "people who departed",
           lambda run, _a: float(run.summary["departed"])),
    Metric("reached_us_border", "people who reached a border city (kind border_city)",
           lambda run, _a: _reached(run, "border_city"),
           check=lambda sc, _a: _check_kind(sc, "border_city")),
    Metric("reached", "people who reached a place of kind KIND", _reached, "KIND", _check_kind),
    Metric("returned_by", "people in a returned_* state on DATE", _returned_by, "DATE",
           _check_date),
    Metric("final", "people in STATE on the last day (also: just STATE)", _final, "STATE",
           _check_state),
    Metric("ard", "Flee's averaged relative difference of camp counts (rescaled)", _ard,
           check=_check_ard),
    Metric("matched_share", "share of observations whose low-high range holds the run's "
           "value", _matched_share, check=_check_observations),
    Metric("mean_abs_log_error", "mean |ln((run + 1) / (observed + 1))| over observations",
           _mean_abs_log_error, check=_check_observations),
)}
OBSERVATION_METRICS = frozenset({"matched_share", "mean_abs_log_error"})


def describe() -> str:
    """Return the metric names with their help, one per line (for error messages)."""
    return "\n".join(f"  {m.name}{':' + m.argument if m.argument else ''} — {m.help}"
                     for m in METRICS.values())


def split(name: str) -> tuple[Metric, str]:
    """Return the registry entry and argument of a metric name.

    Raises:
        MetricError: When the name is unknown or its argument is missing or not expected.
    """
    base, _, arg = name.partition(":")
    if base in STATE_LABELS and not arg:
        base, arg = "final", base
    metric = METRICS.get(base)
    if metric is None:
        raise MetricError(f"unknown output metric '{name}'; the metrics are:\n{describe()}")
    if metric.argument and not arg:
        raise MetricError(f"metric '{base}' needs an argument: {base}:{metric.argument}")
    if arg and not metric.argument:
        raise MetricError(f"metric '{base}' takes no argument (got '{name}')")
    return metric, arg


def check(names: list[str] | tuple[str, ...], scenario: Scenario) -> None:
    """Check that every metric exists and applies to the scenario.

    Raises:
        MetricError: Naming each metric that does not.
    """
    problems = []
    for name in names:
        metric, arg = split(name)
        problem = metric.check(scenario, arg) if metric.check else None
        if problem:
            problems.append(f"--output {name}: {problem}")
    if problems:
        raise MetricError("\n".join(problems))


def evaluate(names: list[str] | tuple[str, ...], run: MemberRun) -> dict[str, float]:
    """Return the value of each metric on a finished run."""
    out = {}
    for name in names:
        metric, arg = split(name)
        out[name] = float(metric.compute(run, arg))
    return out


def needs_observations(names: list[str] | tuple[str, ...]) -> bool:
    """Whether any of the metrics is computed from the observations."""
    return any(split(n)[0].name in OBSERVATION_METRICS for n in names)


def default_outputs(scenario: Scenario) -> list[str]:
    """Return the metrics worth reporting for a scenario when none is asked for."""
    names = ["departed"]
    if any(p.kind == "border_city" for p in scenario.places):
        names.append("reached_us_border")
    if scenario.config.model == "flee" and camp_observations(scenario):
        names.append("ard")
    if scenario.observations and scenario.config.model != "flee":
        names += ["matched_share", "mean_abs_log_error"]
    return names
