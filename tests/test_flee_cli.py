"""The Flee commands: import-flee, run on a Flee folder, score with ARD."""

from __future__ import annotations

import json

import pytest
from test_flee_files import TINY, write_tiny
from typer.testing import CliRunner

from corridor.analysis.ard import ard
from corridor.cli.main import app
from corridor.cli.register import all_commands
from corridor.engine.simulation import Simulation
from corridor.flee.convert import load_flee
from corridor.scenario import load_scenario

all_commands(app)

TINY_SCENARIO = {
    **TINY,
    "validation/refugees.csv": "Date,count\n2020-01-01,100\n2020-01-06,1100\n",
    "validation/z.csv": "2020-01-01,10\n2020-01-06,400\n",
}


@pytest.fixture
def cli():
    return CliRunner()


def test_import_flee_writes_a_scenario_that_loads(cli, tmp_path):
    write_tiny(tmp_path, TINY_SCENARIO)
    out = tmp_path / "imported"
    res = cli.invoke(app, ["import-flee", str(tmp_path / "input"), str(tmp_path / "validation"),
                           "--out", str(out), "--country", "Homeland=XH",
                           "--country", "Neighbour=XN"])
    assert res.exit_code == 0, res.output
    sc = load_scenario(out)
    assert sc.config.model == "flee" and sc.config.days == 6
    assert [(p.id, p.kind, p.country) for p in sc.places][:3] == [
        ("a", "conflict_zone", "XH"), ("b", "town", "XH"), ("c", "town", "XH")]
    assert sc.parameters.camp_weight == 2.0
    closures = (out / "closures.csv").read_text().splitlines()
    assert closures[1] == "country,XH,XN,2020-01-01,2020-01-04"
    conflicts = (out / "conflicts.csv").read_text().splitlines()
    assert "2020-01-03,c,1" in conflicts and "2019-12-31,a,1" in conflicts


def test_import_flee_unknown_country_is_a_clear_error(cli, tmp_path):
    write_tiny(tmp_path, TINY_SCENARIO)
    res = cli.invoke(app, ["import-flee", str(tmp_path / "input"), str(tmp_path / "validation"),
                           "--out", str(tmp_path / "x")])
    assert res.exit_code == 2
    assert "locations.csv, row 2, field 'country'" in res.output
    assert "Traceback" not in res.output


def test_run_a_flee_folder_and_score_its_ard(cli, tmp_path):
    named = {k: v.replace("Homeland", "Mali").replace("Neighbour", "Niger")
             for k, v in TINY_SCENARIO.items() if k.startswith("input/")}
    write_tiny(tmp_path, {**TINY_SCENARIO, **named})
    out = tmp_path / "run"
    res = cli.invoke(app, ["run", str(tmp_path / "input"), "--flee-settings",
                           str(tmp_path / "simsetting.yml"), "--out", str(out), "--no-report",
                           "-q", "--seed", "4"])
    assert res.exit_code == 0, res.output
    scored = cli.invoke(app, ["score", str(out), "--json"])
    assert scored.exit_code == 0, scored.output
    value = json.loads(scored.output)["ard"]
    sc = load_flee(tmp_path / "input", tmp_path / "validation", tmp_path / "simsetting.yml")
    sim = Simulation(sc, seed=4)
    sim.run()
    assert value == pytest.approx(ard(sim.model.camp_counts, sim.model.camp_observed()))
