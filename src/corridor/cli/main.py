"""`corridor` commands: run, check, scenarios (and those registered by other modules)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.errors import handle_errors
from corridor.cli.help_text import install as _friendly_help
from corridor.cli.progress import day_progress

_friendly_help()

app = typer.Typer(
    name="corridor",
    help="Simulate, explain and check migration flows under dated border and asylum policies.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from corridor import __version__

        typer.echo(f"corridor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print the version of corridor and exit.")] = False,
) -> None:
    """Simulate, explain and check migration flows under dated border and asylum policies."""

DEFAULT_SCENARIO = "caravan-2020"

ScenarioArg = Annotated[str, typer.Argument(help="A scenario folder or a built-in name.")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", help="Override a setting: NAME=VALUE (repeatable), e.g. walk_speed_km=30, "
    "rules.<id>.enabled=false.")]


@app.command()
@handle_errors
def run(
    scenario: Annotated[str, typer.Argument(help="A scenario folder or a built-in name.")]
    = DEFAULT_SCENARIO,
    out: Annotated[Path | None, typer.Option(help="Folder for the results (default: "
        "results/<scenario>, or results/<scenario>-<what-if> with --without, --set, --params, "
        "--days or --seed).")] = None,
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace the run already in the output folder.")] = False,
    seed: Annotated[int | None, typer.Option(
        min=0, max=2**63 - 1, help="Seed (default: the scenario's).")] = None,
    days: Annotated[int | None, typer.Option(
        help="Number of days to run (departures after them are left out, with a note).")]
    = None,
    set_: SetOpt = None,
    params: Annotated[Path | None, typer.Option(
        "--params", help="A TOML file of NAME = value settings (as written by corridor "
        "calibrate --write-params), applied before --set.")] = None,
    without: Annotated[list[str] | None, typer.Option(
        "--without", help="Disable a rule by id (repeatable).")] = None,
    engine: Annotated[str, typer.Option(
        help="Representation of people: agents, counts, or auto (counts for large runs).")]
    = "auto",
    report: Annotated[bool, typer.Option(help="Write report.html and figures.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    flee_validation: Annotated[Path | None, typer.Option(
        help="With a Flee input folder: its validation folder.")] = None,
    flee_settings: Annotated[Path | None, typer.Option(
        help="With a Flee input folder: its simsetting.yml.")] = None,
) -> None:
    """Run a scenario and write daily counts, flows, summary and run metadata to a folder.

    SCENARIO may also be a Flee input folder (locations.csv, routes.csv, ...).
    """
    from corridor.api import run as run_scenario
    from corridor.scenario import load_scenario

    settings = list(set_ or [])
    if params is not None:
        from corridor.analysis.params import read_params

        settings = read_params(params) + settings
    if days is not None:
        settings += [f"days={days}", "drop_late_departures=true"]
    settings += [f"rules.{rule}.enabled=false" for rule in (without or [])]
    from corridor.flee.convert import is_flee_input, load_flee

    if flee_validation or flee_settings or is_flee_input(scenario):
        sc = load_flee(scenario, flee_validation, flee_settings, settings)
    else:
        if without:
            _check_rule_ids(scenario, without)
        sc = load_scenario(scenario, settings)
    _note_dropped(sc)
    folder = out or default_folder(sc.name, set_, params, without, days, seed)
    finish = (lambda stage: _write_report(stage, staged_as=folder, quiet=quiet)) if report \
        else None
    from corridor.engine.kernel_cache import cold_kernels
    from corridor.engine.simulation import engine_choice

    chosen, why = engine_choice(sc, engine)
    if engine == "auto":  # say which representation and why (stderr: stdout stays the result)
        typer.echo(f"engine: {chosen} ({why})", err=True)
    if cold_kernels(sc.config.model, chosen, rules=bool(sc.rules)):
        typer.echo("compiling the simulation kernels (first run after an install or an "
                   "update; 10-30 s, cached for later runs)...", err=True)
    with day_progress(sc.config.days, f"running {sc.name}", enabled=not quiet) as update:
        result = run_scenario(sc, seed=seed, out=folder, engine=engine, progress=update,
                              overwrite=overwrite, finish=finish)
    summary = result.summary
    typer.echo(f"{sc.name}: {summary['departed']:,} people over {summary['days']} days "
               f"in {result.metadata['wall_time_s']:.2f} s (seed {result.metadata['seed']})")
    for state, count in sorted(summary["by_state"].items(), key=lambda kv: -kv[1]):
        typer.echo(f"  {state:<22} {count:>10,}")
    if report and (folder / "report.html").is_file():
        typer.echo(f"report: {folder / 'report.html'}")
    typer.echo(f"results in {folder}")


def default_folder(name: str, settings: list[str] | None = None, params: Path | None = None,
                   without: list[str] | None = None, days: int | None = None,
                   seed: int | None = None) -> Path:
    """Return where a run goes without `--out`: `results/<scenario>`, or its own what-if folder.

    A what-if never lands in the plain run's folder: each change is part of the name, e.g.
    `results/caravan-2020-without-mx-transit-denial`, `results/caravan-2020-set-walk_speed_km=30`
    (characters other than letters, digits and `._=+-` become `_`; a name over 120 characters
    is cut and ends with a digest of the whole).
    """
    import hashlib
    import re

    parts = [f"without-{r}" for r in without or []]
    parts += [f"set-{s}" for s in settings or []]
    if params is not None:
        parts.append(f"params-{Path(params).stem}")
    if days is not None:
        parts.append(f"days-{days}")
    if seed is not None:
        parts.append(f"seed-{seed}")
    text = re.sub(r"[^A-Za-z0-9._=+-]", "_", "-".join([name, *parts])).lstrip(".")
    if len(text) > 120:
        text = text[:111] + "-" + hashlib.sha256(text.encode()).hexdigest()[:8]
    return Path("results") / text


def _note_dropped(sc) -> None:
    """Say which departures a shortened run leaves out (`--days`, `drop_late_departures`)."""
    from corridor.scenario.load import departures_outside, describe_departures

    _, late = departures_outside(sc)
    if late:
        typer.secho(f"note: {describe_departures(late)} fall after the end of the run "
                    f"({sc.config.end_date}) and are left out", err=True, fg="yellow")


def _write_report(folder: Path, compare: Path | None = None,
                  staged_as: Path | None = None, quiet: bool = False) -> Path | None:
    try:
        from corridor.report import write_report
    except ImportError as err:
        typer.secho(f"no report: the report extra is not installed ({err}); "
                    "pip install 'corridor[report]'", err=True, fg="yellow")
        return None
    from corridor.cli.progress import report_progress

    with report_progress(enabled=not quiet) as step:
        path = write_report(folder, compare=compare, staged_as=staged_as, progress=step)
    if staged_as is not None:
        return path
    typer.echo(f"report: {path}")
    return path


@app.command()
@handle_errors
def check(scenario: ScenarioArg, set_: SetOpt = None) -> None:
    """Validate a scenario and print a short summary."""
    from corridor.engine.network import Network
    from corridor.scenario import load_scenario

    sc = load_scenario(scenario, list(set_ or []))
    net = Network.from_scenario(sc)
    cfg = sc.config
    typer.echo(f"{cfg.name}: ok — {cfg.description}".rstrip(" —"))
    typer.echo(f"  period      {cfg.start_date} to {cfg.end_date} ({cfg.days} days), "
               f"model {cfg.model}, seed {cfg.seed}")
    typer.echo(f"  network     {net.n_places} places in {len(net.countries)} countries "
               f"({', '.join(net.countries)}), {len(sc.routes)} routes")
    if sc.departures:
        total = sum(d.count for d in sc.departures)
        typer.echo(f"  departures  {total:,} people in {len(sc.departures)} groups")
    typer.echo(f"  rules       {len(sc.rules)}")
    typer.echo(f"  observations {len(sc.observations)}")
    from corridor.engine.movement import pace_warnings
    from corridor.rules.reach import reach_warnings, scope_warnings

    for warning in scope_warnings(sc) + reach_warnings(sc, net) + pace_warnings(sc):
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)


@app.command()
@handle_errors
def scenarios(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the built-in scenarios."""
    from corridor.scenario.load import builtin_dir, builtin_names, read_toml

    rows = []
    for name in builtin_names():
        data = read_toml((builtin_dir() / name / "scenario.toml").read_text("utf-8"),
                         "scenario.toml", [])
        rows.append({"name": name, "description": data.get("description", ""),
                     "start_date": str(data.get("start_date", "")), "days": data.get("days")})
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        default = " (default)" if row["name"] == DEFAULT_SCENARIO else ""
        typer.echo(f"{row['name']}{default}: {row['description']} — from {row['start_date']}, "
                   f"{row['days']} days")


def _check_rule_ids(scenario: str, without: list[str]) -> None:
    """Exit 2 naming the closest rule id when a `--without` id is not a rule of the scenario."""
    import difflib

    from corridor.cli.errors import fail
    from corridor.scenario import load_scenario

    ids = [r.id for r in load_scenario(scenario).rules]
    for rule in without:
        if rule not in ids:
            near = difflib.get_close_matches(rule, ids, n=1, cutoff=0.5)
            hint = f"; did you mean {near[0]}?" if near else ""
            fail(f"--without {rule}: the scenario has no rule {rule!r}{hint} "
                 "(corridor rules SCENARIO lists them)")


def main() -> None:
    """Entry point of the `corridor` command."""
    from corridor.cli import register
    from corridor.cli.errors import quiet_broken_pipe

    register.all_commands(app)
    try:
        try:
            app(prog_name="corridor")
        finally:
            sys.stdout.flush()
    except BrokenPipeError:
        quiet_broken_pipe()
    sys.exit(0)


if __name__ == "__main__":
    main()
