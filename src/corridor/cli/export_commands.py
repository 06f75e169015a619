"""`corridor export RUN --format FORMAT`: a run's results in another program's format.

`FORMATS` maps a format name to a writer `(run_dir, dest) -> Path`, imported only when used.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.errors import fail, handle_errors

# format → (module, function, default file name); the function is `writer(run_dir, dest)`.
FORMATS: dict[str, tuple[str, str, str]] = {
    "flee": ("corridor.flee.outcsv", "export_flee", "out.csv"),
}


def register(app: typer.Typer) -> None:
    """Add `corridor export` to the app."""

    @app.command("export")
    @handle_errors
    def export(
        run_dir: Annotated[Path, typer.Argument(help="A run folder (corridor run --out DIR).")],
        format_: Annotated[str, typer.Option("--format", help="Output format: "
                                             + ", ".join(FORMATS) + ".")] = "flee",
        out: Annotated[Path | None, typer.Option(
            help="File or folder to write (default: inside the run folder).")] = None,
    ) -> None:
        """Write a run's results in another program's format (flee: Flee 3.1's out.csv)."""
        if format_ not in FORMATS:
            fail(f"--format {format_}: unknown format; expected one of {', '.join(FORMATS)}")
        if not (run_dir / "run.json").is_file():
            fail(f"{run_dir} is not a run folder (no run.json); write one with "
                 f"`corridor run --out {run_dir}`")
        module, function, default = FORMATS[format_]
        writer = getattr(importlib.import_module(module), function)
        path = writer(run_dir, out if out is not None else run_dir / default)
        typer.echo(f"wrote {path}")
