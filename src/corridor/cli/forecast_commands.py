"""`corridor forecast` and `corridor backtest`: assimilate counts, forecast, score.

See docs/forecasting.md.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.ensemble_commands import (
    JobsOpt,
    QuietOpt,
    SchedulerOpt,
    SeedOpt,
    SetOpt,
    WorkerTimeoutOpt,
    backend_for,
    tracked,
)
from corridor.cli.errors import handle_errors

RunsOpt = Annotated[int, typer.Option(min=2, help="Members (particles) per stage.")]
StagesOpt = Annotated[int, typer.Option(
    min=1, help="Stages of the filter (resample, jitter, run again), at most.")]


def _load(scenario: str, settings: list[str] | None, observations: Path | None):
    from corridor.analysis.calibrate import with_observations
    from corridor.scenario import load_scenario

    sc = load_scenario(scenario, list(settings or []))
    if observations is not None:
        sc = with_observations(sc, observations, list(settings or []))
    return sc


@handle_errors
def forecast_command(
    scenario: Annotated[str, typer.Argument(help="A scenario folder or a built-in name.")],
    as_of: Annotated[str, typer.Option(
        "--as-of", help="The last date (YYYY-MM-DD) whose counts are known and assimilated.")],
    observations: Annotated[Path | None, typer.Option(
        help="A CSV file of counts in the format of observations.csv (default: the "
        "scenario's own).")] = None,
    horizon: Annotated[int, typer.Option(min=1, help="Days forecast after --as-of.")] = 28,
    runs: RunsOpt = 100,
    stages: StagesOpt = 2,
    out: Annotated[Path | None, typer.Option(
        help="Output folder (default: results/<scenario>-forecast-<as-of>).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print forecast.json.")] = False,
    report: Annotated[bool, typer.Option(help="Write forecast.html (needs plotly).")] = True,
    jobs: JobsOpt = None, scheduler: SchedulerOpt = None, seed: SeedOpt = None,
    worker_timeout: WorkerTimeoutOpt = 60.0, set_: SetOpt = None, quiet: QuietOpt = False,
) -> None:
    """Forecast a caravan from the counts known on a date, with calibrated bands."""
    from corridor.analysis.forecast import parse_date, run_smc
    from corridor.analysis.forecast_files import write_forecast
    from corridor.analysis.forecast_members import caravan_cohort
    from corridor.io.rundir import check_target

    date = parse_date(as_of)
    sc = _load(scenario, set_, observations)
    folder = out or Path("results") / f"{sc.name}-forecast-{date.isoformat()}"
    check_target(folder, overwrite=True, what="forecast",
                 is_ours=lambda p: (Path(p) / "forecast.json").is_file())
    root = sc.config.seed if seed is None else seed
    started = time.perf_counter()
    with backend_for(jobs, scheduler, worker_timeout) as backend:
        with tracked(f"{sc.name} forecast", "members", quiet or as_json,
                     "nothing was kept; run the command again") as progress:
            result = run_smc(sc, date, runs, stages, horizon, root, backend,
                             progress=lambda d, t: progress(d, 0, t))
        where = backend.describe()
    info = {"scenario": sc.name, "as_of": date.isoformat(), "horizon_days": horizon,
            "runs": runs, "seed": root, "backend": where, "engine": "counts",
            "observations": str(observations) if observations else "scenario",
            "wall_time_s": round(time.perf_counter() - started, 2)}
    summary = write_forecast(folder, sc, result, info)
    if report:
        try:
            import plotly  # noqa: F401
        except ImportError:
            typer.echo("forecast.html not written: the report needs plotly "
                       "(pip install 'corridor[report]')", err=True)
        else:
            from corridor.report.forecast import write_forecast_report

            origins = frozenset(p.id for p in sc.places if p.kind == "origin")
            write_forecast_report(folder, summary, caravan_cohort(sc), origins,
                                  {pl.id: pl.name for pl in sc.places})
    if as_json:
        typer.echo((folder / "forecast.json").read_text(encoding="utf-8"))
        return
    _print_summary(summary, folder)


def _print_summary(summary: dict, folder: Path) -> None:
    typer.echo(f"{summary['scenario']} as of {summary['as_of']}: {summary['n_known']} counts "
               f"assimilated, {summary['runs']} members per stage, "
               f"{summary['wall_time_s']:.1f} s on {summary['backend']}")
    for i, s in enumerate(summary["stages"], start=1):
        typer.echo(f"  stage {i}: counts to {s['date']} ({s['n_observations']}), "
                   f"ESS {s['ess']:.1f} of {summary['runs']}")
    typer.echo("posterior (median [5–95 %], prior centre):")
    for name, q in summary["quantities"].items():
        typer.echo(f"  {name:<18} {q['q50']:.4g} [{q['q05']:.4g}–{q['q95']:.4g}]  "
                   f"prior {q['prior_center']:.4g}")
    later = [r for r in summary["observations"] if not r["known"]]
    if later:
        inside = sum(r["q05"] <= r["value"] <= r["q95"] for r in later)
        typer.echo(f"later counts in the scenario's file: {inside} of {len(later)} inside the "
                   f"90 % band")
    typer.echo(f"written to {folder}: bands.parquet, posterior.parquet, forecast.json"
               + (", forecast.html" if (folder / "forecast.html").is_file() else ""))


@handle_errors
def backtest_command(
    scenarios: Annotated[list[str], typer.Argument(help="Scenarios (folders or built-in names).")],
    as_of: Annotated[list[str] | None, typer.Option(
        "--as-of", help="Date to forecast from (repeatable; each scenario takes those inside "
        "its run). Default: every 3 days from 2 days after the caravan's departure.")] = None,
    runs: RunsOpt = 40,
    stages: StagesOpt = 2,
    include_fitted: Annotated[bool, typer.Option(
        help="Score observations marked fitted (they sized an input) too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    out: Annotated[Path | None, typer.Option(help="Also write the JSON to this file.")] = None,
    jobs: JobsOpt = None, scheduler: SchedulerOpt = None, seed: SeedOpt = None,
    worker_timeout: WorkerTimeoutOpt = 60.0,
) -> None:
    """Forecast from past dates and score against the counts that came later."""
    from corridor.analysis.backtest import backtest, format_table
    from corridor.analysis.forecast import parse_date
    from corridor.scenario import load_scenario

    dates = [parse_date(d) for d in as_of or []]
    loaded = [load_scenario(s) for s in scenarios]

    def say(text: str) -> None:
        if not as_json:
            typer.echo(text, err=True)

    with backend_for(jobs, scheduler, worker_timeout) as backend:
        result = backtest(loaded, dates or None, runs, stages, seed, backend, include_fitted,
                          say)
        result["backend"] = backend.describe()
    text = json.dumps(result, indent=2, allow_nan=False)
    if out is not None:
        from corridor.io.atomic import write_text

        write_text(out, text + "\n")
    if as_json:
        typer.echo(text)
    else:
        typer.echo(format_table(result))


def register(app: typer.Typer) -> None:
    """Add `corridor forecast` and `corridor backtest` to the app."""
    app.command("forecast")(forecast_command)
    app.command("backtest")(backtest_command)
