"""Forecast a caravan from the counts known on a date: sequential Monte Carlo over members.

Only observations whose period ends on or before the as-of date are assimilated (`split`);
the others are measured in every member but their values are never read by the filter.

The uncertain quantities (`quantities`) are the caravan's size (a multiplier on the caravan
cohort's departures from its first origin), the joining along the way (a multiplier on its
departures from other places), the general movement parameters of
`corridor.analysis.crossval.GENERAL` (prior around the joint fit shipped in
`scenarios/crossval.toml`, read at run time), two rule intensities (a multiplier on the seats
and take chance of `assisted_return` rules; one on the intercept and stop chances of
`checkpoint`, `transit_permit` and `border_control` rules) and the observation error σ. The
filter (`run_smc`), over the dates on which counts became known, grouped in `stages`:

1. stage 1: `runs` particles drawn from the prior, each run (counts engine) up to the stage's
   date; weights ∝ the likelihood of the counts known by then (`assimilation.log_likelihood`);
2. each later stage: resample (systematic), jitter with the Liu–West kernel (shrunk towards
   the mean, so the population keeps its mean and spread; `assimilation.liu_west`), run again
   up to the stage's date, and weight by the likelihood of the counts that became known since
   the stage before (the jittered population stands for the posterior of the earlier counts);
   at every stage the likelihood is tempered (raised to a power λ ≤ 1) only as far as needed
   to keep an effective sample size of a quarter of the members (`assimilation.tempered`);
3. the last stage's members run to the end of the horizon: their weighted daily counts give
   the bands, their values the posterior.

Every member's draws come from `SeedSequence(seed, spawn_key=(stage, particle))`, and the
filter's own draws from `SeedSequence(seed)`: the same seed gives the same forecast on any
number of workers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor.analysis import assimilation as am
from corridor.errors import CorridorError

if TYPE_CHECKING:
    import pyarrow as pa

    from corridor.analysis.backends import Backend
    from corridor.scenario.model import ObservationRow, Scenario

CARAVAN = "caravan"
ALL = "*"
PRIOR_SD = {"caravan_size": 0.3, "joining": 0.5, "general": 0.5, "returns": 0.4,
            "enforcement": 0.3, "gross_error": 1.0, "timing_error": 0.5, "obs_error": 0.5}
GROSS_CENTER = 0.1
ERRORS = ["gross_error", "timing_error", "obs_error"]
ESS_TARGET = 0.25  # the weights keep at least this share of the members (tempering)
OBS_ERROR_CENTER = 0.6  # docs/validation.md: out of sample, 23-44 % within ±25 %
RETURN_KINDS = ("assisted_return",)
ENFORCEMENT = {"checkpoint": ("intercept_chance",), "transit_permit": ("intercept_chance",),
               "border_control": ("stop_chance",)}
Progress = Callable[[int, int], None]


# --- what is known ----------------------------------------------------------------------------
def split(observations: tuple[ObservationRow, ...] | list[ObservationRow], as_of: dt.date
          ) -> tuple[list[ObservationRow], list[ObservationRow]]:
    """Return (known, later): observations whose period ends by `as_of`, and the others."""
    known = [o for o in observations if o.period_end <= as_of]
    later = [o for o in observations if o.period_end > as_of]
    return known, later


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


def _caravan_rows(scenario: Scenario) -> tuple[list[int], list[int]]:
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


def general_center() -> dict[str, float]:
    """Return the joint fit of the general parameters shipped with the scenarios (may be {})."""
    from corridor.analysis.crossval import shipped_fits

    try:
        return {k: float(v) for k, v in shipped_fits().get("joint", {}).items()}
    except CorridorError:
        return {}


def quantities(scenario: Scenario) -> list[am.Quantity]:
    """Return what is assimilated for a scenario, with its prior (see the module docs)."""
    from corridor.analysis.crossval import GENERAL

    out = []
    home, away = _caravan_rows(scenario)
    if home:
        out.append(am.Quantity("caravan_size", "multiplier", 1.0, PRIOR_SD["caravan_size"],
                               what="multiplier on the caravan's departures from its first "
                                    "origin"))
    if away:
        out.append(am.Quantity("joining", "multiplier", 1.0, PRIOR_SD["joining"],
                               what="multiplier on the caravan's departures (joiners) from "
                                    "other places"))
    if scenario.config.model == "corridor":
        center = general_center()
        own = scenario.parameters.model_dump() if scenario.parameters is not None else {}
        for name, (low, high, log) in GENERAL.items():
            value = center.get(name, own.get(name))
            if value is None:
                value = math.sqrt(low * high) if log and low > 0 else 0.5 * (low + high)
            out.append(am.Quantity(name, "range", float(value), PRIOR_SD["general"], low, high,
                                   log and low > 0, what="general movement parameter",
                                   setting=True))
    if any(r.kind in RETURN_KINDS and getattr(r, "daily_seats", 0) for r in scenario.rules):
        out.append(am.Quantity("returns", "multiplier", 1.0, PRIOR_SD["returns"],
                               what="multiplier on daily_seats and take_chance of "
                                    "assisted_return rules"))
    if any(any(getattr(r, f, 0) for f in ENFORCEMENT.get(r.kind, ())) for r in scenario.rules):
        out.append(am.Quantity("enforcement", "multiplier", 1.0, PRIOR_SD["enforcement"],
                               what="multiplier on intercept_chance / stop_chance of "
                                    "checkpoint, transit_permit and border_control rules"))
    return [*out, *error_quantities()]


def error_quantities() -> list[am.Quantity]:
    """Return the gross, timing and observation errors π, ρ, σ: last of every particle."""
    return [am.Quantity("gross_error", "range", GROSS_CENTER, PRIOR_SD["gross_error"], 0.001, 0.5,
                        what="share π of counts that are gross errors, unrelated to the run"),
            am.Quantity("timing_error", "multiplier", am.TIMING_ERROR, PRIOR_SD["timing_error"],
                        what="timing error ρ: the run is early or late by ρ × the days since "
                             "departure (sd)"),
            am.Quantity("obs_error", "multiplier", OBS_ERROR_CENTER, PRIOR_SD["obs_error"],
                        what="observation error σ (log scale) of the counts")]


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

    home, away = _caravan_rows(scenario)
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


# --- one member -------------------------------------------------------------------------------
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


def _nan(n: int) -> list[list[float]]:
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
        return ParticleResult(task.stage, task.index, _nan(len(task.measure)),
                              error=f"{type(err).__name__}: {err}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --- the filter -------------------------------------------------------------------------------
@dataclass
class Stage:
    """One stage of the filter: its date, the counts known by then, how the weights came out.

    `tempering` is the power λ ≤ 1 of the likelihood (`assimilation.tempered`).
    """

    date: dt.date
    n_observations: int
    days: int
    ess: float
    failed: int
    wall_time_s: float
    tempering: float = 1.0


@dataclass
class SMCResult:
    """The last stage's particles, weights and simulated values, and how the filter went.

    Attributes:
        prior: The prior.
        z: Particles (z scale), runs × quantities.
        weights: Their normalised weights.
        log_likelihood: Each particle's log likelihood of all known counts.
        simulated: runs × measured observations × timing shifts (NaN where not measured).
        measure: The observations measured (known first, then later ones).
        n_known: How many of `measure` are known (assimilated).
        daily: Per particle, its daily counts over the window (or None).
        stages: How each stage went.
        window: The run days of the bands (first, last).
    """

    prior: am.Prior
    z: np.ndarray
    weights: np.ndarray
    log_likelihood: np.ndarray
    simulated: np.ndarray
    measure: list[Any]
    n_known: int
    daily: list[dict[str, Any] | None]
    stages: list[Stage] = field(default_factory=list)
    window: tuple[int, int] | None = None
    departure: dt.date | None = None
    people: float = 5e5

    def _values(self, name: str) -> np.ndarray:
        j = self.prior.names.index(name)
        return self.prior.quantities[j].from_z(self.z[:, j])

    @property
    def sigma(self) -> np.ndarray:
        """Each particle's observation error σ."""
        return self._values("obs_error")

    @property
    def rho(self) -> np.ndarray:
        """Each particle's timing error ρ."""
        return self._values("timing_error")

    @property
    def gross(self) -> np.ndarray:
        """Each particle's share of gross errors π."""
        return self._values("gross_error")

    def target(self, obs: Any) -> am.Target:
        """Return an observation as the error model sees it."""
        return am.target_of(obs, departure=self.departure, people=self.people)


def stage_dates(known: list[ObservationRow], as_of: dt.date, stages: int) -> list[dt.date]:
    """Return the dates of the stages, the last `as_of`.

    Earlier stages end on the dates by which 1/stages, 2/stages, … of the known counts are
    known, so that each stage adds a similar number of counts (and the weights degenerate
    less at each step).
    """
    ends = sorted(o.period_end for o in known)
    dates: list[dt.date] = []
    for i in range(1, max(stages, 1)):
        date = ends[max(int(math.ceil(i * len(ends) / stages)) - 1, 0)] if ends else as_of
        if date < as_of and date not in dates:
            dates.append(date)
    return [*dates, as_of]


def _simulate(scenario: Scenario, prior: am.Prior, z: np.ndarray, stage: int, days: int,
              measure: list[Any], seed: int, backend: Backend, window: tuple[int, int] | None,
              engine: str, progress: Progress | None, done: list[int], total: int
              ) -> list[ParticleResult]:
    values = prior.natural(z)
    tasks = [ParticleTask(stage, i, scenario, values[i], days, seed, tuple(measure), window,
                          engine, settings_of(prior, values[i])) for i in range(len(z))]
    results: list[ParticleResult | None] = [None] * len(tasks)
    for task, result in backend.imap_unordered(run_particle, tasks):
        if isinstance(result, BaseException):
            result = ParticleResult(task.stage, task.index, _nan(len(measure)),
                                    error=f"{type(result).__name__}: {result}")
        results[task.index] = result
        done[0] += 1
        if progress is not None:
            progress(done[0], total)
    return [r for r in results if r is not None]


def run_smc(scenario: Scenario, as_of: dt.date, runs: int = 100, stages: int = 2,
            horizon_days: int = 28, seed: int | None = None, backend: Backend | None = None,
            engine: str = "counts", progress: Progress | None = None,
            prior_only: bool = False, bands: bool = True,
            assimilated: list[am.Quantity] | None = None) -> SMCResult:
    """Assimilate the counts known by `as_of` and run the posterior over the horizon.

    Args:
        scenario: The scenario, with every observation (those after `as_of` are measured but
            never weigh).
        as_of: The last date whose counts are known.
        runs: Particles per stage.
        stages: Stages of the filter (at most; fewer when fewer dates have counts).
        horizon_days: Days after `as_of` the last stage runs for (cut at the scenario's end).
        seed: Root seed (default: the scenario's).
        backend: Where members run (default: local processes on every core).
        engine: Representation of people (counts by default: fast).
        progress: Called with (members done, members in all).
        prior_only: Skip the assimilation: the prior's members, equal weights (a baseline).
        bands: Whether the last stage keeps its members' daily counts (for the bands).
        assimilated: The quantities and their prior (default: `quantities(scenario)`); the
            last three must be `ERRORS` (gross, timing and observation error).

    Returns:
        The last stage's particles, weights and values.
    """
    from corridor.analysis.backends import using

    if runs < 2:
        raise CorridorError(f"--runs must be at least 2, got {runs}")
    start = scenario.config.start_date
    end = start + dt.timedelta(days=scenario.config.days - 1)
    if not start <= as_of <= end:
        raise CorridorError(f"--as-of {as_of} is outside the scenario's run ({start} to {end})")
    seed = scenario.config.seed if seed is None else int(seed)
    known, later = split(scenario.observations, as_of)
    measure = [*known, *later]
    departure = first_departure(scenario)
    people = float(sum(d.count for d in scenario.departures))
    targets = [am.target_of(o, departure=departure, people=people) for o in known]
    prior = am.Prior(assimilated or quantities(scenario))
    if prior.names[-3:] != ERRORS:
        raise CorridorError(f"the last assimilated quantities must be {', '.join(ERRORS)}")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    last = min(as_of + dt.timedelta(days=int(horizon_days)), end)
    final_days = (last - start).days + 1
    window = ((as_of - start).days, final_days - 1)
    dates = [as_of] if prior_only or not known else stage_dates(known, as_of, stages)
    total, done = runs * len(dates), [0]
    z = prior.sample(runs, rng)
    weights = np.full(runs, 1.0 / runs)
    out_stages: list[Stage] = []
    results: list[ParticleResult] = []
    ll = np.zeros(runs)
    with using(backend) as runner:
        for s, date in enumerate(dates):
            started = time.perf_counter()
            final = s == len(dates) - 1
            if s > 0:
                ancestors = am.systematic_resample(weights, rng)
                z = am.liu_west(z, weights, ancestors, prior, rng)
            days = final_days if final else (date - start).days + 1
            results = _simulate(scenario, prior, z, s, days, measure, seed, runner,
                                window if final and bands else None, engine, progress, done, total)
            sims = np.array([r.values for r in results], dtype=np.float64).reshape(
                runs, len(measure), len(am.SHIFTS))
            use = [k for k, o in enumerate(known) if o.period_end <= date]
            gross, rho, sigma = (prior.quantities[j].from_z(z[:, j]) for j in (-3, -2, -1))
            weigh = am.series_weights([known[k] for k in use])
            used = [dataclasses.replace(targets[k], weight=w) for k, w in zip(use, weigh,
                                                                              strict=True)]
            ll = (am.log_likelihood(used, sims[:, use], sigma, rho, gross)
                  if not prior_only else np.zeros(runs))
            failed = np.array([bool(r.error) for r in results])
            ll = np.where(failed, -np.inf, ll)
            new = [i for i, k in enumerate(use) if s == 0 or known[k].period_end > dates[s - 1]]
            ll_new = (am.log_likelihood([used[i] for i in new], sims[:, [use[i] for i in new]],
                                        sigma, rho, gross) if not prior_only else np.zeros(runs))
            ll_new = np.where(failed, -np.inf, ll_new)
            weights, lam = am.tempered(ll_new, np.zeros(runs), ESS_TARGET * runs)
            out_stages.append(Stage(date, len(use), days, am.ess(weights), int(failed.sum()),
                                    time.perf_counter() - started, lam))
    if all(r.error for r in results):
        raise CorridorError(f"every member failed; the first: {results[0].error}")
    return SMCResult(prior, z, weights, ll, sims, measure, len(known),
                     [r.daily for r in results], out_stages, window, departure, people)


# --- outputs ----------------------------------------------------------------------------------
def bands_table(result: SMCResult, scenario: Scenario) -> pa.Table:
    """Return weighted quantile bands of the last stage's daily counts (see docs/forecasting.md)."""
    import pyarrow as pa

    from corridor.analysis.crps import QUANTILES, weighted_quantiles_rows

    keys: dict[tuple, int] = {}
    cells_k, cells_p, cells_c = [], [], []
    for p, daily in enumerate(result.daily):
        if daily is None:
            continue
        for day, place, state, cohort, count in zip(daily["day"], daily["place"],
                                                    daily["state"], daily["cohort"],
                                                    daily["count"], strict=True):
            k = keys.setdefault((int(day), place, state, cohort), len(keys))
            cells_k.append(k)
            cells_p.append(p)
            cells_c.append(float(count))
    grid = np.zeros((len(keys), len(result.daily)))
    if keys:
        grid[np.array(cells_k), np.array(cells_p)] = np.array(cells_c)
    q = weighted_quantiles_rows(grid, result.weights) if keys else np.zeros((0, len(QUANTILES)))
    order = sorted(keys, key=lambda k: (k[1], k[2], k[3], k[0]))
    idx = np.array([keys[k] for k in order], dtype=np.int64)
    start = scenario.config.start_date
    n = len(QUANTILES)
    return pa.table({
        "day": pa.array(np.repeat([k[0] for k in order], n), pa.int32()),
        "date": pa.array(np.repeat([start + dt.timedelta(days=k[0]) for k in order], n),
                         pa.date32()),
        "place": pa.array(np.repeat([k[1] for k in order], n), pa.string()),
        "state": pa.array(np.repeat([k[2] for k in order], n), pa.string()),
        "cohort": pa.array(np.repeat([k[3] for k in order], n), pa.string()),
        "quantile": pa.array(np.tile(QUANTILES, len(order)), pa.float64()),
        "count": pa.array(q[idx].ravel() if len(order) else [], pa.float64()),
    }).replace_schema_metadata({"members": str(len(result.daily))})


def posterior_table(result: SMCResult) -> pa.Table:
    """Return the weighted particles: one row each, the quantities in natural units."""
    import pyarrow as pa

    values = result.prior.natural(result.z)
    cols: dict[str, Any] = {"particle": pa.array(range(len(values)), pa.int32()),
                            "weight": pa.array(result.weights, pa.float64()),
                            "log_likelihood": pa.array(result.log_likelihood, pa.float64())}
    for name in result.prior.names:
        cols[name] = pa.array([v[name] for v in values], pa.float64())
    return pa.table(cols)


def summary_of(result: SMCResult) -> dict[str, dict[str, float]]:
    """Return each quantity's prior centre and posterior mean and 5/50/95 % (weighted)."""
    from corridor.analysis.crps import weighted_quantiles

    out = {}
    for j, q in enumerate(result.prior.quantities):
        x = q.from_z(result.z[:, j])
        lo, med, hi = weighted_quantiles(x, result.weights, (0.05, 0.5, 0.95))
        out[q.name] = {"prior_center": q.center, "mean": float(result.weights @ x),
                       "q05": float(lo), "q50": float(med), "q95": float(hi), "what": q.what}
    return out


def observation_forecasts(result: SMCResult, seed: int, draws: int = 20
                          ) -> list[dict[str, Any]]:
    """Return each measured observation with the predictive 5–95 % of what would be observed."""
    from corridor.analysis.crps import QUANTILES, weighted_quantiles

    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(9999,)))
    sigma, rho, gross = result.sigma, result.rho, result.gross
    w = np.repeat(result.weights / draws, draws)
    rows = []
    for k, obs in enumerate(result.measure):
        target = result.target(obs)
        sample = am.predictive(target, result.simulated[:, k], sigma, rng, draws, rho,
                               gross).ravel()
        q = weighted_quantiles(sample, w, QUANTILES)
        rows.append({"period_start": obs.period_start.isoformat(),
                     "period_end": obs.period_end.isoformat(), "place": obs.place,
                     "kind": obs.kind, "cohort": obs.cohort, "value": obs.value,
                     "low": target.low, "high": target.high, "fitted": obs.fitted,
                     "known": k < result.n_known,
                     **{f"q{round(p * 100):02d}": float(v) for p, v in zip(QUANTILES, q,
                                                                            strict=True)}})
    return rows


def write_forecast(folder: Path, scenario: Scenario, result: SMCResult, info: dict[str, Any]
                   ) -> dict[str, Any]:
    """Write bands.parquet, posterior.parquet, posterior.json and forecast.json to a folder.

    Returns:
        What forecast.json holds.
    """
    from corridor.io.atomic import write_json, write_parquet

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    bands = bands_table(result, scenario)
    write_parquet(folder / "bands.parquet", bands)
    posterior = posterior_table(result)
    write_parquet(folder / "posterior.parquet", posterior)
    write_json(folder / "posterior.json", {"quantities": result.prior.names,
                                           "particles": posterior.to_pylist()})
    summary = {
        **info,
        "quantities": summary_of(result),
        "stages": [{"date": s.date.isoformat(), "n_observations": s.n_observations,
                    "days": s.days, "ess": round(s.ess, 2), "tempering": round(s.tempering, 4),
                    "failed": s.failed,
                    "wall_time_s": round(s.wall_time_s, 2)} for s in result.stages],
        "n_known": result.n_known, "n_later": len(result.measure) - result.n_known,
        "window": None if result.window is None else {
            "first": (scenario.config.start_date
                      + dt.timedelta(days=result.window[0])).isoformat(),
            "last": (scenario.config.start_date
                     + dt.timedelta(days=result.window[1])).isoformat()},
        "observations": observation_forecasts(result, int(info.get("seed", 0))),
        "files": {"bands": "bands.parquet", "posterior": "posterior.parquet"},
    }
    write_json(folder / "forecast.json", summary)
    return summary


def parse_date(text: str, option: str = "--as-of") -> dt.date:
    """Return a date written YYYY-MM-DD.

    Raises:
        CorridorError: Naming the option when the text is not such a date.
    """
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise CorridorError(f"{option}: '{text}' is not a date; expected YYYY-MM-DD") from None
