"""`--engine` on ensemble, sweep and calibrate; `auto` says which representation and why."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from corridor.cli.main import app
from corridor.cli.register import all_commands

pytest.importorskip("duckdb")
all_commands(app)


@pytest.fixture
def mali(shared_dir):
    return str(shared_dir / "flee-scenarios" / "mali2012" / "input")


def _engines(folder):
    return {json.loads(p.read_text())["engine"] for p in folder.glob("**/run.json")}


@pytest.mark.parametrize("engine", ["agents", "counts"])
def test_ensemble_members_use_the_engine_asked(mali, tmp_path, engine):
    out = tmp_path / "ens"
    res = CliRunner().invoke(app, ["ensemble", mali, "--runs", "2", "-j", "1", "--days", "8",
                                   "--engine", engine, "--no-report", "-q", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert _engines(out) == {engine}
    assert "engine: " not in res.stderr  # said only for auto


def test_sweep_members_use_the_engine_asked(mali, tmp_path):
    out = tmp_path / "sweep"
    res = CliRunner().invoke(app, ["sweep", mali, "--param", "camp_weight=4,5", "-j", "1",
                                   "--days", "8", "--engine", "counts", "-q", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert _engines(out) == {"counts"}


def test_calibrate_takes_the_engine(mali, tmp_path):
    pytest.importorskip("optuna")
    res = CliRunner().invoke(app, ["calibrate", mali, "--ranges", "camp_weight=3:6",
                                   "--trials", "2", "--check-runs", "1", "-j", "1", "--days",
                                   "8", "--engine", "bogus", "-q", "--out",
                                   str(tmp_path / "cal")])
    assert res.exit_code == 2 and "--engine" in res.stderr
    res = CliRunner().invoke(app, ["calibrate", mali, "--ranges", "camp_weight=3:6",
                                   "--trials", "2", "--check-runs", "1", "-j", "1", "--days",
                                   "8", "--engine", "counts", "-q", "--out",
                                   str(tmp_path / "cal")])
    assert res.exit_code == 0, res.output


def test_auto_says_what_it_chose_and_why(mali, tmp_path):
    res = CliRunner().invoke(app, ["run", mali, "--days", "5", "--no-report", "-q", "--out",
                                   str(tmp_path / "run")])
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("engine: ")]
    assert len(lines) == 1
    # Mali's UNHCR total peaks at 163,460 people (validation/refugees.csv): below auto's
    # threshold
    assert lines[0].startswith("engine: agents (about 163,460 people") and "fewer" in lines[0]
    tenth = CliRunner().invoke(app, ["run", mali, "--days", "2", "--no-report", "-q", "--out",
                                     str(tmp_path / "run10"), "--set", "hasten=10"])
    assert "engine: agents (about 16,346 people" in tenth.stderr
    assert json.loads((tmp_path / "run" / "run.json").read_text())["engine"] == "agents"
