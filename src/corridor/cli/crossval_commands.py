"""`corridor crossval`: leave-one-out validation of the caravan model (docs/validation.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.errors import handle_errors


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def format_table(result: dict) -> str:
    """Return the folds as text: one row per held-out caravan, then its transit days."""
    lines = ["held out          within ±25 %  in range  reached U.S. border  (out of sample)"]
    for fold in result["folds"]:
        lines.append(f"{fold['held_out']:<17} {_share(fold['within_25']):>12}  "
                     f"{_share(fold['within_range']):>8}  "
                     f"{_share(fold['reached_us_border_share']):>19}  "
                     f"n={fold['n_observations']}")
        for t in fold["transit_days"]:
            sim = "–" if t["simulated"] is None else f"{t['simulated']:.0f}"
            lines.append(f"    {t['kind'].replace('_arrival_days', '')} arrival at "
                         f"{t['place']}: observed {t['observed']:.0f} "
                         f"({t['low']:.0f}–{t['high']:.0f}) days, simulated {sim}")
    if result["in_sample"]:
        lines.append("")
        lines.append("in sample (joint fit on every caravan; the fitted data, not a prediction)")
        for row in result["in_sample"]:
            lines.append(f"{row['held_out']:<17} {_share(row['within_25']):>12}  "
                         f"{_share(row['within_range']):>8}")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add `corridor crossval` to the app."""

    @app.command("crossval")
    @handle_errors
    def crossval_command(
        scenarios: Annotated[list[str], typer.Argument(
            help="Caravan scenarios (built-in names or folders), at least two.")],
        refit: Annotated[bool, typer.Option(
            "--refit", help="Fit every fold anew (slow) instead of using the fits that ship "
            "with the scenarios.")] = False,
        trials: Annotated[int, typer.Option(min=1, help="Optuna trials per fit (--refit).")] = 60,
        seeds: Annotated[int, typer.Option(min=1, help="Seeds per run (1..N).")] = 2,
        engine: Annotated[str, typer.Option(help="agents, counts or auto.")] = "counts",
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        write_fits: Annotated[Path | None, typer.Option(
            help="With --refit: write the fits to this file (the format of "
            "scenarios/crossval.toml).")] = None,
    ) -> None:
        """Leave each caravan out: fit the general parameters on the others, score on it."""
        from corridor.analysis import crossval as cv

        def say(text: str) -> None:
            if not as_json:
                typer.echo(text, err=True)

        result = cv.crossval(scenarios, refit=refit, trials=trials,
                             seeds=list(range(1, seeds + 1)), engine=engine, progress=say)
        if refit and write_fits is not None:
            cv.write_fits(result, write_fits)
        if as_json:
            typer.echo(json.dumps(result, indent=2, allow_nan=False))
        else:
            typer.echo(format_table(result))
