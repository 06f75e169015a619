"""Sensitivity analysis with SALib: a parameter without effect gets indices of zero."""

import json

import pyarrow.parquet as pq
import pytest
from conftest import write_scenario
from typer.testing import CliRunner

from corridor.cli.main import app
from corridor.cli.register import all_commands
from corridor.scenario import load_scenario

pytest.importorskip("SALib")
pytest.importorskip("duckdb")

from corridor.analysis.backends import InlineBackend  # noqa: E402
from corridor.analysis.factors import resolve_factors  # noqa: E402
from corridor.analysis.sensitivity import run_sensitivity  # noqa: E402

all_commands(app)
# without rides, the ride speed changes nothing; the walking speed decides who arrives by day 8
SETTINGS = ["days=8", "ride_chance=0"]
PARAMS = ["walk_speed_km=20:50", "ride_speed_km=100:300"]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return load_scenario(write_scenario(tmp_path_factory.mktemp("s") / "tiny"), SETTINGS)


def test_sobol_indices_single_out_the_parameter_that_matters(scenario, tmp_path):
    factors = resolve_factors(scenario, PARAMS)
    res = run_sensitivity(scenario, factors, ("arrived",), tmp_path, "sobol", samples=8,
                          seed=1, backend=InlineBackend())
    ind = res.indices["arrived"]
    assert ind["ST"][1] == 0 and ind["S1"][1] == 0
    assert ind["ST"][0] > 0.5
    assert len(pq.read_table(tmp_path / "samples.parquet")) == 8 * (2 + 2)
    saved = json.loads((tmp_path / "sensitivity.json").read_text())
    assert saved["indices"]["arrived"]["ST"] == pytest.approx(ind["ST"])
    assert (tmp_path / "sensitivity-arrived.png").stat().st_size > 5000
    again = run_sensitivity(scenario, factors, ("arrived",), tmp_path, "sobol", samples=8,
                            seed=1, backend=InlineBackend())
    assert again.study.skipped == again.study.total == 32
    assert again.indices["arrived"]["ST"] == ind["ST"]


def test_morris_and_the_command(scenario, tmp_path):
    res = CliRunner().invoke(app, [
        "sensitivity", str(scenario.path), *sum((["--set", s] for s in SETTINGS), []),
        "--param", PARAMS[0], "--param", PARAMS[1], "--output", "arrived", "--output",
        "departed", "--method", "morris", "--samples", "6", "-j", "1",
        "--out", str(tmp_path), "-q"])
    assert res.exit_code == 0, res.output
    assert "arrived: Morris indices" in res.output and "departed" in res.output
    assert "the output was the same in every run" in res.output  # departed
    saved = json.loads((tmp_path / "sensitivity.json").read_text())
    morris = saved["indices"]["arrived"]
    assert morris["mu_star"][1] == 0 and morris["mu_star"][0] > 100
    assert saved["runs"] == 6 * 3
    res = CliRunner().invoke(app, ["sensitivity", str(scenario.path), "--param", PARAMS[0],
                                   "--output", "arrived", "--method", "fast", "-j", "1",
                                   "--out", str(tmp_path / "x"), "-q"])
    assert res.exit_code == 2 and "expected one of sobol, morris" in res.output
