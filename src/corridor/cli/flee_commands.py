"""`corridor import-flee`: convert a Flee scenario into a Corridor scenario folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from corridor.cli.errors import handle_errors


def _countries(pairs: list[str] | None) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        if "=" not in pair:
            from corridor.errors import Problem, ScenarioError

            raise ScenarioError([Problem("--country", None, pair, "expected NAME=CODE, e.g. "
                                         "Narnia=XN")])
        name, code = pair.split("=", 1)
        out[name.strip()] = code.strip().upper()
    return out


@handle_errors
def import_flee_command(
    input_dir: Annotated[Path, typer.Argument(help="Flee's input folder (locations.csv, ...).")],
    validation_dir: Annotated[Path, typer.Argument(help="Flee's validation folder "
                                                   "(data_layout.csv, ...).")],
    out: Annotated[Path, typer.Option(help="The Corridor scenario folder to write.")],
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace a scenario already in the output folder.")] = False,
    settings: Annotated[Path | None, typer.Option(
        help="Flee's simsetting.yml (default: beside the input folder).")] = None,
    name: Annotated[str | None, typer.Option(help="Scenario name (default: the folder's).")]
    = None,
    country: Annotated[list[str] | None, typer.Option(
        help="Country name → ISO code for names Corridor does not know: NAME=CODE "
        "(repeatable).")] = None,
    compat: Annotated[str, typer.Option(
        help="flee-3.1: do what Flee 3.1's code does (default); documented: follow Flee's "
        "documentation where the two differ (docs/flee-compatibility.md, section 7).")]
    = "flee-3.1",
) -> None:
    """Convert a Flee scenario (input, validation, simsetting.yml) to a Corridor scenario."""
    from corridor.flee.compat import COMPAT_CHOICES
    from corridor.flee.convert import READING, import_flee

    if compat not in COMPAT_CHOICES:
        from corridor.errors import Problem, ScenarioError

        raise ScenarioError([Problem("--compat", None, compat, "expected flee-3.1 or "
                                     "documented")])
    folder, notes = import_flee(input_dir, validation_dir, out, settings, name,
                                _countries(country), compat, overwrite)
    typer.echo(f"wrote {folder} (compat = \"{compat}\")")
    readings = [n[len(READING):] for n in notes if n.startswith(READING)]
    other = "documented" if compat == "flee-3.1" else "flee-3.1"
    if readings:
        typer.echo(f"  read as {compat}; these differ with --compat {other}:")
        for line in readings:
            typer.echo(f"  - {line}")
    else:
        typer.echo(f"  --compat {other} would give the same model (nothing this scenario uses "
                   "is read differently)")
    for note in notes:
        if not note.startswith(READING):
            typer.echo(f"  note: {note}")


def register(app: typer.Typer) -> None:
    """Add the Flee commands to the main app."""
    app.command("import-flee")(import_flee_command)
