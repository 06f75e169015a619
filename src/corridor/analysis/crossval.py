"""Leave-one-out validation of the corridor model over caravans, with one general parameter set.

The movement parameters that do not describe one caravan (speeds, rides, attrition, how
destinations are chosen: `GENERAL`) are fitted jointly on some caravans and the model is then
run, with those values unchanged, on a caravan it was not fitted to, with that caravan's own
departures, rules and dates. What each scenario says of its own period (departures, rules, their
dates and numbers) is data and is never fitted here.

The fit minimises the mean, over the training caravans, of each caravan's mean distance in log
between the simulated value and the observed range (0 inside the range). Trials are asked of
optuna's TPE sampler (the `calibrate` extra); every trial runs the same seeds (common random
numbers).

A fold's score counts only the held-out caravan's observations that did not size an input
(`fitted = false`): the out-of-sample share within the range widened by 25 % (`within_25`),
within the range itself (`within_range`), the transit days to places with observed arrivals, and
the share of the caravan that reached a Mexican border city with the United States.

The fitted values of each fold (and of the joint fit on every caravan) ship in
`scenarios/crossval.toml`, so the table reproduces without refitting.
"""

from __future__ import annotations

import math
import tempfile
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from corridor.errors import CorridorError

# name → (low, high, log scale); the parameters shared by every caravan
GENERAL: dict[str, tuple[float, float, bool]] = {
    "walk_speed_km": (20.0, 50.0, False),
    "ride_speed_km": (100.0, 500.0, False),
    "ride_chance": (0.05, 1.0, False),
    "ride_seats": (50.0, 5000.0, True),
    "attrition_chance": (0.0005, 0.05, True),
    "destination_km": (300.0, 5000.0, True),
    "deterrence_weight": (0.0, 3.0, False),
    "detour_km": (20.0, 500.0, True),
    "danger_km": (0.0, 3000.0, False),
    "cohesion": (0.0, 1.0, False),
    "breakaway_chance": (0.001, 0.3, True),
    "legal_ride_chance": (0.0, 1.0, False),
    "attrition_home_share": (0.0, 1.0, False),
    "gather_km": (20.0, 2000.0, True),
}
# the model the general values belong to: destinations among border cities, nights at places, a
# caravan that travels together (`pace_cohesion` 1) and thins as members break away, and goes
# where it announced it would go (`heading_weight` 10: an announced destination outweighs any
# difference in km still to go over the search's range of `destination_km`; only caravan-2018-10
# announced one, so a fitted weight would be free in the fold that holds it out); each caravan
# (the `caravan` column of departures.csv) keeps one pace wherever its members are, and its head
# waits for its tail (`gather_km`, fitted)
STRUCTURE = ['destination_kinds=["border_city"]', "overnight_at_places=true", "pace_cohesion=1.0",
             "heading_weight=10.0", 'pace_by="caravan"']
SHIPPED = "crossval.toml"
WIDEN = 0.25
LOSS_CAP = math.log(5.0)  # see `_log_distance`


@dataclass
class CaravanScore:
    """How one run of a caravan matches its observations.

    Attributes:
        scenario: The scenario's name.
        within_25: Share of its non-fitted observations within the range widened by 25 %.
        within_range: Share of them within the range.
        n: How many non-fitted observations.
        in_sample_within_25: The same share over its fitted observations (None without any).
        transit_days: `{place, kind, observed, low, high, simulated}` per arrival-day observation.
        reached_us_border_share: Share of the caravan cohort that reached a Mexican border city.
        log_distance: Mean loss over all its rows (`_log_distance`): the fit's objective.
    """

    scenario: str
    within_25: float | None
    within_range: float | None
    n: int
    in_sample_within_25: float | None
    transit_days: list[dict[str, Any]] = field(default_factory=list)
    reached_us_border_share: float | None = None
    log_distance: float = 0.0


def settings_of(params: dict[str, float]) -> list[str]:
    """Return `--set` settings for general parameter values (with the model's structure)."""
    return [*STRUCTURE, *(f"{k}={v!r}" for k, v in sorted(params.items()))]


def shipped_fits() -> dict[str, Any]:
    """Return the fits that ship with the scenarios (`scenarios/crossval.toml`)."""
    path = resources.files("corridor.scenarios").joinpath(SHIPPED)
    if not path.is_file():
        raise CorridorError(f"no fits ship with this version (scenarios/{SHIPPED} is missing): "
                            f"run `corridor crossval … --refit` to fit every fold")
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _log_distance(sim: float | None, low: float, high: float) -> float:
    """The fit's loss for one observation: distance in log to the range widened by 25 %.

    0 inside the widened range (the range `within_25` counts), growing with the log of the
    factor off it, capped at `LOSS_CAP`: an observation missed by a factor of 100 costs no
    more than one missed by a factor of 5, so the fit does not give up several near misses to
    shrink one gross miss.
    """
    if sim is None:
        return LOSS_CAP  # not measured (nobody arrived)
    low, high = low * (1.0 - WIDEN), high * (1.0 + WIDEN)
    if low <= sim <= high:
        return 0.0
    bound = low if sim < low else high
    return min(abs(math.log((sim + 1.0) / (bound + 1.0))), LOSS_CAP)


def score_run(name: str, params: dict[str, float], seed: int, engine: str) -> CaravanScore:
    """Run a caravan with general parameter values and score it against its observations."""
    import corridor
    from corridor.analysis.score import score

    scenario = corridor.load_scenario(name, settings=settings_of(params))
    with tempfile.TemporaryDirectory(prefix="corridor-crossval-") as tmp:
        out = Path(tmp) / "run"
        result = corridor.run(scenario, seed=seed, engine=engine, out=out)
        scored = score(out)
        reached = _reached_border(result)
    rows = scored["observations"]
    outside = [r for r in rows if not r.get("fitted")]
    inside = [r for r in rows if r.get("fitted")]

    def share(items: list[dict[str, Any]], key: str) -> float | None:
        return sum(bool(r[key]) for r in items) / len(items) if items else None

    transit = [{"place": r["place"], "kind": r["kind"], "observed": r["value"],
                "low": r["low"], "high": r["high"], "simulated": r["simulated"]}
               for r in outside if r["kind"].endswith("_arrival_days")]
    distance = [_log_distance(r["simulated"], r["low"], r["high"]) for r in rows]
    return CaravanScore(
        scenario=name, within_25=share(outside, "within_widened"),
        within_range=share(outside, "within_range"), n=len(outside),
        in_sample_within_25=share(inside, "within_widened"), transit_days=transit,
        reached_us_border_share=reached,
        log_distance=sum(distance) / len(distance) if distance else 0.0)


def _reached_border(result) -> float | None:
    """Share of the caravan cohort whose journey reached a Mexican border city."""
    caravan = reached = 0
    for row in result.outcomes.to_pylist():
        if row.get("cohort") != "caravan":
            continue
        caravan += row["count"]
        if "border_city" in row["kinds"].split(","):
            reached += row["count"]
    return reached / caravan if caravan else None


def fit(names: list[str], trials: int, seeds: list[int], engine: str,
        progress=None) -> dict[str, float]:
    """Fit the general parameters jointly on some caravans (optuna TPE).

    Every trial runs each caravan with each of the first two `seeds` (common random numbers:
    the same seeds in every trial) and averages the loss.

    Returns:
        The values of the best trial.
    """
    try:
        import optuna
    except ImportError as err:  # pragma: no cover - the calibrate extra
        raise CorridorError("corridor crossval --refit needs the calibrate extra: "
                            "pip install 'corridor[calibrate]'") from err
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize",
                                sampler=optuna.samplers.TPESampler(seed=20200115))

    def objective(trial) -> float:
        params = {name: trial.suggest_float(name, low, high, log=log and low > 0)
                  for name, (low, high, log) in GENERAL.items()}
        total = 0.0
        fit_seeds = seeds[:2]
        for name in names:
            for seed in fit_seeds:
                total += score_run(name, params, seed, engine).log_distance / len(fit_seeds)
        if progress is not None:
            progress(trial.number + 1, trials)
        return total / len(names)

    study.optimize(objective, n_trials=trials)
    return {k: float(v) for k, v in study.best_params.items()}


def crossval(names: list[str], refit: bool = False, trials: int = 60,
             seeds: list[int] | None = None, engine: str = "counts",
             progress=None) -> dict[str, Any]:
    """Leave each caravan out in turn: fit on the others, score on it.

    Args:
        names: Scenarios (built-in names or folders), at least two.
        refit: Fit each fold anew (else the fits of `scenarios/crossval.toml`).
        trials: Optuna trials per fit (with `refit`).
        seeds: Seeds of every run (default: 1, 2).
        engine: Representation of people.
        progress: Called with text lines while it works.

    Returns:
        `{"folds": [...], "in_sample": [...], "refit": bool, "seeds": [...]}`.
    """
    if len(names) < 2:
        raise CorridorError("crossval needs at least two scenarios: one is held out, the "
                            "others are fitted")
    seeds = seeds or [1, 2]
    shipped = {} if refit else shipped_fits()
    folds = []
    for held in names:
        train = [n for n in names if n != held]
        key = "+".join(sorted(train))
        if refit:
            params = fit(train, trials, seeds, engine)
        else:
            try:
                params = shipped["fold"][key]
            except KeyError:
                raise CorridorError(f"no shipped fit for training set {key!r} in "
                                    f"scenarios/{SHIPPED}; run with --refit") from None
        runs = [score_run(held, params, s, engine) for s in seeds]
        folds.append(_fold_row(held, train, params, runs))
        if progress is not None:
            progress(f"fold held out {held}: within_25 {folds[-1]['within_25']}")
    joint = fit(names, trials, seeds, engine) if refit else shipped.get("joint", {})
    in_sample = []
    if joint:
        for name in names:
            runs = [score_run(name, joint, s, engine) for s in seeds]
            in_sample.append(_fold_row(name, names, joint, runs))
    return {"folds": folds, "in_sample": in_sample, "joint_parameters": joint,
            "refit": refit, "seeds": seeds, "engine": engine}


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def _fold_row(held: str, train: list[str], params: dict[str, float],
              runs: list[CaravanScore]) -> dict[str, Any]:
    transit = []
    for k, row in enumerate(runs[0].transit_days):
        sims = [r.transit_days[k]["simulated"] for r in runs]
        transit.append({**row, "simulated": _mean(sims)})
    return {
        "held_out": held,
        "trained_on": train,
        "within_25": _mean([r.within_25 for r in runs]),
        "within_range": _mean([r.within_range for r in runs]),
        "n_observations": runs[0].n,
        "in_sample_within_25": _mean([r.in_sample_within_25 for r in runs]),
        "transit_days": transit,
        "reached_us_border_share": _mean([r.reached_us_border_share for r in runs]),
        "parameters": params,
    }


def write_fits(result: dict[str, Any], path: Path) -> Path:
    """Write the fits of a `--refit` run in the format of `scenarios/crossval.toml`."""
    lines = ["# General parameters fitted by `corridor crossval --refit` (see docs/validation.md).",
             f"# seeds {result['seeds']}, engine {result['engine']}", ""]
    for fold in result["folds"]:
        key = "+".join(sorted(fold["trained_on"]))
        lines.append(f'[fold."{key}"]')
        lines += [f"{k} = {v!r}" for k, v in sorted(fold["parameters"].items())]
        lines.append("")
    if result["joint_parameters"]:
        lines.append("[joint]")
        lines += [f"{k} = {v!r}" for k, v in sorted(result["joint_parameters"].items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
