"""Sweeps: parameter grids parsed from the command line, run with common seeds, resumable."""

import pyarrow.parquet as pq
import pytest
from conftest import write_scenario
from typer.testing import CliRunner

from corridor.analysis.factors import parse_values, resolve_factors
from corridor.cli.main import app
from corridor.cli.register import all_commands
from corridor.errors import ScenarioError
from corridor.scenario import load_scenario

pytest.importorskip("duckdb")

from corridor.analysis.backends import InlineBackend  # noqa: E402
from corridor.analysis.sweep import grid, run_sweep  # noqa: E402

all_commands(app)


def test_parse_values_lists_and_linspace():
    assert parse_values("walk_speed_km=20,30.5") == ("walk_speed_km", [20, 30.5])
    assert parse_values("rules.r1.enabled=true,false") == ("rules.r1.enabled", [True, False])
    assert parse_values("awareness_hops=1:3:3") == ("awareness_hops", [1, 2, 3])
    assert parse_values("ride_chance=0:0.5:3") == ("ride_chance", [0.0, 0.25, 0.5])
    for bad in ("walk_speed_km", "x=1:2:0", "x=a:b:3", "x="):
        with pytest.raises(ScenarioError):
            parse_values(bad)


def test_grid_is_the_product_in_order():
    points = grid([("a", [1, 2]), ("b", [True, False, "x"])])
    assert len(points) == 6
    assert points[0].settings == ("a=1", "b=true") and points[5].settings == ("a=2", "b=x")
    assert points[4].values == {"a": 2, "b": False}


def test_ranges_are_checked_against_the_scenario(tiny):
    sc = load_scenario(tiny)
    factors = resolve_factors(sc, ["walk_speed_km=10:40", "awareness_hops=1:4"])
    assert [(f.name, f.integer) for f in factors] == [("walk_speed_km", False),
                                                      ("awareness_hops", True)]
    with pytest.raises(ScenarioError) as err:
        resolve_factors(sc, ["walk_speed_km=40:10", "nonsense_knob=1:2", "ride_chance=0:3"])
    text = str(err.value)
    assert "lower bound (40) must be below" in text and "nonsense_knob" in text
    assert "ride_chance=0:3" in text


def test_sweep_runs_every_point_with_common_seeds_and_resumes(tmp_path):
    sc = load_scenario(write_scenario(tmp_path / "s"), ["days=8", "ride_chance=0"])
    params = [("walk_speed_km", [15, 30, 45])]
    outputs = ("arrived", "departed")
    res = run_sweep(sc, params, 2, tmp_path / "sw", outputs, seed=2, backend=InlineBackend())
    assert res.study.done == 6 and res.study.total == 6
    rows = pq.read_table(tmp_path / "sw" / "sweep.parquet").to_pylist()
    arrived = {r["walk_speed_km"]: r["mean"] for r in rows if r["metric"] == "arrived"}
    assert arrived[15] < arrived[30] < arrived[45]
    assert all(r["runs"] == 2 for r in rows)
    assert all(r["mean"] == 1500 for r in rows if r["metric"] == "departed")
    assert (tmp_path / "sw" / "points" / "2" / "members" / "1" / "daily.parquet").is_file()
    import json

    from corridor.analysis.catalog import RunCatalog

    with RunCatalog(tmp_path / "sw", read_only=True) as cat:
        rows = cat.db.execute("SELECT point, parameters FROM members WHERE member = 0 "
                              "ORDER BY point").fetchall()
    recorded = [json.loads(p) for _, p in rows]
    assert [r["walk_speed_km"] for r in recorded] == [15, 30, 45]
    assert all(r["ride_chance"] == 0 for r in recorded)
    again = run_sweep(sc, params, 3, tmp_path / "sw", outputs, seed=2, backend=InlineBackend())
    assert again.study.skipped == 6 and again.study.done == 9


def test_cli_sweep_and_bad_input(tiny, tmp_path):
    cli = CliRunner()
    res = cli.invoke(app, ["sweep", str(tiny), "--days", "8", "--param", "walk_speed_km=20,40",
                           "--param", "ride_chance=0:0.2:2", "--runs-per-point", "1", "-j", "1",
                           "--output", "arrived", "--out", str(tmp_path / "sw"), "-q"])
    assert res.exit_code == 0, res.output
    assert "4 of 4 members done" in res.output
    assert len(pq.read_table(tmp_path / "sw" / "sweep.parquet")) == 4
    res = cli.invoke(app, ["sweep", str(tiny), "--param", "walk_speed_km=-5,20", "-j", "1",
                           "--out", str(tmp_path / "bad"), "-q"])
    assert res.exit_code == 2 and "walk_speed_km" in res.output
    assert not (tmp_path / "bad" / "catalog.duckdb").exists()
    res = cli.invoke(app, ["sweep", str(tiny), "--param", "walk_speed_km", "-j", "1",
                           "--out", str(tmp_path / "bad2"), "-q"])
    assert res.exit_code == 2 and "NAME=v1,v2" in res.output
