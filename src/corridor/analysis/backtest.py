"""Backtest of the forecast: forecast from each as-of date, score against the later counts.

For a scenario and an as-of date, the filter (`corridor.analysis.forecast.run_smc`) assimilates
the observations known by then and runs to the end of the last observation scored. Each later
observation (period ending after the date; by default only those not marked `fitted`, which
sized an input) is scored against three forecasts of what would be observed:

- the **model**: the posterior's members, weighted, with the observation error of each;
- the **prior**: the ensemble without assimilation (prior draws, equal weights, one ensemble
  per scenario shared by its as-of dates);
- **persistence**: the last count of the same place, kind and cohort known by the date,
  carried forward (a point forecast); observations without such a count are not scored
  against persistence.

Scores: whether the observed value lies inside the central 50 % and 90 % bands
(`coverage_50`, `coverage_90`), and the CRPS in log(1 + value) (`crps`; a CRPS of 0.1 is
roughly a 10 % error). Skill = 1 − mean CRPS of the model / mean CRPS of the baseline over
the same observations (`skill_vs_prior`, `skill_vs_persistence`); positive is better than
the baseline. Overall figures pool every scored observation of every case.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor.analysis import assimilation as am
from corridor.analysis.crps import coverage, covered, crps_sample, skill
from corridor.analysis.forecast import SMCResult, run_smc, split
from corridor.analysis.forecast_members import first_departure
from corridor.errors import CorridorError

if TYPE_CHECKING:
    from corridor.analysis.backends import Backend
    from corridor.scenario.model import ObservationRow, Scenario

FIRST_AFTER_DEPARTURE = 2  # default as-of dates: departure + 2 days, then every STEP days
STEP = 3
MAX_DATES = 4
DRAWS = 20  # observation-error draws per member


def scored_later(scenario: Scenario, as_of: dt.date, include_fitted: bool = False
                 ) -> list[ObservationRow]:
    """Return the observations a backtest from `as_of` scores."""
    end = scenario.config.start_date + dt.timedelta(days=scenario.config.days - 1)
    _, later = split(scenario.observations, as_of)
    return [o for o in later if (include_fitted or not o.fitted) and o.period_end <= end]


def default_dates(scenario: Scenario, include_fitted: bool = False) -> list[dt.date]:
    """Return the default as-of dates: every few days from departure, with counts on both sides.

    Departure + 2, + 5, + 8, + 11 days; a date is kept when some count is known by then, more
    than by the date before, and some later count is scored.
    """
    first = first_departure(scenario)
    out: list[dt.date] = []
    seen = -1
    for k in range(MAX_DATES):
        date = first + dt.timedelta(days=FIRST_AFTER_DEPARTURE + STEP * k)
        known, _ = split(scenario.observations, date)
        if known and len(known) != seen and scored_later(scenario, date, include_fitted):
            out.append(date)
        seen = len(known)
    return out


def persistence(known: list[ObservationRow], obs: ObservationRow) -> float | None:
    """Return the last known value of the same place, kind and cohort (None without one)."""
    from corridor.analysis.measures import fold

    same = [o for o in known if (fold(o.place), o.kind, o.cohort)
            == (fold(obs.place), obs.kind, obs.cohort)]
    if not same:
        return None
    return max(same, key=lambda o: (o.period_end, o.period_start)).value


def _sample(result: SMCResult, column: int, obs: ObservationRow, rng: np.random.Generator
            ) -> tuple[np.ndarray, np.ndarray]:
    """Return draws of what would be observed, and their weights."""
    sample = am.predictive(result.target(obs), result.simulated[:, column], result.sigma, rng,
                           DRAWS, result.rho, result.gross).ravel()
    return sample, np.repeat(result.weights / DRAWS, DRAWS)


def score_case(scenario: Scenario, as_of: dt.date, post: SMCResult, prior: SMCResult,
               seed: int, include_fitted: bool = False) -> dict[str, Any]:
    """Score one forecast (and its baselines) against the observations after `as_of`."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7777,)))
    known, _ = split(scenario.observations, as_of)
    col_post = {id(o): k for k, o in enumerate(post.measure)}
    col_prior = {id(o): k for k, o in enumerate(prior.measure)}
    rows = []
    for obs in scored_later(scenario, as_of, include_fitted):
        y = math.log1p(max(obs.value, 0.0))
        x, w = _sample(post, col_post[id(obs)], obs, rng)
        xp, wp = _sample(prior, col_prior[id(obs)], obs, rng)
        last = persistence(known, obs)
        rows.append({
            "period_start": obs.period_start.isoformat(),
            "period_end": obs.period_end.isoformat(), "place": obs.place, "kind": obs.kind,
            "cohort": obs.cohort, "value": obs.value,
            "in_50": covered(x, w, obs.value, 50), "in_90": covered(x, w, obs.value, 90),
            "crps": crps_sample(np.log1p(x), y, w),
            "crps_prior": crps_sample(np.log1p(xp), y, wp),
            "persistence": last,
            "crps_persistence": None if last is None else abs(math.log1p(max(last, 0.0)) - y),
        })
    return {"scenario": scenario.name, "as_of": as_of.isoformat(), "n_known": len(known),
            **aggregate(rows), "ess": round(post.stages[-1].ess, 2), "rows": rows}


def aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the coverage, mean CRPS and skills over scored observations (pooled)."""
    model = [r["crps"] for r in rows]
    with_last = [r for r in rows if r["crps_persistence"] is not None]
    return {
        "n_scored": len(rows),
        "coverage_50": coverage([r["in_50"] for r in rows]),
        "coverage_90": coverage([r["in_90"] for r in rows]),
        "crps": float(np.mean(model)) if model else None,
        "crps_prior": float(np.mean([r["crps_prior"] for r in rows])) if rows else None,
        "skill_vs_prior": skill(model, [r["crps_prior"] for r in rows]),
        "n_persistence": len(with_last),
        "crps_persistence": float(np.mean([r["crps_persistence"] for r in with_last]))
        if with_last else None,
        "skill_vs_persistence": skill([r["crps"] for r in with_last],
                                      [r["crps_persistence"] for r in with_last]),
    }


def backtest(scenarios: list[Scenario], as_of: list[dt.date] | None = None, runs: int = 40,
             stages: int = 2, seed: int | None = None, backend: Backend | None = None,
             include_fitted: bool = False, progress: Callable[[str], None] | None = None
             ) -> dict[str, Any]:
    """Forecast each scenario from each as-of date and score against the later counts.

    Args:
        scenarios: Loaded scenarios.
        as_of: Dates to forecast from; each scenario takes those inside its run (default:
            `default_dates` of each).
        runs: Particles per stage.
        stages: Stages of the filter.
        seed: Root seed (default: each scenario's).
        backend: Where members run (default: local processes on every core).
        include_fitted: Score the observations marked `fitted` too.
        progress: Called with a line of text after each case.

    Returns:
        `{"cases": [...], "overall": {...}, "runs", "stages", "wall_time_s"}`.

    Raises:
        CorridorError: When a given date is inside no scenario's run, or a scenario has no date.
    """
    from corridor.analysis.backends import using

    started = time.perf_counter()
    plans = []
    for sc in scenarios:
        start = sc.config.start_date
        end = start + dt.timedelta(days=sc.config.days - 1)
        dates = (sorted(d for d in as_of if start <= d <= end) if as_of
                 else default_dates(sc, include_fitted))
        plans.append((sc, dates))
    if as_of:
        for d in as_of:
            if not any(d in dates for _, dates in plans):
                raise CorridorError(f"--as-of {d} is inside no scenario's run")
    for sc, dates in plans:
        if not dates:
            raise CorridorError(f"{sc.name}: no as-of date with counts known before and "
                                f"scored after it; give --as-of")
    cases = []
    with using(backend) as runner:
        for sc, dates in plans:
            root = sc.config.seed if seed is None else int(seed)
            last = max(o.period_end for d in dates
                       for o in scored_later(sc, d, include_fitted))  # runs end there
            horizon = (last - dates[0]).days
            prior = run_smc(sc, dates[0], runs, 1, horizon, root, runner, prior_only=True,
                            bands=False)
            for date in dates:
                t0 = time.perf_counter()
                post = run_smc(sc, date, runs, stages, (last - date).days, root, runner,
                               bands=False)
                case = score_case(sc, date, post, prior, root, include_fitted)
                case["wall_time_s"] = round(time.perf_counter() - t0, 1)
                cases.append(case)
                if progress is not None:
                    progress(f"{sc.name} as of {date}: {case['n_scored']} later counts, "
                             f"coverage 50 % {_pct(case['coverage_50'])}, 90 % "
                             f"{_pct(case['coverage_90'])}, skill vs prior "
                             f"{_num(case['skill_vs_prior'])}, vs persistence "
                             f"{_num(case['skill_vs_persistence'])}")
    overall = aggregate([r for c in cases for r in c["rows"]])
    return {"cases": cases, "overall": overall, "runs": runs, "stages": stages,
            "include_fitted": include_fitted,
            "wall_time_s": round(time.perf_counter() - started, 1)}


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.0%}"


def _num(v: float | None) -> str:
    return "–" if v is None else f"{v:+.2f}"


def format_table(result: dict[str, Any]) -> str:
    """Return the backtest as a Markdown table (one row per case, then overall)."""
    head = ("| scenario | as of | known | scored | 50 % band | 90 % band | CRPS | "
            "skill vs prior | skill vs persistence (n) |")
    lines = [head, "|---|---|---|---|---|---|---|---|---|"]

    def row(name: str, date: str, known: str, r: dict[str, Any]) -> str:
        crps = "–" if r["crps"] is None else f"{r['crps']:.3f}"
        return (f"| {name} | {date} | {known} | {r['n_scored']} | {_pct(r['coverage_50'])} | "
                f"{_pct(r['coverage_90'])} | {crps} | {_num(r['skill_vs_prior'])} | "
                f"{_num(r['skill_vs_persistence'])} ({r['n_persistence']}) |")

    for c in result["cases"]:
        lines.append(row(c["scenario"], c["as_of"], str(c["n_known"]), c))
    lines.append(row("**overall**", "", "", result["overall"]))
    return "\n".join(lines)
