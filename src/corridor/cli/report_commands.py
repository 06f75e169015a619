"""`corridor report`: the offline HTML report of a run (optionally against another run)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.errors import fail, handle_errors


def _refuse_unfair(diffs: list, allow: bool, what: str) -> None:
    """Print every difference; exit 2 on set-up differences unless they are allowed."""
    from corridor.analysis.run_diff import confounders

    if diffs:
        typer.echo(f"differences between the two {what}:")
        for d in diffs:
            typer.echo(f"  {'*' if d.setup else ' '} {d}")
    else:
        typer.echo(f"the two {what} differ in nothing recorded in run.json")
    unfair = confounders(diffs)
    if unfair and not allow:
        fail(
            f"the {what} differ in more than the change tested "
            f"({', '.join(d.field for d in unfair)}"
            "; marked * above): their difference would mix that with the change. Run both with "
            "the same --seed and --days (and engine), or pass --allow-mismatch to compare anyway"
        )


def _whatif(a: Path, b: Path, allow: bool, out: Path | None) -> None:
    from corridor.analysis.whatif import ensemble_differences, paired_effects
    from corridor.report.html import Section, page

    _refuse_unfair(ensemble_differences(a, b), allow, "ensembles")
    effects = paired_effects(a, b)
    if not effects:
        fail(f"{a} and {b} have no member in common (members/<k>/summary.json)")
    head = ["state", "mean A", "mean B", "effect B − A (median)", "90 % band of the effect"]
    body = [
        [e.state, f"{e.mean_a:,.0f}", f"{e.mean_b:,.0f}", f"{e.median:+,.0f}",
         f"{e.low:+,.0f} to {e.high:+,.0f}"]
        for e in effects
    ]
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"what-if: {b.name} against {a.name}, {effects[0].pairs} paired members")
    for h in head:
        table.add_column(h, overflow="fold")
    for row in body:
        table.add_row(*row)
    Console().print(table)
    sec = Section("whatif", "Effect of the change, member by member")
    sec.text(
        f"Member k of {b.name} and member k of {a.name} draw from the same seed, so B_k − A_k "
        f"is the effect of the change on that draw. Over the {effects[0].pairs} pairs: the "
        "median effect on the number of people in each final state on the last day, and the "
        "band holding 90 % of the paired effects. A band that includes 0 is an effect the "
        "ensembles cannot tell from chance."
    )
    sec.table(head, body, numeric_from=1)
    path = out or a / f"whatif-vs-{b.name}.html"
    from corridor.io.atomic import write_text

    write_text(path, page(f"What-if: {b.name} against {a.name}", "", [], [sec], ""))
    typer.echo(f"report: {path}")


def register(app: typer.Typer) -> None:
    """Add the report command to the app."""

    @app.command()
    @handle_errors
    def report(
        run_dir: Annotated[Path, typer.Argument(help="A run folder written by corridor run.")],
        compare: Annotated[Path | None, typer.Option(
            help="Another run folder (or ensemble folder) to compare with: a what-if. Runs "
            "that differ in seed, days, start date, engine or model are refused.")] = None,
        allow_mismatch: Annotated[bool, typer.Option(
            "--allow-mismatch",
            help="Compare runs even if they differ in more than rules and parameters.")] = False,
        out: Annotated[Path | None, typer.Option(help="Where to write the HTML.")] = None,
    ) -> None:
        """Write one self-contained HTML report (and PNG figures) of a run.

        RUN_DIR may also be an ensemble folder (corridor ensemble): the report then draws the
        members' quantile bands; with --compare ANOTHER_ENSEMBLE (same seed), the effect of the
        change member by member, with its 90 % band.
        """
        from corridor.analysis.whatif import is_ensemble

        if is_ensemble(run_dir) and compare is None:  # corridor ensemble
            from corridor.cli.progress import report_progress
            from corridor.report.bands import write_ensemble_report

            with report_progress() as step:
                step("the ensemble's bands", 0, 1)
                path = write_ensemble_report(run_dir, out=out)
            typer.echo(f"report: {path}")
            return
        if compare is not None and is_ensemble(run_dir) and is_ensemble(compare):
            _whatif(run_dir, compare, allow_mismatch, out)
            return
        from corridor.io.rundir import require_complete

        for folder in (run_dir, compare):
            if folder is not None:
                require_complete(folder)
        if compare is not None:
            import json

            from corridor.analysis.run_diff import differences

            runs = [json.loads((f / "run.json").read_text(encoding="utf-8"))
                    for f in (run_dir, compare)]
            _refuse_unfair(differences(*runs), allow_mismatch, "runs")
        try:
            from corridor.report import write_report
        except ImportError as err:
            fail(f"the report needs the 'report' extra ({err}); pip install 'corridor[report]'")
        from corridor.cli.progress import report_progress

        started = time.perf_counter()
        with report_progress() as step:
            path = write_report(run_dir, compare=compare, out=out, progress=step)
        typer.echo(f"report: {path} ({time.perf_counter() - started:.1f} s)")
