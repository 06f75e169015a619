"""`corridor export`: a run's tables in another format, optionally for one cohort.

Formats are a registry (`FORMATS`): a name, what it writes, and a writer taking the run folder,
the cohort (or None) and the output folder. Adding a format is one entry (`flee` writes Flee
3.1's out.csv, for FabFlee's plotting and analysis scripts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.errors import fail, handle_errors

TABLES = ("daily", "flows", "transitions", "outcomes")


@dataclass(frozen=True)
class Format:
    """An export format: what it writes, and the function that writes it."""

    description: str
    write: Callable[[Path, str | None, Path], list[Path]]


def _tables(run_dir: Path, cohort: str | None) -> dict[str, object]:
    """The run's tables (pyarrow), restricted to one cohort where the table says the cohort."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    out: dict[str, object] = {}
    for name in TABLES:
        path = run_dir / f"{name}.parquet"
        if not path.is_file():
            continue
        table = pq.read_table(path)
        if cohort is not None:
            if "cohort" not in table.column_names:
                continue  # a run written before tables had a cohort column
            table = table.filter(pc.equal(table.column("cohort"), cohort))
        out[name] = table
    return out


def _write_csv(run_dir: Path, cohort: str | None, out: Path) -> list[Path]:
    import pyarrow.csv as pcsv

    from corridor.io.atomic import temp_path

    paths = []
    for name, table in _tables(run_dir, cohort).items():
        path = out / f"{name}.csv"
        pcsv.write_csv(table, temp_path(path))
        temp_path(path).replace(path)
        paths.append(path)
    return paths


def _write_parquet(run_dir: Path, cohort: str | None, out: Path) -> list[Path]:
    from corridor.io.atomic import write_parquet

    paths = []
    for name, table in _tables(run_dir, cohort).items():
        write_parquet(out / f"{name}.parquet", table)
        paths.append(out / f"{name}.parquet")
    return paths


def _write_flee(run_dir: Path, cohort: str | None, out: Path) -> list[Path]:
    from corridor.flee.outcsv import export_flee

    if cohort is not None:
        fail("--format flee writes the whole run (Flee's out.csv has no cohorts); drop --cohort")
    return [export_flee(run_dir, out / "out.csv")]


FORMATS: dict[str, Format] = {
    "csv": Format("one CSV file per table (header row, UTF-8)", _write_csv),
    "parquet": Format("one Parquet file per table", _write_parquet),
    "flee": Format("Flee 3.1's out.csv (same columns and location names)", _write_flee),
}


def register(app: typer.Typer) -> None:
    """Add the export command to the app."""

    @app.command()
    @handle_errors
    def export(
        run_dir: Annotated[Path, typer.Argument(help="A run folder written by corridor run.")],
        format_: Annotated[
            str, typer.Option("--format", help=f"Output format: {', '.join(FORMATS)}.")
        ] = "csv",
        cohort: Annotated[
            str | None,
            typer.Option(
                help="Only the people of this cohort (the cohort column of departures.csv), "
                "e.g. caravan."
            ),
        ] = None,
        out: Annotated[
            Path | None,
            typer.Option(help="Folder to write to (default: RUN_DIR/export-FORMAT[-COHORT])."),
        ] = None,
    ) -> None:
        """Write a run's tables in another format, for spreadsheets and other tools."""
        fmt = FORMATS.get(format_)
        if fmt is None:
            import difflib

            near = difflib.get_close_matches(format_, FORMATS, n=1)
            hint = f"; did you mean {near[0]}?" if near else ""
            fail(f"--format {format_!r} is not a format{hint} (formats: {', '.join(FORMATS)})")
        from corridor.io.rundir import require_complete

        require_complete(run_dir)  # a run folder, and a complete one
        if cohort is not None:
            found = _tables(run_dir, cohort).get("outcomes")
            if found is None or found.num_rows == 0:
                import pyarrow.parquet as pq

                outcomes = pq.read_table(run_dir / "outcomes.parquet")
                column = "cohort" if "cohort" in outcomes.column_names else None
                names = sorted(set(outcomes.column(column).to_pylist())) if column else []
                fail(
                    f"no person of cohort {cohort!r} in {run_dir}/outcomes.parquet (cohorts: "
                    f"{', '.join(n for n in names if n) or 'none'})"
                )
        folder = out or run_dir / f"export-{format_}{'-' + cohort if cohort else ''}"
        folder.mkdir(parents=True, exist_ok=True)
        for path in fmt.write(run_dir, cohort, folder):
            typer.echo(f"wrote {path}")
