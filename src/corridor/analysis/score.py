"""Scoring a run against its scenario's observations (`RUN_DIR/scenario/observations.csv`).

For each observation, the run's value of the same measure over the same period (inclusive
dates) and place (see `corridor.analysis.measures`); whether it falls in the observed low–high
range, and in that range widened by 25 % (low × 0.75, high × 1.25); the relative error against
the observed value; and the factor by which it is off the range (1 inside it; the run's value
over `high`, or `low` over the run's value, outside; infinite when the run has nothing where
something was observed).

An observation whose period lies partly outside the run is measured over the days the run
covers (`coverage` says which share); one wholly outside it is not measured (`simulated` is
None) and counts as not matched; so does an arrival-day observation where nobody arrives.

Observations marked `fitted` sized an input of the scenario (in-sample): the shares are given
over all observations (`matched_share`, `matched_share_widened`, `within_range`, `within_25`),
and apart for the observations that were not fitted (`out_of_sample`) and those that were
(`in_sample`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from corridor.analysis.measures import ARRIVAL_DAY_KINDS, Catalog, RunTables
from corridor.errors import CorridorError

WIDEN_LOW = 0.75
WIDEN_HIGH = 1.25


@dataclass(frozen=True)
class ObservationScore:
    """One observation and the run's value of the same count.

    Attributes:
        period_start, period_end: The observed period (inclusive).
        place, kind: As written in `observations.csv`.
        value, low, high: The observed value and its range (low = high = value without one).
        simulated: The run's value over the days of the period it covers; None if none.
        within_range: Whether `simulated` lies in [low, high]; None if not measured.
        relative_error: (simulated − value) / value; None if not measured or value is 0.
        within_widened: Whether `simulated` lies in [0.75 low, 1.25 high].
        factor_off: 1 inside the range, else max(simulated / high, low / simulated); inf when
            the run has 0 where the range is above 0.
        coverage: Share of the period's days inside the run.
        source: The observation's source keys.
        cohort: The cohort counted (empty: everybody).
        fitted: Whether the observation sized an input (in-sample).
    """

    period_start: dt.date
    period_end: dt.date
    place: str
    kind: str
    value: float
    low: float
    high: float
    simulated: float | None
    within_range: bool | None
    relative_error: float | None
    within_widened: bool | None = None
    factor_off: float | None = None
    coverage: float = 1.0
    source: str = ""
    cohort: str = ""
    fitted: bool = False


def factor_off(simulated: float, low: float, high: float) -> float:
    """Return by how many times a value misses a range (1 inside it).

    Examples: 300 for [100, 150] → 2.0; 50 for [100, 150] → 2.0; 0 for [100, 150] → inf.
    """
    if low <= simulated <= high:
        return 1.0
    if simulated > high:
        return math.inf if high <= 0 else simulated / high
    return math.inf if simulated <= 0 else low / simulated


def _load(run_dir: Path):
    from corridor.scenario.load import load_scenario

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise CorridorError(f"{run_dir} is not a folder; expected a run folder written by "
                            f"`corridor run --out DIR`")
    folder = run_dir / "scenario"
    if not (folder / "scenario.toml").is_file():
        raise CorridorError(f"{run_dir} has no scenario/ copy; expected a run folder written "
                            f"by `corridor run --out DIR`")
    return load_scenario(folder)


def compare(run_dir: Path) -> list[ObservationScore]:
    """Compare a run with its scenario's observations, one score per observation.

    Args:
        run_dir: A folder written by `corridor run --out`.

    Returns:
        One `ObservationScore` per row of `scenario/observations.csv`, in file order (empty
        when the scenario has no observations).

    Raises:
        ScenarioError: When the run's scenario (or an observation) is invalid.
        CorridorError: When the folder is not a run folder.
    """
    scenario = _load(run_dir)
    return _compare(scenario, RunTables.open(run_dir, scenario))


def hasten(scenario: Any) -> int:
    """Return the flee model's `hasten` (1 for other models).

    A flee run with `hasten` n simulates 1/n of the people, so its observations are compared
    divided by n, as Flee's `out.csv` shows them.
    """
    if scenario.config.model != "flee" or scenario.parameters is None:
        return 1
    return max(int(getattr(scenario.parameters, "hasten", 1)), 1)


def _compare(scenario: Any, tables: RunTables) -> list[ObservationScore]:
    if not scenario.observations:
        return []
    catalog = Catalog.from_scenario(scenario)
    scores = []
    n = hasten(scenario)
    for obs in scenario.observations:
        if n > 1:
            obs = obs.model_copy(update={k: None if getattr(obs, k) is None
                                         else getattr(obs, k) / n
                                         for k in ("value", "low", "high")})
        low = obs.value if obs.low is None else obs.low
        high = obs.value if obs.high is None else obs.high
        coverage = tables.days_of(obs.period_start, obs.period_end)[2]
        within = rel = widened = off = None
        simulated = tables.observe(catalog, obs)
        if simulated is not None:
            within = low <= simulated <= high
            widened = low * WIDEN_LOW <= simulated <= high * WIDEN_HIGH
            rel = (simulated - obs.value) / obs.value if obs.value else None
            off = factor_off(simulated, low, high)
        scores.append(ObservationScore(
            period_start=obs.period_start, period_end=obs.period_end, place=obs.place,
            kind=obs.kind, value=obs.value, low=low, high=high, simulated=simulated,
            within_range=within, relative_error=rel, within_widened=widened, factor_off=off,
            coverage=coverage, source=obs.source, cohort=obs.cohort, fitted=obs.fitted))
    return scores


def shares(scores: list[ObservationScore]) -> dict[str, Any]:
    """Return `within_range`, `within_25` (shares; None when there are none) and `n`.

    An observation not measured counts as not matched.
    """
    n = len(scores)
    return {
        "within_25": sum(bool(s.within_widened) for s in scores) / n if n else None,
        "within_range": sum(bool(s.within_range) for s in scores) / n if n else None,
        "n": n,
    }


def summarise(scores: list[ObservationScore]) -> dict[str, Any]:
    """Return the overall figures of a list of scores.

    Shares count every observation (one the run does not measure is not matched); the mean
    absolute relative error and the largest factor are over the measured ones. `out_of_sample`
    and `in_sample` give the shares over the observations not fitted and fitted.
    """
    n = len(scores)
    measured = [s for s in scores if s.simulated is not None]
    errors = [abs(s.relative_error) for s in measured if s.relative_error is not None]
    factors = [s.factor_off for s in measured if s.factor_off is not None]
    worst = max((s for s in measured if s.factor_off is not None),
                key=lambda s: s.factor_off, default=None)
    overall = shares(scores)
    return {
        "n_observations": n,
        "n_measured": len(measured),
        "matched_share": overall["within_range"],
        "matched_share_widened": overall["within_25"],
        "within_range": overall["within_range"],
        "within_25": overall["within_25"],
        "out_of_sample": shares([s for s in scores if not s.fitted]),
        "in_sample": shares([s for s in scores if s.fitted]),
        "mean_abs_relative_error": sum(errors) / len(errors) if errors else None,
        "max_factor_off": max(factors) if factors else None,
        "max_factor_where": None if worst is None else {
            "place": worst.place, "kind": worst.kind, "cohort": worst.cohort,
            "period_start": worst.period_start, "period_end": worst.period_end,
            "value": worst.value, "low": worst.low, "high": worst.high,
            "simulated": worst.simulated},
        "n_infinite_factor": sum(1 for f in factors if math.isinf(f)),
    }


def transit_days(scores: list[ObservationScore]) -> list[dict[str, Any]]:
    """Return the arrival-day observations as `{place, observed, simulated}` (and kind, etc.)."""
    return [{"place": s.place, "observed": s.value, "simulated": s.simulated, "kind": s.kind,
             "cohort": s.cohort, "fitted": s.fitted, "within_widened": s.within_widened}
            for s in scores if s.kind in ARRIVAL_DAY_KINDS]


def score(run_dir: Path) -> dict[str, Any]:
    """Score a run: every observation, the overall figures and, for Flee camp data, the ARD.

    Returns:
        A dict with `observations` (list of dicts), `matched_share`, `matched_share_widened`,
        `within_range`, `within_25` (the same two shares), `out_of_sample` and `in_sample`
        (`{within_25, within_range, n}` over the observations not fitted / fitted),
        `transit_days` (`{place, observed, simulated, …}` per arrival-day observation),
        `mean_abs_relative_error`, `max_factor_off` (float; `inf` when the run has 0 where
        people were observed, or people where 0 were), `max_factor_where` (the observation
        with the largest factor: place, kind, period, value, low, high, simulated),
        `n_infinite_factor`, `n_observations`,
        `n_measured`, `run_dir` and `ard` (Flee's averaged relative difference over the camps
        with `present` observations, for runs of the `flee` model; None otherwise).

    Raises:
        OutputFolderError: The folder is not a complete run.
    """
    from corridor.io.rundir import require_complete

    require_complete(run_dir)
    scenario = _load(run_dir)
    tables = RunTables.open(run_dir, scenario)
    scores = _compare(scenario, tables)
    result: dict[str, Any] = {"run_dir": str(run_dir)}
    result["observations"] = [asdict(s) for s in scores]
    result.update(summarise(scores))
    result["transit_days"] = transit_days(scores)
    result["ard"] = camp_ard(scenario, tables)
    return result


def camp_ard(scenario: Any, tables: RunTables) -> float | None:
    """Return Flee's ARD over the camps, or None.

    Args:
        scenario: The run's scenario.
        tables: The run's tables.

    Returns:
        The averaged relative difference (rescaled, as Flee reports it) between the run's daily
        counts at `camp` and `idp_camp` places and their `present` observations interpolated as
        Flee does, for scenarios of the `flee` model with such observations; None otherwise (or
        when `corridor.analysis.ard` is not installed).
    """
    try:
        from corridor.analysis.ard import ard
    except ImportError:  # the Flee work is not installed
        return None
    if scenario.config.model != "flee":
        return None
    import numpy as np

    from corridor.flee.validation import CountSeries

    camps = {p.id for p in scenario.places if p.kind in ("camp", "idp_camp")}
    points: dict[str, list[tuple[int, float]]] = {}
    for obs in scenario.observations:
        if obs.kind == "present" and obs.place in camps and obs.period_start == obs.period_end:
            points.setdefault(obs.place, []).append(((obs.period_start - tables.start_date).days,
                                                     obs.value / hasten(scenario)))
    if not points:
        return None
    names = sorted(points)
    observed = np.zeros((tables.days, len(names)))
    for j, name in enumerate(names):
        days, counts = zip(*sorted(points[name]), strict=True)
        series = CountSeries(name, (), np.array(days), np.array(counts, dtype=np.float64))
        observed[:, j] = series.daily(tables.days)
    return ard(tables.present_by_place(names), observed)


_ard = camp_ard  # the name other modules used before it was public


def to_json(result: dict[str, Any]) -> str:
    """Return a score as strict JSON: dates as ISO text, non-finite numbers as null.

    A factor is infinite when the run has 0 where the observed range is above 0; JSON has no
    infinity (`Infinity`, `NaN` and `"inf"` are not numbers to a JSON reader), so it is written
    as null, like a value that could not be measured.
    """

    def clean(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        if isinstance(value, dt.date):
            return value.isoformat()
        if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
            return clean(value.item())
        return value

    return json.dumps(clean(result), indent=2, ensure_ascii=False, allow_nan=False)
