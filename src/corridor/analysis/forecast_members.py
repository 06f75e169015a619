"""One member of a forecast: the scenario a particle runs, and the run measured.

A particle's quantities (`corridor.analysis.forecast.quantities`) change the scenario it runs
(`particle_scenario`): the caravan's departures are scaled, rule intensities multiplied, the
general parameters set. A worker runs it (`run_particle`, counts engine) and measures every
observation with its period moved by each timing shift of `assimilation.SHIFTS`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor.analysis import assimilation as am
from corridor.errors import CorridorError

if TYPE_CHECKING:
    from corridor.scenario.model import Scenario

CARAVAN = "caravan"
ALL = "*"
RETURN_KINDS = ("assisted_return",)
ENFORCEMENT = {"checkpoint": ("intercept_chance",), "transit_permit": ("intercept_chance",),
               "border_control": ("stop_chance",)}


def first_departure(scenario: Scenario) -> dt.date:
    """Return the date of the caravan's first departure (of any departure without a cohort)."""
    cohort = caravan_cohort(scenario)
    dates = [d.date for d in scenario.departures
             if cohort is None or d.attributes.get("cohort", "") == cohort]
    if not dates:
        raise CorridorError(f"{scenario.name} has no departures to forecast")
    return min(dates)


def caravan_cohort(scenario: Scenario) -> str | None:
    """Return the caravan's cohort: `caravan` if a departure names it, else the first cohort."""
    from corridor.scenario.cohorts import cohort_labels

    labels = cohort_labels(scenario.departures)
    if CARAVAN in labels:
        return CARAVAN
    named = [c for c in labels if c not in ("other", "all")]
    return named[0] if named else None


def caravan_rows(scenario: Scenario) -> tuple[list[int], list[int]]:
    """Return the indices of the caravan's departures at its first origin, and elsewhere."""
    cohort = caravan_cohort(scenario)
    rows = [i for i, d in enumerate(scenario.departures)
            if cohort is None or d.attributes.get("cohort", "") == cohort]
    if not rows:
        return [], []
    first = min(rows, key=lambda i: scenario.departures[i].date)
    origin = scenario.departures[first].origin
    return ([i for i in rows if scenario.departures[i].origin == origin],
            [i for i in rows if scenario.departures[i].origin != origin])


def particle_scenario(scenario: Scenario, values: dict[str, float], days: int,
                      settings: tuple[str, ...] = ()) -> Scenario:
    """Return the scenario one particle runs: scaled departures and rules, settings, days.

    Args:
        scenario: The scenario.
        values: The particle's quantities (natural units).
        days: The run's length.
        settings: `NAME=VALUE` settings of the particle's setting quantities.
    """
    from corridor.analysis.crossval import GENERAL, STRUCTURE
    from corridor.analysis.ensemble import point_scenario

    home, away = caravan_rows(scenario)
    deps = list(scenario.departures)
    for rows, key in ((home, "caravan_size"), (away, "joining")):
        m = values.get(key, 1.0)
        for i in rows:
            deps[i] = deps[i].model_copy(update={"count": int(round(deps[i].count * m))})
    rules = []
    for r in scenario.rules:
        update: dict[str, Any] = {}
        if "returns" in values and r.kind in RETURN_KINDS:
            m = values["returns"]
            if getattr(r, "daily_seats", None) is not None:
                update["daily_seats"] = max(int(round(r.daily_seats * m)), 0)
            if getattr(r, "take_chance", None) is not None:
                update["take_chance"] = min(r.take_chance * m, 1.0)
        if "enforcement" in values:
            for f in ENFORCEMENT.get(r.kind, ()):
                if getattr(r, f, None) is not None:
                    update[f] = min(getattr(r, f) * values["enforcement"], 1.0)
        rules.append(r.model_copy(update=update) if update else r)
    base = scenario.replace(departures=tuple(deps), rules=tuple(rules))
    general = any(s.split("=", 1)[0] in GENERAL for s in settings)
    return point_scenario(base, [*(STRUCTURE if general else []), *settings, f"days={days}",
                                 "drop_late_departures=true"])


def settings_of(prior: am.Prior, values: dict[str, float]) -> tuple[str, ...]:
    """Return the `NAME=VALUE` settings of a particle's setting quantities."""
    from corridor.analysis.factors import setting

    return tuple(setting(q.name, int(round(values[q.name])) if q.integer
                         else float(values[q.name]))
                 for q in prior.quantities if q.setting)


@dataclass(frozen=True)
class ParticleTask:
    """What a worker needs to run one particle (pickled)."""

    stage: int
    index: int
    scenario: Scenario
    values: dict[str, float]
    days: int
    seed: int
    measure: tuple[Any, ...]
    window: tuple[int, int] | None = None
    engine: str = "counts"
    settings: tuple[str, ...] = ()


@dataclass
class ParticleResult:
    """A particle's values of the measured observations: per observation, per timing shift.

    NaN where the run does not measure an observation.
    """

    stage: int
    index: int
    values: list[list[float]]
    daily: dict[str, Any] | None = None
    error: str = ""


def _daily_window(folder: Path, window: tuple[int, int]) -> dict[str, Any]:
    """Daily counts in a window: by place, state, cohort; by place and cohort; by place."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    t = pq.read_table(folder / "daily.parquet", columns=["day", "place", "state", "cohort",
                                                           "count"])
    t = t.filter(pc.and_(pc.greater_equal(t["day"], window[0]),
                         pc.less_equal(t["day"], window[1])))
    parts = []
    for keys in (("day", "place", "state", "cohort"), ("day", "place", "cohort"),
                 ("day", "place")):
        g = t.group_by(list(keys)).aggregate([("count", "sum")])
        n = g.num_rows
        cols = {"day": g["day"], "place": g["place"],
                "state": g["state"] if "state" in keys else pa.array([ALL] * n),
                "cohort": g["cohort"] if "cohort" in keys else pa.array([ALL] * n),
                "count": g["count_sum"]}
        parts.append(pa.table(cols))
    out = pa.concat_tables(parts)
    return {k: out[k].to_numpy(zero_copy_only=False) for k in out.column_names}


def nan_values(n: int) -> list[list[float]]:
    """Return NaN values of n observations at every timing shift (a member that failed)."""
    return [[math.nan] * len(am.SHIFTS) for _ in range(n)]


def _shifted(tables, catalog, obs) -> list[float]:
    """Return a run's value of an observation with its period moved by each of `SHIFTS`."""
    if obs.kind in am.DAYS:  # arrival days carry their own timing error
        v = tables.observe(catalog, obs)
        return [math.nan if v is None else float(v)] * len(am.SHIFTS)
    out = []
    for shift in am.SHIFTS:
        moved = obs if shift == 0 else obs.model_copy(update={
            "period_start": obs.period_start + dt.timedelta(days=int(shift)),
            "period_end": obs.period_end + dt.timedelta(days=int(shift))})
        v = tables.observe(catalog, moved)
        out.append(math.nan if v is None else float(v))
    return out


def run_particle(task: ParticleTask) -> ParticleResult:
    """Run one particle in this process and measure the observations (a worker's function)."""
    import shutil
    import tempfile

    from corridor.analysis.measures import Catalog, RunTables
    from corridor.api import run_into

    tmp = Path(tempfile.mkdtemp(prefix="corridor-particle-"))
    try:
        scenario = particle_scenario(task.scenario, task.values, task.days, task.settings)
        scenario = scenario.replace(observations=tuple(task.measure))
        out = tmp / "run"
        out.mkdir()
        ss = np.random.SeedSequence(task.seed, spawn_key=(task.stage, task.index))
        run_into(out, scenario, seed=task.seed, seed_sequence=ss, member=task.index,
                 threads=1, engine=task.engine)
        catalog = Catalog.from_scenario(scenario)
        tables = RunTables.open(out, scenario)
        values = [_shifted(tables, catalog, obs) for obs in task.measure]
        daily = _daily_window(out, task.window) if task.window else None
        return ParticleResult(task.stage, task.index, values, daily)
    except Exception as err:  # noqa: BLE001 - a failed particle gets weight 0, the filter goes on
        return ParticleResult(task.stage, task.index, nan_values(len(task.measure)),
                              error=f"{type(err).__name__}: {err}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
