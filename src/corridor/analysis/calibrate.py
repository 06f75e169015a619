"""Calibration: parameter values that make a scenario fit its observations, with optuna.

The objective is a metric of `corridor.analysis.metrics` computed on each run:
`mean_abs_log_error` (minimised; the default), `matched_share` (maximised) or, for Flee
scenarios, `ard` (minimised; their default). A trial runs `runs_per_trial` members with the same
seeds at every trial (common random numbers, so trials differ by their parameters only) and
scores their mean. Trials are asked of optuna's TPE sampler a batch at a time — as many as
there are workers — and run on the backend like any study.

The optuna study lives in `DIR/optuna.db` (SQLite): the same command run again continues it up
to `--trials` finished trials; trials an interrupted command left unfinished are asked again.

A point estimate alone says little: the result also gives the spread of each parameter over the
best trials, and re-runs the best values with `check_runs` fresh seeds to show the objective's
spread and the fit to each observation (members' 5–95 % band against the observed range). The
same fresh seeds are run with the scenario's own values (`baseline`), so the fit before and
after calibration is compared draw for draw.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor.analysis.catalog import DONE, MemberSummary
from corridor.analysis.ensemble import MemberTask, Progress, point_scenario, run_member
from corridor.analysis.factors import RANGE, Factor, setting
from corridor.errors import CorridorError

if TYPE_CHECKING:
    from corridor.analysis.backends import Backend
    from corridor.scenario.model import Scenario

DIRECTIONS = {"mean_abs_log_error": "minimize", "matched_share": "maximize", "ard": "minimize"}
OPTUNA_DB = "optuna.db"
CALIBRATION = "calibration.json"


def default_objective(scenario: Scenario) -> str:
    """Return `ard` for Flee scenarios with camp counts, else `mean_abs_log_error`."""
    from corridor.analysis.metrics import camp_observations

    if scenario.config.model == "flee" and camp_observations(scenario):
        return "ard"
    return "mean_abs_log_error"


def with_observations(scenario: Scenario, against: str | Path,
                      settings: list[str] | None = None) -> Scenario:
    """Return the scenario scored against other observations (`observations` keeps its own).

    Args:
        scenario: The scenario.
        against: `observations`, or a CSV file in the format of `observations.csv`.
        settings: The `--set` settings the scenario was loaded with (applied again).

    Raises:
        ScenarioError: When the file is missing or invalid (naming its row and field).
    """
    if str(against) == "observations":
        return scenario
    import tempfile

    from corridor.errors import Problem, ScenarioError
    from corridor.scenario.load import load_scenario

    path = Path(against)
    if not path.is_file():
        raise ScenarioError([Problem(str(path), None, None, "--against: expected "
                                     "'observations' or a CSV file of observations")])
    with tempfile.TemporaryDirectory(prefix="corridor-against-") as tmp:
        for name, text in scenario.files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        (Path(tmp) / "observations.csv").write_text(path.read_text(encoding="utf-8"),
                                                    encoding="utf-8")
        try:
            loaded = load_scenario(tmp, settings)
        except ScenarioError as err:
            raise ScenarioError([Problem(str(path) if p.file == "observations.csv" else p.file,
                                         p.row, p.field, p.message) for p in err.problems]
                                ) from None
    return loaded.replace(path=scenario.path)


@dataclass
class CalibrationResult:
    """What a calibration found (also written to `DIR/calibration.json`)."""

    folder: Path
    report: dict[str, Any]

    @property
    def best_params(self) -> dict[str, Any]:
        """The best trial's parameter values."""
        return self.report["best"]["params"]


def _study_name(scenario: Scenario, factors: list[Factor], objective: str, runs: int,
                seed: int) -> str:
    described = [{k: v for k, v in vars(f).items() if (k, v) != ("kind", RANGE)}
                 for f in factors]  # a range factor is named as before switches existed
    key = json.dumps([scenario.digest(), described, objective, runs, seed])
    return f"{scenario.name}-{objective}-{hashlib.sha256(key.encode()).hexdigest()[:10]}"


def _distributions(factors: list[Factor]) -> dict[str, Any]:
    from optuna.distributions import FloatDistribution, IntDistribution

    return {f.name: IntDistribution(int(f.low), int(f.high)) if f.integer or f.switch
            else FloatDistribution(f.low, f.high) for f in factors}


def _tasks(scenario: Scenario, params: dict[str, Any], tag: int, seed: int,
           children: list[np.random.SeedSequence], first: int, outputs: tuple[str, ...],
           observations: bool, engine: str = "auto") -> list[MemberTask]:
    sc = point_scenario(scenario, [setting(n, v) for n, v in params.items()])
    return [MemberTask(tag, first + k, sc, seed, child, None, outputs, observations, engine)
            for k, child in enumerate(children)]


def _run(backend: Backend, tasks: list[MemberTask]) -> list[MemberSummary]:
    out = []
    for task, result in backend.imap_unordered(run_member, tasks):
        if isinstance(result, BaseException):
            result = MemberSummary(task.point, task.member, status="failed",
                                   error=f"{type(result).__name__}: {result}")
        out.append(result)
    return out


def _spread(trials: list[Any], factors: list[Factor], direction: str) -> tuple[int, dict]:
    ranked = sorted(trials, key=lambda t: t.value, reverse=direction == "maximize")
    top = ranked[:max(min(5, len(ranked)), math.ceil(0.1 * len(ranked)))]
    spread = {}
    for f in factors:
        vals = np.array([t.params[f.name] for t in top], dtype=np.float64)
        spread[f.name] = {"mean": float(vals.mean()), "sd": float(vals.std(ddof=1))
                          if len(vals) > 1 else 0.0, "min": float(vals.min()),
                          "max": float(vals.max())}
    return len(top), spread


def run_calibration(scenario: Scenario, factors: list[Factor], folder: Path, trials: int = 50,
                    objective: str | None = None, runs_per_trial: int = 1,
                    check_runs: int = 10, seed: int | None = None,
                    backend: Backend | None = None, progress: Progress | None = None,
                    engine: str = "auto") -> CalibrationResult:
    """Run (or continue) a calibration and write `calibration.json`.

    Args:
        scenario: The scenario with the observations to fit (settings applied).
        factors: Parameters and their ranges (`corridor.analysis.factors.resolve_factors`).
        folder: The output folder (`optuna.db`, `calibration.json`).
        trials: Finished trials wanted in the study (a resumed study runs only the rest).
        objective: `mean_abs_log_error`, `matched_share` or `ard` (default: by scenario).
        runs_per_trial: Members per trial (the objective is their mean).
        check_runs: Members re-run with the best values, on fresh seeds, for the spread.
        seed: Seed of the sampler and the members (default: the scenario's).
        backend: Where members run (default: local processes on every core).
        progress: Called with (trials done, trials failed, trials wanted).
        engine: Representation of people: agents, counts or auto.

    Raises:
        CorridorError: For an unknown objective, or no observations to fit.
    """
    import optuna
    from optuna.trial import TrialState

    from corridor.analysis.metrics import check
    from corridor.io.atomic import write_json

    objective = objective or default_objective(scenario)
    if objective not in DIRECTIONS:
        raise CorridorError(f"--objective {objective!r}: expected one of "
                            f"{', '.join(DIRECTIONS)}")
    if not factors:
        raise CorridorError("a calibration needs at least one --params NAME=lo:hi")
    if trials < 1 or runs_per_trial < 1 or check_runs < 0:
        raise CorridorError("--trials and --runs-per-trial must be at least 1, --check-runs "
                            "at least 0")
    outputs = tuple(dict.fromkeys([objective] + [m for m in ("matched_share",
                                                              "mean_abs_log_error")
                                                 if scenario.observations]))
    check(outputs, scenario)
    seed = scenario.config.seed if seed is None else int(seed)
    folder = Path(folder).resolve()
    from corridor.io.rundir import check_target

    check_target(folder, overwrite=True, what="calibration",  # a folder of other files: never
                 is_ours=lambda path: (Path(path) / OPTUNA_DB).is_file())
    folder.mkdir(parents=True, exist_ok=True)
    direction = DIRECTIONS[objective]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study = optuna.create_study(
            study_name=_study_name(scenario, factors, objective, runs_per_trial, seed),
            storage=f"sqlite:///{folder / OPTUNA_DB}", direction=direction,
            sampler=optuna.samplers.TPESampler(seed=seed), load_if_exists=True)
    for stale in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study.enqueue_trial(stale.params)  # asked by an interrupted command: ask again
        study.tell(stale.number, state=TrialState.FAIL)
    from corridor.analysis.backends import using

    with using(backend) as runner:
        report = _optimise(study, runner, scenario, factors, trials, objective, outputs,
                           runs_per_trial, check_runs, seed, progress, engine)
    report["storage"] = str(folder / OPTUNA_DB)
    write_json(folder / CALIBRATION, report)
    return CalibrationResult(folder, report)


def _optimise(study: Any, backend: Backend, scenario: Scenario, factors: list[Factor],
              trials: int, objective: str, outputs: tuple[str, ...], runs_per_trial: int,
              check_runs: int, seed: int, progress: Progress | None,
              engine: str = "auto") -> dict[str, Any]:
    import optuna
    from optuna.trial import TrialState

    direction = DIRECTIONS[objective]
    children = np.random.SeedSequence(seed).spawn(runs_per_trial + check_runs)
    observations = scenario.observations != ()
    dists = _distributions(factors)
    failed = 0

    def complete() -> list[Any]:
        return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))

    n_done = len(complete())
    if progress:
        progress(min(n_done, trials), failed, trials)
    while n_done < trials:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            size = min(max(1, math.ceil(backend.workers / runs_per_trial)), trials - n_done)
            batch = [study.ask(dists) for _ in range(size)]
        tasks = []
        for trial in batch:
            tasks += _tasks(scenario, trial.params, trial.number, seed,
                            children[:runs_per_trial], 0, outputs, observations, engine)
        by_trial: dict[int, list[MemberSummary]] = {}
        for s in _run(backend, tasks):
            by_trial.setdefault(s.point, []).append(s)
        for trial in batch:
            members = by_trial.get(trial.number, [])
            if len(members) == runs_per_trial and all(m.status == DONE for m in members):
                values = [m.metrics[objective] for m in members]
                for m in outputs:
                    trial.set_user_attr(m, float(np.mean([s.metrics[m] for s in members])))
                study.tell(trial, float(np.mean(values)))
                n_done += 1
            else:
                errors = [m.error for m in members if m.error]
                trial.set_user_attr("error", errors[0] if errors else "lost")
                study.tell(trial, state=TrialState.FAIL)
                failed += 1
                if failed > 3 * trials:
                    raise CorridorError(f"{failed} trials failed; the last: "
                                        f"{errors[0] if errors else 'lost'}")
            if progress:
                progress(min(n_done, trials), failed, trials)
    done = complete()
    best = study.best_trial
    k, spread = _spread(done, factors, direction)
    report: dict[str, Any] = {
        "scenario": scenario.name, "objective": objective, "direction": direction,
        "study": study.study_name, "seed": seed,
        "trials": len(done), "runs_per_trial": runs_per_trial,
        "factors": [vars(f) for f in factors],
        "best": {"trial": best.number, "value": best.value, "params": best.params,
                 **{m: best.user_attrs.get(m) for m in outputs if m != objective}},
        "top_trials": k, "spread": spread,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    if check_runs:
        fresh = children[runs_per_trial:]
        report["check"] = _check(backend, scenario, best.params, fresh, runs_per_trial, seed,
                                 outputs, engine)
        report["baseline"] = _check(backend, scenario, {}, fresh, runs_per_trial, seed, outputs,
                                    engine)
        report["baseline"]["params"] = {f.name: _current(scenario, f.name) for f in factors}
    return report


def _check(backend: Backend, scenario: Scenario, params: dict[str, Any],
           children: list[np.random.SeedSequence], first: int, seed: int,
           outputs: tuple[str, ...], engine: str = "auto") -> dict[str, Any]:
    """Run parameter values on the check seeds: the outputs' spread and the score."""
    from corridor.analysis.ensemble_score import metric_distribution, score_members

    observations = scenario.observations != ()
    checked = _run(backend, _tasks(scenario, params, 0, seed, children, first, outputs,
                                   observations, engine))
    ok = [s for s in checked if s.status == DONE]
    return {"runs": len(children), "done": len(ok),
            "outputs": {m: metric_distribution(ok, m) for m in outputs},
            "score": score_members(scenario, ok) if observations else None}


def _current(scenario: Scenario, name: str) -> Any:
    """Return the scenario's own value of a setting (None when it is left to a default)."""
    parts = name.split(".")
    if parts[0] == "rules" and len(parts) >= 3:
        rule = next((r for r in scenario.rules if r.id == parts[1]), None)
        value = getattr(rule, ".".join(parts[2:]), None) if rule is not None else None
    elif name in ("name", "description", "start_date", "days", "seed"):
        value = getattr(scenario.config, name, None)
    else:
        value = (scenario.config.parameters if scenario.parameters is None
                 else scenario.parameters.model_dump())
        for key in name.removeprefix("parameters.").split("."):
            value = value.get(key) if isinstance(value, dict) else getattr(value, key, None)
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)
