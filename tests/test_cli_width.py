"""The command line fits an 80-column terminal, and its help is written for people."""

import re

import click
import pytest
import typer
from typer.testing import CliRunner

from corridor.cli.main import app
from corridor.cli.register import all_commands

all_commands(app)
COMMANDS = sorted(typer.main.get_command(app).commands)
TYPE_NAMES = re.compile(r"<(bool|str|int|float|path|list\[[^\]]*\]|Path)>")


def _widest(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_is_for_people_and_fits_80_columns(command: str) -> None:
    res = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert not TYPE_NAMES.search(res.output), TYPE_NAMES.search(res.output).group(0)
    assert _widest(res.output) <= 80
    cmd = typer.main.get_command(app).commands[command]
    bare = [p.opts[0] for p in cmd.params
            if isinstance(p, click.Option) and not p.hidden and not (p.help or "").strip()]
    assert not bare, f"{command}: options without a description: {bare}"


def test_rules_table_fits_80_columns() -> None:
    res = CliRunner().invoke(app, ["rules", "caravan-2020", "--on", "2020-02-01"],
                             env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert "mx-transit-denial" in res.output  # ids stay whole: they are typed into --without
    assert _widest(res.output) <= 80, max(res.output.splitlines(), key=len)


def test_explain_fits_80_columns() -> None:
    res = CliRunner().invoke(app, ["explain", "caravan-2020", "--route", "Tecún Umán>Tapachula",
                                   "--date", "2020-01-20"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert _widest(res.output) <= 80, max(res.output.splitlines(), key=len)
