"""A sample too small to mean anything is said so: sensitivity indices, 5–95 % bands.

`sensitivity --samples 2` printed a Sobol' index of 1.74 with no word of warning; an ensemble
of one run printed a "5–95 %" band that is that run's value twice.
"""

from __future__ import annotations

import json

import pytest
from conftest import write_scenario
from typer.testing import CliRunner

from corridor.analysis import sample_size
from corridor.cli.main import app
from corridor.cli.register import all_commands

pytest.importorskip("duckdb")
all_commands(app)
SETTINGS = ["--set", "ride_chance=0", "--days", "8"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return write_scenario(tmp_path_factory.mktemp("s") / "tiny")


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning:")]


@pytest.mark.parametrize(("method", "small", "enough"), [
    ("sobol", 2, sample_size.MIN_SOBOL_SAMPLES),
    ("morris", 2, sample_size.MIN_MORRIS_TRAJECTORIES),
])
def test_the_threshold_of_each_method(method: str, small: int, enough: int) -> None:
    text = sample_size.sensitivity_warning(method, small, 2)
    assert text and f"--samples {small}" in text and f"--samples {enough} or more" in text
    assert sample_size.sensitivity_warning(method, enough - 1, 2) is not None
    assert sample_size.sensitivity_warning(method, enough, 2) is None


def test_sensitivity_with_two_samples_warns_and_says_the_minimum(tiny, tmp_path) -> None:
    pytest.importorskip("SALib")
    out = tmp_path / "sens"
    res = CliRunner().invoke(app, ["sensitivity", str(tiny), *SETTINGS, "--param",
                                   "walk_speed_km=20:50", "--output", "arrived", "--samples",
                                   "2", "-j", "1", "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    [warning] = _warnings(res.stderr)
    assert "too small" in warning and "--samples 64 or more" in warning
    assert "6 runs" in warning  # 2 × (1 parameter + 2)
    saved = json.loads((out / "sensitivity.json").read_text())
    assert saved["sample_warning"] == warning.removeprefix("warning: ")


def test_ensemble_of_one_run_has_no_spread_and_says_so(tiny, tmp_path) -> None:
    cli = CliRunner()
    res = cli.invoke(app, ["ensemble", str(tiny), *SETTINGS, "--runs", "1", "-j", "1",
                           "--no-report", "--out", str(tmp_path / "one"), "-q"])
    assert res.exit_code == 0, res.output
    [warning] = _warnings(res.stderr)
    assert "--runs 1" in warning and "no spread" in warning and "--runs 20 or more" in warning
    res = cli.invoke(app, ["ensemble", str(tiny), *SETTINGS, "--runs", "3", "-j", "1",
                           "--no-report", "--out", str(tmp_path / "three"), "-q"])
    assert res.exit_code == 0, res.output
    [warning] = _warnings(res.stderr)
    assert "interpolated" in warning and "of the 3 runs" in warning
    assert sample_size.band_warning(sample_size.MIN_BAND_MEMBERS, "--runs") is None


def test_sweep_with_one_run_per_point_says_its_band_is_no_spread(tiny, tmp_path) -> None:
    res = CliRunner().invoke(app, ["sweep", str(tiny), *SETTINGS, "--param",
                                   "walk_speed_km=20,40", "--runs-per-point", "1", "-j", "1",
                                   "--output", "arrived", "--out", str(tmp_path / "sw"), "-q"])
    assert res.exit_code == 0, res.output
    [warning] = _warnings(res.stderr)
    assert "--runs-per-point 1" in warning and "no spread" in warning
