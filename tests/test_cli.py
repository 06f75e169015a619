"""The command line: files written, exit statuses, messages without tracebacks."""

import json

import pyarrow.parquet as pq
import pytest
from tiny_fixture import TINY_ROUTES, write_scenario
from typer.testing import CliRunner

from corridor.cli.main import app
from corridor.cli.register import all_commands

all_commands(app)


@pytest.fixture
def cli():
    return CliRunner()


def test_run_writes_the_four_files_and_counts_add_up(cli, tiny, tmp_path):
    out = tmp_path / "out"
    res = cli.invoke(app, ["run", str(tiny), "--out", str(out), "--no-report", "-q"])
    assert res.exit_code == 0, res.output
    for name in ("daily.parquet", "flows.parquet", "summary.json", "run.json"):
        assert (out / name).is_file()
    assert not list(out.glob(".*tmp"))
    daily = pq.read_table(out / "daily.parquet").to_pylist()
    per_day = {}
    for row in daily:
        per_day[row["day"]] = per_day.get(row["day"], 0) + row["count"]
    assert [per_day[d] for d in range(20)] == [1000, 1000] + [1500] * 18
    summary = json.loads((out / "summary.json").read_text())
    assert summary["departed"] == 1500 and sum(summary["by_state"].values()) == 1500
    meta = json.loads((out / "run.json").read_text())
    assert meta["seed"] == 3 and len(meta["scenario_digest"]) == 64
    assert (out / "scenario" / "places.csv").is_file()


def test_seed_days_and_set_options(cli, tiny, tmp_path):
    out = tmp_path / "o"
    res = cli.invoke(app, ["run", str(tiny), "--out", str(out), "--seed", "8", "--days", "5",
                           "--set", "walk_speed_km=10", "--no-report", "-q"])
    assert res.exit_code == 0, res.output
    meta = json.loads((out / "run.json").read_text())
    assert meta["seed"] == 8 and meta["days"] == 5
    assert meta["parameters"]["walk_speed_km"] == 10


def test_broken_scenario_exits_2_naming_file_row_field(cli, tmp_path):
    folder = write_scenario(tmp_path / "bad", routes_csv=TINY_ROUTES + "c,d,-3,road,true\n")
    res = cli.invoke(app, ["run", str(folder), "--out", str(tmp_path / "o"), "-q"])
    assert res.exit_code == 2
    assert "routes.csv, row 6, field 'distance_km'" in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "o" / "daily.parquet").exists()


def test_check_prints_summary(cli, tiny):
    res = cli.invoke(app, ["check", str(tiny)])
    assert res.exit_code == 0, res.output
    assert "5 places" in res.output and "1,500 people" in res.output


def test_check_bad_set_exits_2(cli, tiny):
    res = cli.invoke(app, ["check", str(tiny), "--set", "no_such_parameter=1"])
    assert res.exit_code == 2 and "no_such_parameter" in res.output


def test_scenarios_lists_builtins(cli):
    res = cli.invoke(app, ["scenarios", "--json"])
    assert res.exit_code == 0
    names = [row["name"] for row in json.loads(res.output)]
    assert "caravan-2020" in names


def test_missing_folder_exits_2(cli, tmp_path):
    res = cli.invoke(app, ["check", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "no such folder" in res.output


def test_report_command_writes_html(cli, tiny, tmp_path):
    out = tmp_path / "run"
    done = cli.invoke(app, ["run", str(tiny), "--out", str(out), "-q", "--no-report"])
    assert done.exit_code == 0
    res = cli.invoke(app, ["report", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "report.html").is_file()
    res = cli.invoke(app, ["report", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "not a run folder" in res.output


def test_a_library_interrupt_exits_130_not_1():
    import typer

    from corridor.cli.errors import handle_errors

    class InterruptException(Exception):  # what DuckDB raises on Ctrl-C
        pass

    @handle_errors
    def interrupted():
        raise InterruptException("Query interrupted")

    with pytest.raises(typer.Exit) as info:
        interrupted()
    assert info.value.exit_code == 130
