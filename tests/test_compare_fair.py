"""`corridor report A --compare B` states every difference and refuses an unfair what-if."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from corridor.analysis.run_diff import confounders, differences
from corridor.cli.main import app
from corridor.cli.register import all_commands

all_commands(app)

BASE = {
    "run_id": "x",
    "scenario": "caravan-2020",
    "scenario_digest": "abc",
    "seed": 7,
    "days": 120,
    "start_date": "2019-11-21",
    "engine": "agents",
    "model": "corridor",
    "corridor_version": "0.1.0",
    "parameters": {"walk_speed_km": 35.0},
    "rules": ["r1", "r2"],
    "complete": True,
}


def test_every_difference_is_listed_and_setup_ones_are_confounders() -> None:
    b = {**BASE, "seed": 8, "days": 144, "parameters": {"walk_speed_km": 30.0}, "rules": ["r1"]}
    diffs = {d.field: d for d in differences(BASE, b)}
    assert set(diffs) == {
        "seed",
        "days",
        "parameters.walk_speed_km",
        "rules applied only in one run",
    }
    assert {d.field for d in confounders(list(diffs.values()))} == {"seed", "days"}
    assert diffs["rules applied only in one run"].a == "r2"
    assert differences(BASE, dict(BASE)) == []


def _folder(path: Path, run: dict) -> Path:
    path.mkdir(parents=True)
    (path / "run.json").write_text(json.dumps({**run, "complete": True}))
    return path


def test_cli_refuses_mismatched_runs_with_the_list(tmp_path: Path) -> None:
    a = _folder(tmp_path / "a", BASE)
    b = _folder(tmp_path / "b", {**BASE, "seed": 20200115, "days": 144, "rules": ["r1"]})
    result = CliRunner().invoke(app, ["report", str(a), "--compare", str(b)])
    assert result.exit_code == 2
    out = result.output
    assert "seed: 7 vs 20200115" in out and "days: 120 vs 144" in out
    assert "--allow-mismatch" in out


@pytest.mark.parametrize("change", [{"rules": ["r1"]}, {"parameters": {"walk_speed_km": 3.0}}])
def test_a_fair_what_if_is_not_refused(tmp_path: Path, change: dict) -> None:
    assert confounders(differences(BASE, {**BASE, **change})) == []


def test_version_and_export(tmp_path: Path) -> None:
    """`--version` prints the package version; `export` writes CSV of one cohort."""
    import csv

    import corridor

    runner = CliRunner()
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"corridor {corridor.__version__}"
    run = tmp_path / "run"
    corridor.run("caravan-2020", seed=3, out=run, engine="counts")
    result = runner.invoke(app, ["export", str(run), "--format", "csv", "--cohort", "caravan"])
    assert result.exit_code == 0, result.output
    with (run / "export-csv-caravan" / "outcomes.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert {r["cohort"] for r in rows} == {"caravan"}
    with (run / "scenario" / "departures.csv").open() as fh:
        caravan = sum(int(r["count"]) for r in csv.DictReader(fh) if r["cohort"] == "caravan")
    assert sum(int(r["count"]) for r in rows) == caravan
    bad = runner.invoke(app, ["export", str(run), "--format", "csvv"])
    assert bad.exit_code == 2 and "did you mean csv" in bad.output
