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
        """Write one self-contained HTML report (and PNG figures) of a run."""
        for folder in (run_dir, compare):
            if folder is not None and not (folder / "run.json").is_file():
                fail(f"{folder} is not a run folder (no run.json); write one with corridor run")
        try:
            from corridor.report import write_report
        except ImportError as err:
            fail(f"the report needs the 'report' extra ({err}); pip install 'corridor[report]'")
        path = write_report(run_dir, compare=compare, out=out)
        typer.echo(f"report: {path}")
