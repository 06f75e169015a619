"""`corridor export RUN --format flee` (Flee 3.1's out.csv), camp states, `score --json`."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from corridor.cli.main import app
from corridor.cli.register import all_commands
from corridor.engine.simulation import Simulation
from corridor.flee.convert import load_flee
from corridor.flee.outcsv import export_flee, write_out_csv

all_commands(app)
DAYS = 30
# columns that do not depend on the draws: equal to Flee 3.1's own out.csv
DETERMINISTIC = ("raw UNHCR refugee count", "refugees in camps (UNHCR)",
                 "total refugees (simulation)", "refugee_debt")


def _rows(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def mali_run(shared_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "run"
    res = CliRunner().invoke(app, ["run", str(shared_dir / "flee-scenarios" / "mali2012" / "input"),
                                   "--days", str(DAYS), "--engine", "counts", "--seed", "2",
                                   "--no-report", "-q", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


def test_export_flee_has_flee_columns_names_and_deterministic_values(mali_run, shared_dir):
    res = CliRunner().invoke(app, ["export", str(mali_run), "--format", "flee"])
    assert res.exit_code == 0, res.output
    ours = _rows(mali_run / "export-flee" / "out.csv")
    theirs = _rows(shared_dir / "flee-scenarios" / "reference" / "mali-flee31-rep1.csv")
    assert ours[0] == theirs[0]  # same columns, same camp names, same order
    assert len(ours) == DAYS + 1
    head = ours[0]
    for name in ("Day", "Date", *DETERMINISTIC,
                 *(h for h in head if h.endswith(" data"))):
        j = head.index(name)
        assert [r[j] for r in ours[1:]] == [r[j] for r in theirs[1:DAYS + 1]], name
    debt = head.index("refugee_debt")
    assert any(r[debt] != "0" for r in ours[1:])  # the recomputed debt is exercised


def test_export_flee_equals_the_in_memory_writer(shared_dir, tmp_path):
    base = shared_dir / "flee-scenarios" / "mali2012"
    sc = load_flee(base / "input", overrides=[f"days={DAYS}"])
    from corridor.api import run

    run(sc, seed=5, out=tmp_path / "run", engine="agents")
    sim = Simulation(sc, seed=5, engine="agents")
    sim.run()
    memory = write_out_csv(sim, tmp_path / "memory.csv").read_text()
    exported = export_flee(tmp_path / "run", tmp_path).read_text()
    assert exported == memory


def test_people_in_camps_are_in_a_camp_state(mali_run):
    t = pq.read_table(mali_run / "daily.parquet").to_pylist()
    camps = {"fassala-mbera", "mentao", "bobo-dioulasso", "abala", "mangaize", "niamey",
             "tabareybarey"}
    at_camps = {r["state"] for r in t if r["place"] in camps}
    elsewhere = {r["state"] for r in t if r["place"] not in camps}
    assert at_camps == {"in_camp"} and elsewhere == {"in_transit"}


def test_score_json_of_a_flee_run_is_a_summary_unless_rows_asked(mali_run):
    summary = CliRunner().invoke(app, ["score", str(mali_run), "--json"])
    assert summary.exit_code == 0, summary.output
    data = json.loads(summary.output)
    assert "observations" not in data and data["ard"] is not None
    assert data["n_observations"] > 100
    assert len(summary.output.splitlines()) < 60  # the 148 rows would take ~3,000 lines
    full = CliRunner().invoke(app, ["score", str(mali_run), "--json", "--rows"])
    assert len(json.loads(full.output)["observations"]) == data["n_observations"]


def test_export_errors_are_exit_2(mali_run, tmp_path):
    res = CliRunner().invoke(app, ["export", str(tmp_path), "--format", "flee"])
    assert res.exit_code == 2 and "not a run folder" in res.output
    res = CliRunner().invoke(app, ["export", str(mali_run), "--format", "xlsx"])
    assert res.exit_code == 2 and "not a format" in res.output
