"""`corridor ensemble`, `sweep`, `sensitivity` and `calibrate`: many runs, on all cores or Dask."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from corridor.cli.errors import EXIT_INTERNAL, handle_errors

if TYPE_CHECKING:
    from corridor.analysis.backends import Backend
    from corridor.scenario.model import Scenario

EXIT_INTERRUPTED = 130

ScenarioArg = Annotated[str, typer.Argument(
    help="A scenario folder, a built-in name, or a Flee input folder.")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", help="Override a setting: NAME=VALUE (repeatable).")]
ParamsFileOpt = Annotated[Path | None, typer.Option(
    "--params", help="A TOML file of NAME = value settings (corridor calibrate "
    "--write-params), applied before --set.")]
MAX_SEED = 2**63 - 1
DaysOpt = Annotated[int | None, typer.Option(help="Number of days to run.")]
WithoutOpt = Annotated[list[str] | None, typer.Option(
    "--without", help="Disable a rule by id (repeatable).")]
SeedOpt = Annotated[int | None, typer.Option(
    min=0, max=MAX_SEED, help="Root seed; member k uses the k-th child of SeedSequence(seed) "
    "(default: the scenario's seed).")]
JobsOpt = Annotated[int | None, typer.Option(
    "--jobs", "-j", help="Local worker processes (default: every core; 1 runs here).")]
SchedulerOpt = Annotated[str | None, typer.Option(
    help="Run on a Dask cluster: the scheduler's address, e.g. tcp://host:8786.")]
WorkerTimeoutOpt = Annotated[float, typer.Option(
    "--worker-timeout", help="With --scheduler: seconds the cluster may have no worker at all "
    "before the command stops (members done are kept).")]
OutputOpt = Annotated[list[str] | None, typer.Option(
    "--output", help="Output metric (repeatable): departed, reached_us_border, "
    "reached:KIND, returned_by:DATE, STATE or final:STATE, ard, matched_share, "
    "mean_abs_log_error.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
FleeValidationOpt = Annotated[Path | None, typer.Option(
    help="With a Flee input folder: its validation folder.")]
FleeSettingsOpt = Annotated[Path | None, typer.Option(
    help="With a Flee input folder: its simsetting.yml.")]
EngineOpt = Annotated[str, typer.Option(
    help="Representation of people in every member: agents, counts, or auto (counts for "
    "large runs).")]


def resolve_engine(sc: Scenario, engine: str) -> str:
    """Check `--engine` before any member runs; with `auto`, say on stderr what it chose."""
    from corridor.engine.simulation import ENGINES, engine_choice
    from corridor.errors import Problem, ScenarioError

    if engine not in ENGINES:
        raise ScenarioError([Problem("--engine", None, engine, "expected agents, counts or "
                                     "auto")])
    chosen, why = engine_choice(sc, engine)
    if engine == "auto":
        typer.echo(f"engine: {chosen} ({why})", err=True)
    return chosen


# --- shared pieces ----------------------------------------------------------------------------
def load(scenario: str, settings: list[str] | None = None, params: Path | None = None,
         days: int | None = None, without: list[str] | None = None,
         flee_validation: Path | None = None, flee_settings: Path | None = None
         ) -> tuple[Scenario, list[str]]:
    """Load a scenario (or a Flee input folder) with the command's settings.

    Returns:
        The scenario and the settings applied to it.
    """
    from corridor.flee.convert import is_flee_input, load_flee
    from corridor.scenario import load_scenario

    applied = list(settings or [])
    if params is not None:
        from corridor.analysis.params import read_params

        applied = read_params(params) + applied
    if days is not None:
        applied += [f"days={days}", "drop_late_departures=true"]
    applied += [f"rules.{rule}.enabled=false" for rule in (without or [])]
    if flee_validation or flee_settings or is_flee_input(scenario):
        return load_flee(scenario, flee_validation, flee_settings, applied), applied
    return load_scenario(scenario, applied), applied


class _Tracker:
    """Drives a rich progress bar (on stderr) from (done, failed, total) calls."""

    def __init__(self, label: str, unit: str, enabled: bool):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class RateColumn(ProgressColumn):
            def render(self, task: Any) -> Text:
                speed = task.finished_speed or task.speed
                return Text(f"{speed:.2f} {unit}/s" if speed else f"– {unit}/s")

        self.label, self.enabled = label, enabled
        self.done = self.failed = self.total = 0
        self._task = None
        self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                            MofNCompleteColumn(), TextColumn(unit),
                            TextColumn("[red]{task.fields[failed]} failed"), RateColumn(),
                            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                            console=Console(stderr=True), transient=True,
                            disable=not enabled)

    def __call__(self, done: int, failed: int, total: int) -> None:
        self.done, self.failed, self.total = done, failed, total
        if self._task is None:
            self._task = self.bar.add_task(self.label, total=total, completed=done,
                                           failed=failed)
        else:
            self.bar.update(self._task, completed=done, failed=failed)


@contextlib.contextmanager
def tracked(label: str, unit: str, quiet: bool, resume_hint: str) -> Iterator[_Tracker]:
    """Yield a progress callback; on Ctrl-C say what was kept and exit 130."""
    tracker = _Tracker(label, unit, not quiet)
    try:
        with tracker.bar:
            yield tracker
    except KeyboardInterrupt:
        typer.secho(f"interrupted: {tracker.done} of {tracker.total} {unit} done and recorded; "
                    f"{resume_hint}", err=True, fg="yellow")
        raise typer.Exit(EXIT_INTERRUPTED) from None


EXTRAS = {"duckdb": "data", "SALib": "calibrate", "optuna": "calibrate",
          "dask.distributed": "dask"}


def need(*modules: str) -> None:
    """Exit 2 with the pip command to run when an optional package is missing."""
    import importlib.util

    from corridor.cli.errors import fail

    for module in modules:
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:  # a missing parent package
            found = False
        if not found:
            extra = EXTRAS[module]
            fail(f"this command needs {module.split('.')[0]}, in the '{extra}' extra: "
                 f"pip install 'corridor[{extra}]'")


def backend_for(jobs: int | None, scheduler: str | None,
                worker_timeout: float = 60.0) -> Backend:
    """Return the backend of `--jobs` / `--scheduler` / `--worker-timeout`."""
    from corridor.analysis.backends import make_backend

    if scheduler:
        need("dask.distributed")
    return make_backend(jobs, scheduler, worker_timeout)


def _num(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if math.isinf(value):
        return "inf"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _dist(d: dict[str, float] | None) -> str:
    return "–" if not d else f"{_num(d['mean'])} [{_num(d['p05'])}–{_num(d['p95'])}]"


def _warn_sample(message: str | None) -> None:
    """Print a too-small-sample warning on stderr (before the runs, so it can be stopped)."""
    if message:
        typer.secho(f"warning: {message}", err=True, fg="yellow")


def _report_failures(failed: list[Any], hint: str) -> None:
    if failed:
        typer.secho(f"{len(failed)} members failed (first: member {failed[0].member}: "
                    f"{failed[0].error}); {hint}", err=True, fg="red")
        raise typer.Exit(EXIT_INTERNAL)


def _default_out(scenario: Scenario, what: str) -> Path:
    return Path("results") / f"{scenario.name}-{what}"


# --- commands ---------------------------------------------------------------------------------
@handle_errors
def ensemble_command(
    scenario: ScenarioArg,
    runs: Annotated[int, typer.Option(help="Number of members.")],
    out: Annotated[Path | None, typer.Option(help="The ensemble folder (default: "
                                             "results/<scenario>-ensemble).")] = None,
    jobs: JobsOpt = None, scheduler: SchedulerOpt = None, seed: SeedOpt = None,
    worker_timeout: WorkerTimeoutOpt = 60.0,
    set_: SetOpt = None, params: ParamsFileOpt = None, days: DaysOpt = None,
    without: WithoutOpt = None, output: OutputOpt = None,
    report: Annotated[bool, typer.Option(help="Write report.html with the bands.")] = True,
    quiet: QuietOpt = False, flee_validation: FleeValidationOpt = None,
    flee_settings: FleeSettingsOpt = None, engine: EngineOpt = "auto",
    posterior: Annotated[Path | None, typer.Option(
        help="A posterior (corridor calibrate --posterior): member k runs with the k-th of "
             "--runs particles drawn by weight, its values as --set settings, so the bands "
             "carry the parameters' uncertainty (a what-if: the same command with --without "
             "or --set draws the same particles).")] = None,
) -> None:
    """Run N members of a scenario with spawned seeds; write quantile bands and the score.

    Running the same command again after an interruption finishes the members not done yet.
    """
    need("duckdb")
    from corridor.analysis.ensemble import ensemble_outputs, run_ensemble
    from corridor.analysis.ensemble_score import format_score
    from corridor.analysis.sample_size import band_warning

    sc, _ = load(scenario, set_, params, days, without, flee_validation, flee_settings)
    chosen = resolve_engine(sc, engine)
    folder = out or _default_out(sc, "ensemble")
    outputs = tuple(dict.fromkeys(list(ensemble_outputs(sc)) + list(output or [])))
    _warn_sample(band_warning(runs, "--runs"))
    with backend_for(jobs, scheduler, worker_timeout) as backend:
        with tracked(f"{sc.name} ensemble", "members", quiet,
                     "run the same command again to finish") as progress:
            result = run_ensemble(sc, runs, folder, seed=seed, backend=backend,
                                  outputs=outputs, progress=progress, engine=chosen,
                                  posterior=posterior)
    info, study = result.info, result.study
    ran = study.done - study.skipped
    rate = f" — {info['members_per_second']:.2f} members/s" if info["members_per_second"] else ""
    typer.echo(f"{sc.name}: {study.done} of {runs} members done ({ran} now, {study.skipped} "
               f"already done) in {study.wall_time_s:.1f} s on {info['backend']}{rate}; "
               f"{len(study.failed)} failed")
    shown = [m for m in outputs if not m.startswith("final:")] + [
        m for m in outputs if m.startswith("final:") and (info["outputs"].get(m) or {}).get(
            "max", 0) > 0]
    if "posterior" in info:
        drawn = info["posterior"]
        typer.echo(f"parameters from {drawn['file']}: {drawn['distinct_drawn']} distinct of "
                   f"{drawn['particles']} particles drawn by weight "
                   f"({', '.join(drawn['parameters'])})")
    typer.echo("outputs, mean [5–95 %] over members:")
    for m in shown:
        typer.echo(f"  {m:<28} {_dist(info['outputs'].get(m))}")
    if result.score["n_observations"]:
        typer.echo("")
        typer.echo(format_score(result.score, max_rows=40))
    typer.echo(f"results in {result.folder} (bands.parquet, score.json, catalog.duckdb, "
               "members/)")
    if report and result.bands is not None:
        _ensemble_report(result.folder, quiet)
    _report_failures(study.failed, "run the same command again to retry them")


def _ensemble_report(folder: Path, quiet: bool = False) -> None:
    from corridor.cli.progress import report_progress
    from corridor.report.bands import write_ensemble_report

    try:
        with report_progress(enabled=not quiet) as step:
            step("the ensemble's bands", 0, 1)
            path = write_ensemble_report(folder)
    except ModuleNotFoundError as err:  # matplotlib or plotly
        typer.secho(f"no report: the report extra is not installed ({err}); "
                    "pip install 'corridor[report]'", err=True, fg="yellow")
        return
    typer.echo(f"report: {path}")


@handle_errors
def sweep_command(
    scenario: ScenarioArg,
    param: Annotated[list[str], typer.Option(
        "--param", help="NAME=v1,v2,... or NAME=lo:hi:n (repeatable; the grid is their "
        "product).")],
    runs_per_point: Annotated[int, typer.Option(help="Members at each point.")] = 1,
    out: Annotated[Path | None, typer.Option(help="The sweep folder (default: "
                                             "results/<scenario>-sweep).")] = None,
    output: OutputOpt = None,
    keep: Annotated[bool, typer.Option(help="Keep each member's tables "
                                       "(points/<p>/members/<k>/).")] = True,
    jobs: JobsOpt = None, scheduler: SchedulerOpt = None, seed: SeedOpt = None,
    worker_timeout: WorkerTimeoutOpt = 60.0,
    set_: SetOpt = None, params: ParamsFileOpt = None, days: DaysOpt = None,
    without: WithoutOpt = None, quiet: QuietOpt = False,
    flee_validation: FleeValidationOpt = None, flee_settings: FleeSettingsOpt = None,
    engine: EngineOpt = "auto",
) -> None:
    """Run a grid of parameter values, several members at each point (same seeds at each)."""
    need("duckdb")
    from corridor.analysis.factors import parse_values
    from corridor.analysis.metrics import default_outputs
    from corridor.analysis.sample_size import band_warning
    from corridor.analysis.sweep import SWEEP, grid, run_sweep

    sc, _ = load(scenario, set_, params, days, without, flee_validation, flee_settings)
    chosen = resolve_engine(sc, engine)
    parsed = [parse_values(p) for p in param]
    outputs = tuple(output or default_outputs(sc))
    folder = out or _default_out(sc, "sweep")
    n = len(grid(parsed)) * runs_per_point
    _warn_sample(band_warning(runs_per_point, "--runs-per-point"))
    with backend_for(jobs, scheduler, worker_timeout) as backend:
        with tracked(f"{sc.name} sweep ({n} runs)", "members", quiet,
                     "run the same command again to finish") as progress:
            result = run_sweep(sc, parsed, runs_per_point, folder, outputs, seed=seed,
                               backend=backend, progress=progress, keep=keep, engine=chosen)
    _print_sweep(result.table.to_pylist(), [name for name, _ in parsed], outputs)
    study = result.study
    typer.echo(f"{study.done} of {study.total} members done in {study.wall_time_s:.1f} s; "
               f"results in {result.folder / SWEEP} and {result.folder / 'catalog.duckdb'}")
    _report_failures(study.failed, "run the same command again to retry them")


def _print_sweep(rows: list[dict[str, Any]], names: list[str], outputs: tuple[str, ...]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="mean [5–95 %] over the members at each point")
    for col in ["point", *names, *outputs]:
        table.add_column(col, justify="right")
    points: dict[int, dict[str, Any]] = {}
    for r in rows:
        points.setdefault(r["point"], {"values": r, "metrics": {}})["metrics"][r["metric"]] = r
    for p, entry in points.items():
        cells = [str(p), *(str(entry["values"][n]) for n in names)]
        for m in outputs:
            r = entry["metrics"].get(m)
            cells.append("–" if not r or not r["runs"] else
                         f"{_num(r['mean'])} [{_num(r['p05'])}–{_num(r['p95'])}]")
        table.add_row(*cells)
    Console().print(table)


@handle_errors
def sensitivity_command(
    scenario: ScenarioArg,
    output: Annotated[list[str], typer.Option(
        "--output", help="Output metric to analyse (repeatable); see corridor sweep --help.")],
    param: Annotated[list[str] | None, typer.Option(
        "--param", help="NAME=lo:hi (repeatable); rules.<id>.enabled=0:1 switches a rule on "
        "and off.")] = None,
    rules: Annotated[bool, typer.Option(
        "--rules", help="Add every rule of the scenario as an on/off switch "
        "(rules.<id>.enabled=0:1) and rank the rules by their effect.")] = False,
    method: Annotated[str, typer.Option(help="sobol or morris.")] = "sobol",
    samples: Annotated[int, typer.Option(
        help="SALib's N: base samples (Sobol', runs = N × (D + 2); a power of 2) or "
        "trajectories (Morris, runs = N × (D + 1)).")] = 64,
    runs_per_sample: Annotated[int, typer.Option(help="Members per sample (averaged).")] = 1,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: "
                                             "results/<scenario>-sensitivity).")] = None,
    jobs: JobsOpt = None, scheduler: SchedulerOpt = None, seed: SeedOpt = None,
    worker_timeout: WorkerTimeoutOpt = 60.0,
    set_: SetOpt = None, params: ParamsFileOpt = None, days: DaysOpt = None,
    without: WithoutOpt = None, quiet: QuietOpt = False,
    flee_validation: FleeValidationOpt = None, flee_settings: FleeSettingsOpt = None,
) -> None:
    """Sobol' or Morris sensitivity indices of output metrics to parameters (SALib).

    With --rules every rule is a factor that is on or off; Morris effects of a switch are in the
    output's units per switching the rule on or off.
    """
    need("duckdb", "SALib")
    from corridor.analysis.sample_size import sensitivity_warning
    from corridor.analysis.sensitivity import run_sensitivity

    sc, _ = load(scenario, set_, params, days, without, flee_validation, flee_settings)
    factors = _sensitivity_factors(sc, param or [], rules)
    folder = out or _default_out(sc, "sensitivity")
    _warn_sample(sensitivity_warning(method, samples, len(factors)))
    with backend_for(jobs, scheduler, worker_timeout) as backend:
        with tracked(f"{sc.name} {method}", "runs", quiet,
                     "run the same command again to finish") as progress:
            result = run_sensitivity(sc, factors, tuple(output), folder, method, samples,
                                     runs_per_sample, seed, backend, progress)
    _print_indices(result)
    typer.echo(f"{result.study.total} runs; indices in {result.folder / 'sensitivity.json'}, "
               f"samples in {result.folder / 'samples.parquet'}")
    for path in result.figures:
        typer.echo(f"figure: {path}")


def _sensitivity_factors(sc: Scenario, texts: list[str], rules: bool) -> list[Any]:
    """Return the --param factors and, with --rules, a switch per rule not already given."""
    from corridor.analysis.factors import resolve_factors, rule_switches
    from corridor.cli.errors import fail

    factors = resolve_factors(sc, texts)
    if rules:
        if not sc.rules:
            fail(f"--rules: {sc.name} has no rules to switch on and off")
        given = {f.name for f in factors}
        factors += [f for f in rule_switches(sc) if f.name not in given]
    if not factors:
        fail("give at least one --param NAME=lo:hi, or --rules")
    return factors


def _print_indices(result: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    from corridor.analysis.sensitivity import ranking

    console = Console()
    sobol = result.method == "sobol"
    switches = any(f.switch for f in result.factors)
    for metric, ind in result.indices.items():
        unit = " per toggle for switches" if switches and not sobol else ""
        table = Table(title=f"{metric}: {'Sobol' if sobol else 'Morris'} indices, largest first "
                      f"(± 95 % confidence){unit}")
        cols = ("S1", "ST") if sobol else ("mu*", "sigma", "mu (on − off)" if switches
                                           else "mu")
        for col in ("rank", "parameter", *cols):
            table.add_column(col, justify="left" if col == "parameter" else "right",
                         no_wrap=col == "parameter")  # names are typed back into --set
        for rank, i in enumerate(ranking(result.method, ind), start=1):
            table.add_row(str(rank), _factor_label(result.factors[i]), *_index_cells(ind, i, sobol))
        console.print(table)
        if ind.get("constant"):
            console.print(f"{metric}: the output was the same in every run: no sensitivity")
        elif switches:
            zero = [f.name for i, f in enumerate(result.factors) if f.switch
                    and ind["ST" if sobol else "mu_star"][i] == 0]
            console.print(f"{metric}: {len(zero)} switches with no effect at all")


def _factor_label(f: Any) -> str:
    rule = f.name.removeprefix("rules.").removesuffix(".enabled")
    if f.switch:
        return f"{rule} (rule on/off)" if rule != f.name else f"{f.name} (on/off)"
    return f.name + (" (whole numbers)" if f.integer else "")


def _index_cells(ind: dict[str, list[float]], i: int, sobol: bool) -> list[str]:
    if sobol:
        return [f"{ind['S1'][i]:.3f} ± {ind['S1_conf'][i]:.3f}",
                f"{ind['ST'][i]:.3f} ± {ind['ST_conf'][i]:.3f}"]
    return [f"{ind['mu_star'][i]:.4g} ± {ind['mu_star_conf'][i]:.3g}", f"{ind['sigma'][i]:.4g}",
            f"{ind['mu'][i]:+.4g}"]


@handle_errors
def calibrate_command(
    scenario: ScenarioArg,
    ranges: Annotated[list[str] | None, typer.Option(
        "--ranges", metavar="NAME=LO:HI",
        help="A parameter to fit and its range: NAME=lo:hi (repeatable; at least one).")]
    = None,
    old_ranges: Annotated[list[str] | None, typer.Option(
        "--params", hidden=True,
        help="Deprecated name of --ranges (in run, --params is a file of values).")] = None,
    against: Annotated[str, typer.Option(
        help="'observations' (the scenario's observations.csv) or a CSV file of "
        "observations in that format.")] = "observations",
    objective: Annotated[str | None, typer.Option(
        help="mean_abs_log_error (default), matched_share, or ard (default for Flee "
        "scenarios).")] = None,
    trials: Annotated[int, typer.Option(help="Finished trials wanted (a resumed study "
                                        "runs the rest).")] = 50,
    runs_per_trial: Annotated[int, typer.Option(help="Members per trial (averaged).")] = 1,
    check_runs: Annotated[int, typer.Option(
        help="Runs of the best values on fresh seeds, for the spread and the fit.")] = 10,
    out: Annotated[Path | None, typer.Option(help="Output folder with optuna.db (default: "
                                             "results/<scenario>-calibration).")] = None,
    write_params: Annotated[Path | None, typer.Option(
        help="Write the fitted values to this TOML file (for corridor run --params).")]
    = None,
    posterior: Annotated[Path | None, typer.Option(
        help="Also write a posterior of the --params factors (weighted particles, sequential "
        "Monte Carlo around the best values; docs/forecasting.md) to this JSON file "
        "(.parquet: the particles as a table).")] = None,
    posterior_runs: Annotated[int, typer.Option(
        min=2, help="With --posterior: members per stage.")] = 40,
    jobs: JobsOpt = None, scheduler: SchedulerOpt = None, seed: SeedOpt = None,
    worker_timeout: WorkerTimeoutOpt = 60.0,
    set_: SetOpt = None, days: DaysOpt = None, without: WithoutOpt = None,
    quiet: QuietOpt = False, flee_validation: FleeValidationOpt = None,
    flee_settings: FleeSettingsOpt = None, engine: EngineOpt = "auto",
) -> None:
    """Fit parameters to the observations with optuna; report their spread and the fit."""
    from corridor.cli.errors import fail

    if old_ranges:
        typer.echo("note: calibrate --params is deprecated; use --ranges NAME=lo:hi (run's "
                   "--params is a file of values)", err=True)
    ranges = [*(ranges or []), *(old_ranges or [])]
    if not ranges:
        fail("calibrate needs at least one parameter to fit: --ranges NAME=lo:hi "
             "(e.g. --ranges walk_speed_km=20:50)")
    need("optuna")
    from corridor.analysis.calibrate import run_calibration, with_observations
    from corridor.analysis.factors import resolve_factors

    sc, applied = load(scenario, set_, None, days, without, flee_validation, flee_settings)
    sc = with_observations(sc, against, applied)
    chosen = resolve_engine(sc, engine)
    if not sc.observations:
        fail(f"{sc.name} has no observations to calibrate against; give a file with --against")
    factors = resolve_factors(sc, ranges, "--ranges")
    folder = out or _default_out(sc, "calibration")
    with backend_for(jobs, scheduler, worker_timeout) as backend:
        with tracked(f"{sc.name} calibration", "trials", quiet,
                     "run the same command again to continue the study") as progress:
            result = run_calibration(sc, factors, folder, trials, objective, runs_per_trial,
                                     check_runs, seed, backend, progress, chosen)
    _print_calibration(result.report)
    if write_params is not None:
        from corridor.analysis.params import write_params as write

        rep = result.report
        path = write(write_params, result.best_params, [
            f"calibrated by corridor calibrate: {rep['scenario']}, {rep['objective']} "
            f"{rep['best']['value']:.4g} (trial {rep['best']['trial']} of {rep['trials']})",
            "use with: corridor run SCENARIO --params THIS_FILE"])
        typer.echo(f"parameters written to {path}")
    typer.echo(f"study in {result.folder / 'optuna.db'}; report in "
               f"{result.folder / 'calibration.json'}")
    if posterior is not None:
        _write_posterior(sc, factors, result.best_params, posterior, posterior_runs, seed,
                         jobs, scheduler, worker_timeout, quiet)


def _write_posterior(sc: Scenario, factors: list, best: dict[str, Any], path: Path, runs: int,
                     seed: int | None, jobs: int | None, scheduler: str | None,
                     worker_timeout: float, quiet: bool) -> None:
    from corridor.analysis.posterior import calibrate_posterior, write_posterior

    with backend_for(jobs, scheduler, worker_timeout) as backend:
        with tracked(f"{sc.name} posterior", "members", quiet,
                     "the posterior was not written; run the command again") as progress:
            post = calibrate_posterior(sc, factors, best, runs, seed=seed, backend=backend,
                                       progress=lambda d, t: progress(d, 0, t))
    write_posterior(path, post)
    for name, q in post["quantities"].items():
        typer.echo(f"  posterior {name:<22} {q['q50']:.4g} [{q['q05']:.4g}–{q['q95']:.4g}]")
    typer.echo(f"posterior ({runs} weighted particles, ESS {post['stages'][-1]['ess']:.1f}) "
               f"written to {path}")


def _print_calibration(rep: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from corridor.analysis.ensemble_score import format_score

    console = Console()
    best = rep["best"]
    console.print(f"[bold]{rep['scenario']}[/]: best {rep['objective']} {best['value']:.4g} "
                  f"(trial {best['trial']} of {rep['trials']} finished, {rep['direction']}d)")
    table = Table(title="fitted parameters",
                  caption=f"spread over the best {rep['top_trials']} trials")
    own = (rep.get("baseline") or {}).get("params", {})
    for col in ("parameter", "scenario's value", "best", "mean ± sd", "min–max",
                "range searched"):
        table.add_column(col, justify="left" if col == "parameter" else "right",
                         no_wrap=col == "parameter")  # names are typed back into --set
    for f in rep["factors"]:
        s = rep["spread"][f["name"]]
        value = own.get(f["name"])
        table.add_row(f["name"], "–" if value is None else str(value),
                      f"{best['params'][f['name']]:.4g}",
                      f"{s['mean']:.4g} ± {s['sd']:.2g}", f"{s['min']:.4g}–{s['max']:.4g}",
                      f"{f['low']:g}–{f['high']:g}")
    console.print(table)
    check = rep.get("check")
    if check:
        console.print(f"best values re-run on {check['done']} fresh seeds:")
        for m, d in check["outputs"].items():
            console.print(f"  {m:<22} {_dist(d)}")
        if check.get("score"):
            typer.echo(format_score(check["score"], max_rows=40))
    base = rep.get("baseline")
    if check and base:
        console.print(f"the scenario's own values on the same {base['runs']} seeds "
                      f"(baseline) → the best values, mean [5–95 %]:")
        for m, d in base["outputs"].items():
            console.print(f"  {m:<22} {_dist(d)}  →  {_dist(check['outputs'].get(m))}")


def register(app: typer.Typer) -> None:
    """Add the ensemble commands to the app."""
    app.command("ensemble")(ensemble_command)
    app.command("sweep")(sweep_command)
    app.command("sensitivity")(sensitivity_command)
    app.command("calibrate")(calibrate_command)
