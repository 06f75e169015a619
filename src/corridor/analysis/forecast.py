"""Forecast a caravan from the counts known on a date: sequential Monte Carlo over members.

Only observations whose period ends on or before the as-of date are assimilated (`split`);
the others are measured in every member but their values are never read by the filter.

The uncertain quantities (`quantities`) are the caravan's size (a multiplier on the caravan
cohort's departures from its first origin), the joining along the way (a multiplier on its
departures from other places), the general movement parameters of
`corridor.analysis.crossval.GENERAL` (prior around the fit shipped in
`scenarios/crossval.toml`, read at run time: for one of its caravans, the fit that left it
out; see `general_center`), two rule intensities (a multiplier on the seats
and take chance of `assisted_return` rules; one on the intercept and stop chances of
`checkpoint`, `transit_permit` and `border_control` rules) and the error model's π, ρ and σ
(`assimilation`). A member runs in a worker (`forecast_members.run_particle`); the files come
from `forecast_files`. The filter (`run_smc`), over the dates on which counts became known,
grouped in `stages`:

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
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor.analysis import assimilation as am
from corridor.analysis.forecast_members import (
    ENFORCEMENT,
    RETURN_KINDS,
    ParticleResult,
    ParticleTask,
    caravan_rows,
    first_departure,
    nan_values,
    run_particle,
    settings_of,
)
from corridor.errors import CorridorError

if TYPE_CHECKING:

    from corridor.analysis.backends import Backend
    from corridor.scenario.model import ObservationRow, Scenario

PRIOR_SD = {"caravan_size": 0.3, "joining": 0.5, "general": 0.5, "returns": 0.4,
            "enforcement": 0.3, "gross_error": 1.0, "timing_error": 0.5, "obs_error": 0.5}
GROSS_CENTER = 0.1
ERRORS = ["gross_error", "timing_error", "obs_error"]
ESS_TARGET = 0.25  # the weights keep at least this share of the members (tempering)
OBS_ERROR_CENTER = 0.6  # docs/validation.md: out of sample, 23-44 % within ±25 %
Progress = Callable[[int, int], None]


# --- what is known ----------------------------------------------------------------------------
def split(observations: tuple[ObservationRow, ...] | list[ObservationRow], as_of: dt.date
          ) -> tuple[list[ObservationRow], list[ObservationRow]]:
    """Return (known, later): observations whose period ends by `as_of`, and the others."""
    known = [o for o in observations if o.period_end <= as_of]
    later = [o for o in observations if o.period_end > as_of]
    return known, later


def general_center(name: str = "") -> dict[str, float]:
    """Return the shipped fit of the general parameters that a forecast of `name` centres on.

    For one of the caravans of `scenarios/crossval.toml` it is the fit that left that caravan
    out (its fold): a fit on a caravan's own counts, the later ones among them, would leak
    what a forecast is to predict. For any other scenario, the joint fit. Empty when no fits
    ship.
    """
    from corridor.analysis.crossval import shipped_fits

    try:
        fits = shipped_fits()
    except CorridorError:
        return {}
    folds = fits.get("fold", {})
    names = {n for key in folds for n in key.split("+")}
    if name in names:
        others = sorted(names - {name})
        for key, values in folds.items():
            if sorted(key.split("+")) == others:
                return {k: float(v) for k, v in values.items()}
    return {k: float(v) for k, v in fits.get("joint", {}).items()}


def quantities(scenario: Scenario) -> list[am.Quantity]:
    """Return what is assimilated for a scenario, with its prior (see the module docs)."""
    from corridor.analysis.crossval import GENERAL

    out = []
    home, away = caravan_rows(scenario)
    if home:
        out.append(am.Quantity("caravan_size", "multiplier", 1.0, PRIOR_SD["caravan_size"],
                               what="multiplier on the caravan's departures from its first "
                                    "origin"))
    if away:
        out.append(am.Quantity("joining", "multiplier", 1.0, PRIOR_SD["joining"],
                               what="multiplier on the caravan's departures (joiners) from "
                                    "other places"))
    if scenario.config.model == "corridor":
        center = general_center(scenario.config.name)
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
            result = ParticleResult(task.stage, task.index, nan_values(len(measure)),
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


def parse_date(text: str, option: str = "--as-of") -> dt.date:
    """Return a date written YYYY-MM-DD.

    Raises:
        CorridorError: Naming the option when the text is not such a date.
    """
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise CorridorError(f"{option}: '{text}' is not a date; expected YYYY-MM-DD") from None
