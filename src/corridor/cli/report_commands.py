"""`corridor report`: the offline HTML report of a run (optionally against another run)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.errors import fail, handle_errors


def register(app: typer.Typer) -> None:
    """Add the report command to the app."""

    @app.command()
    @handle_errors
    def report(
        run_dir: Annotated[Path, typer.Argument(help="A run folder written by corridor run.")],
        compare: Annotated[Path | None, typer.Option(
            help="Another run folder to show side by side (a what-if).")] = None,
        out: Annotated[Path | None, typer.Option(help="Where to write the HTML.")] = None,
    ) -> None:
        """Write one self-contained HTML report (and PNG figures) of a run.

        RUN_DIR may also be an ensemble folder (corridor ensemble): the report then draws the
        members' quantile bands.
        """
        if (run_dir / "ensemble.json").is_file() and compare is None:  # corridor ensemble
            from corridor.report.bands import write_ensemble_report

            typer.echo(f"report: {write_ensemble_report(run_dir, out=out)}")
            return
        from corridor.io.rundir import require_complete

        for folder in (run_dir, compare):
            if folder is not None:
                require_complete(folder)
        try:
            from corridor.report import write_report
        except ImportError as err:
            fail(f"the report needs the 'report' extra ({err}); pip install 'corridor[report]'")
        path = write_report(run_dir, compare=compare, out=out)
        typer.echo(f"report: {path}")
