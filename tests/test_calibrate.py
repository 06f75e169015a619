"""Calibration with optuna: it finds the value that made synthetic observations, and resumes."""

import json

import numpy as np
import pytest
from conftest import write_scenario
from typer.testing import CliRunner

from corridor.analysis.metrics import MemberRun
from corridor.analysis.params import read_params, write_params
from corridor.api import run
from corridor.cli.main import app
from corridor.cli.register import all_commands
from corridor.scenario import load_scenario

pytest.importorskip("optuna")
pytest.importorskip("duckdb")

from corridor.analysis.backends import InlineBackend  # noqa: E402
from corridor.analysis.calibrate import run_calibration  # noqa: E402
from corridor.analysis.factors import resolve_factors  # noqa: E402

all_commands(app)
SETTINGS = ["days=8", "ride_chance=0"]
TRUTH, SEED = 33.0, 5
DRAFT = """period_start,period_end,place,kind,value
2020-01-07,2020-01-07,Delta,present,1
2020-01-08,2020-01-08,Delta,present,1
2020-01-08,2020-01-08,Echo,present,1
2020-01-01,2020-01-07,Delta,arrived,1
2020-01-01,2020-01-08,Echo,arrived,1
"""


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """The tiny scenario with observations made by a run with walk_speed_km = 33."""
    base = tmp_path_factory.mktemp("cal")
    draft = load_scenario(write_scenario(base / "draft", observations_csv=DRAFT), SETTINGS)
    truth = draft.replace(parameters=None).replace(
        config=draft.config.model_copy(update={"parameters": {
            **draft.config.parameters, "walk_speed_km": TRUTH}}))
    child = np.random.SeedSequence(SEED).spawn(1)[0]
    result = run(truth, seed=SEED, out=base / "truth", seed_sequence=child, member=0)
    values = MemberRun(truth, base / "truth", result.summary).observation_values()
    assert all(v is not None for v in values) and len(set(values)) >= 2
    lines = DRAFT.strip().split("\n")
    observed = "\n".join([lines[0]] + [line.rsplit(",", 1)[0] + f",{v:g}"
                                       for line, v in zip(lines[1:], values, strict=True)])
    return load_scenario(write_scenario(base / "obs", observations_csv=observed + "\n"),
                         SETTINGS)


def test_calibration_recovers_the_parameter_and_resumes(scenario, tmp_path):
    factors = resolve_factors(scenario, ["walk_speed_km=15:60"])
    res = run_calibration(scenario, factors, tmp_path, trials=14, check_runs=3, seed=SEED,
                          backend=InlineBackend())
    rep = res.report
    assert rep["trials"] == 14 and rep["objective"] == "mean_abs_log_error"
    assert abs(res.best_params["walk_speed_km"] - TRUTH) < 6
    assert rep["best"]["value"] < 0.2
    spread = rep["spread"]["walk_speed_km"]
    assert 15 <= spread["min"] <= res.best_params["walk_speed_km"] <= spread["max"] <= 60
    assert rep["check"]["done"] == 3 and len(rep["check"]["score"]["observations"]) == 5
    base = rep["baseline"]  # the scenario's own walking speed on the same check seeds
    assert base["params"] == {"walk_speed_km": 30} and base["done"] == 3
    assert len(base["score"]["observations"]) == 5
    assert set(base["outputs"]) == set(rep["check"]["outputs"])
    assert json.loads((tmp_path / "calibration.json").read_text())["trials"] == 14
    import optuna

    study = optuna.load_study(study_name=rep["study"],
                              storage=f"sqlite:///{tmp_path / 'optuna.db'}")
    first = [t.number for t in study.trials]
    more = run_calibration(scenario, factors, tmp_path, trials=16, check_runs=0, seed=SEED,
                           backend=InlineBackend())
    assert more.report["trials"] == 16
    study = optuna.load_study(study_name=rep["study"],
                              storage=f"sqlite:///{tmp_path / 'optuna.db'}")
    assert [t.number for t in study.trials][:len(first)] == first
    assert len(study.trials) == 16


def test_cli_calibrate_writes_params_that_run_accepts(scenario, tmp_path):
    cli = CliRunner()
    params = tmp_path / "fitted.toml"
    res = cli.invoke(app, ["calibrate", str(scenario.path), *sum((["--set", s] for s in
                                                                  SETTINGS), []),
                           "--ranges", "walk_speed_km=15:60", "--ranges", "softening_km=5:20",
                           "--trials", "6", "--check-runs", "2", "-j", "1",
                           "--out", str(tmp_path / "cal"), "--write-params", str(params), "-q"])
    assert res.exit_code == 0, res.output
    assert "fitted parameters" in res.output and "walk_speed_km" in res.output
    fitted = dict(s.split("=", 1) for s in read_params(params))
    assert set(fitted) == {"walk_speed_km", "softening_km"}
    res = cli.invoke(app, ["run", str(scenario.path), "--params", str(params), "--days", "3",
                           "--out", str(tmp_path / "run"), "--no-report", "-q"])
    assert res.exit_code == 0, res.output
    used = json.loads((tmp_path / "run" / "run.json").read_text())["parameters"]
    assert used["walk_speed_km"] == pytest.approx(float(fitted["walk_speed_km"]))
    res = cli.invoke(app, ["calibrate", str(scenario.path), "--ranges", "walk_speed_km=60:15",
                           "-j", "1", "--out", str(tmp_path / "bad"), "-q"])
    assert res.exit_code == 2 and "lower bound" in res.output and "--ranges" in res.output


def test_calibrate_params_is_a_deprecated_name_of_ranges(scenario, tmp_path):
    cli = CliRunner()
    # the old name still reaches the same check of the range, with a one-line note on stderr
    res = cli.invoke(app, ["calibrate", str(scenario.path), "--params", "walk_speed_km=60:15",
                           "-j", "1", "--out", str(tmp_path / "bad"), "-q"])
    assert res.exit_code == 2 and "lower bound" in res.stderr
    notes = [line for line in res.stderr.splitlines() if "deprecated" in line]
    assert len(notes) == 1 and "--ranges" in notes[0]
    res = cli.invoke(app, ["calibrate", str(scenario.path), "--ranges", "walk_speed_km=60:15",
                           "-j", "1", "--out", str(tmp_path / "bad"), "-q"])
    assert "deprecated" not in res.stderr
    # nothing to fit: a message naming the option, not a traceback
    res = cli.invoke(app, ["calibrate", str(scenario.path), "-j", "1", "-q"])
    assert res.exit_code == 2 and "--ranges NAME=lo:hi" in res.stderr
    # --help names --ranges and hides the old name
    res = cli.invoke(app, ["calibrate", "--help"], env={"COLUMNS": "80"})
    options = [line.strip("│ ").split()[0] for line in res.output.splitlines()
               if line.strip("│ ").startswith("--")]
    assert "--ranges" in options and "--params" not in options


def test_params_files_round_trip_dotted_names(tmp_path):
    path = write_params(tmp_path / "p.toml", {"walk_speed_km": 31.5,
                                              "move_chance.town": 0.25,
                                              "rules.mx-bus.enabled": False}, ["a header"])
    assert read_params(path) == ["walk_speed_km=31.5", "move_chance.town=0.25",
                                 "rules.mx-bus.enabled=false"]
    (tmp_path / "q.toml").write_text("[move_chance]\ntown = 0.5\n")
    assert read_params(tmp_path / "q.toml") == ["move_chance.town=0.5"]
