"""Command-line text: a typo in a rule id is reported with the closest valid id."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from corridor.cli.main import app
from corridor.cli.register import all_commands

all_commands(app)


def test_a_typo_in_without_names_the_closest_rule(tmp_path: Path) -> None:
    out = tmp_path / "typo"
    result = CliRunner().invoke(
        app, ["run", "caravan-2020", "--out", str(out), "--without", "mx-transit-denail"]
    )
    assert result.exit_code == 2
    assert "did you mean mx-transit-denial?" in result.output
    assert "--set" not in result.output and "us-mpp-laredo" not in result.output  # not all ids
    assert not out.exists()
