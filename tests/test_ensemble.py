"""Ensembles: spawned seeds, the run catalog, resuming, quantile bands, metrics, the CLI."""

import json
import os
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import write_scenario
from typer.testing import CliRunner

from corridor.cli.main import app
from corridor.cli.register import all_commands

duckdb = pytest.importorskip("duckdb")

from corridor.analysis import metrics  # noqa: E402
from corridor.analysis.backends import Backend, InlineBackend, ProcessBackend  # noqa: E402
from corridor.analysis.bands import QUANTILES, read_bands  # noqa: E402
from corridor.analysis.catalog import CatalogError, RunCatalog  # noqa: E402
from corridor.analysis.ensemble import (  # noqa: E402
    MemberTask,
    Point,
    Study,
    run_ensemble,
    run_member,
    run_study,
)
from corridor.engine.simulation import Simulation  # noqa: E402
from corridor.scenario import load_scenario  # noqa: E402

all_commands(app)
TABLES = ("daily", "flows", "transitions", "outcomes")


@pytest.fixture(scope="module")
def tiny_scenario(tmp_path_factory):
    return load_scenario(write_scenario(tmp_path_factory.mktemp("s") / "tiny"), ["days=8"])


def _tables(folder: Path) -> dict:
    return {name: pq.read_table(folder / f"{name}.parquet") for name in TABLES}


def test_member_k_is_the_same_run_whatever_the_ensemble_size_and_backend(tiny_scenario,
                                                                         tmp_path):
    """Member k draws from SeedSequence(seed).spawn(...)[k]: 3 members inline = the first 3 of
    5 members on two processes, and each equals a Simulation given that sequence."""
    a = run_ensemble(tiny_scenario, 3, tmp_path / "a", seed=11, backend=InlineBackend())
    with ProcessBackend(2) as procs:
        b = run_ensemble(tiny_scenario, 5, tmp_path / "b", seed=11, backend=procs)
    assert a.study.done == 3 and b.study.done == 5
    for k in range(3):
        assert _tables(tmp_path / "a" / "members" / str(k)) == _tables(
            tmp_path / "b" / "members" / str(k))
    child = np.random.SeedSequence(11).spawn(3)[2]
    direct = Simulation(tiny_scenario, seed=11, seed_sequence=child, member=2).run()
    assert direct.daily.equals(_tables(tmp_path / "a" / "members" / "2")["daily"])
    # members differ from each other and carry distinct run ids
    run_ids = {pq.read_table(tmp_path / "b" / "members" / str(k) / "daily.parquet")
               .column("run_id")[0].as_py() for k in range(5)}
    assert len(run_ids) == 5 and all(r.endswith(f"-m{k}") for k, r in
                                     zip(range(5), sorted(run_ids), strict=True))
    dailies = [_tables(tmp_path / "b" / "members" / str(k))["daily"].drop(["run_id"])
               for k in range(5)]
    assert not all(d.equals(dailies[0]) for d in dailies[1:])


def test_catalog_records_each_member_once_and_a_second_command_only_finishes(tiny_scenario,
                                                                              tmp_path):
    first = run_ensemble(tiny_scenario, 4, tmp_path, seed=1, backend=InlineBackend())
    assert (first.study.skipped, first.study.done) == (0, 4)
    again = run_ensemble(tiny_scenario, 4, tmp_path, seed=1, backend=InlineBackend())
    assert (again.study.skipped, again.study.done) == (4, 4)
    grown = run_ensemble(tiny_scenario, 6, tmp_path, seed=1, backend=InlineBackend())
    assert (grown.study.skipped, grown.study.done) == (4, 6)
    with RunCatalog(tmp_path, read_only=True) as cat:
        rows = cat.db.execute("SELECT member, count(*), any_value(status), any_value(run_id), "
                              "any_value(scenario_digest) FROM members GROUP BY member "
                              "ORDER BY member").fetchall()
    assert [(m, n, s) for m, n, s, _, _ in rows] == [(k, 1, "done") for k in range(6)]
    assert all(r.endswith(f"-m{m}") and len(d) == 64 for m, _, _, r, d in rows)
    info = json.loads((tmp_path / "ensemble.json").read_text())
    assert info["done"] == 6 and info["skipped_as_done"] == 4
    assert read_bands(tmp_path).schema.metadata[b"members"] == b"6"


def test_a_member_whose_folder_was_lost_is_run_again(tiny_scenario, tmp_path):
    run_ensemble(tiny_scenario, 3, tmp_path, seed=1, backend=InlineBackend())
    before = _tables(tmp_path / "members" / "1")
    import shutil

    shutil.rmtree(tmp_path / "members" / "1")
    (tmp_path / "members" / ".2.tmp-deadbeef").mkdir()  # a killed worker's leftovers
    again = run_ensemble(tiny_scenario, 3, tmp_path, seed=1, backend=InlineBackend())
    assert again.study.skipped == 2 and again.study.done == 3
    assert _tables(tmp_path / "members" / "1") == before
    assert not list((tmp_path / "members").glob(".*"))


def test_another_study_in_the_same_folder_is_refused(tiny_scenario, tmp_path):
    run_ensemble(tiny_scenario, 2, tmp_path, seed=1, backend=InlineBackend())
    with pytest.raises(CatalogError, match="seed"):
        run_ensemble(tiny_scenario, 2, tmp_path, seed=2, backend=InlineBackend())
    other = load_scenario(tiny_scenario.path, ["days=8", "walk_speed_km=10"])
    with pytest.raises(CatalogError, match="digest"):
        run_ensemble(other, 2, tmp_path, seed=1, backend=InlineBackend())


def test_bands_are_quantiles_over_all_members_with_zeros_filled(tiny_scenario, tmp_path):
    run_ensemble(tiny_scenario, 7, tmp_path, seed=3, backend=InlineBackend())
    dailies = [pq.read_table(tmp_path / "members" / str(k) / "daily.parquet").to_pylist()
               for k in range(7)]
    bands = read_bands(tmp_path).to_pylist()
    got = {(r["day"], r["place"], r["state"], r["quantile"]): r["count"] for r in bands}
    keys = {(r["day"], r["place"], r["state"]) for d in dailies for r in d}
    assert {(d, p, s) for d, p, s, _ in got if p != "*" and s != "*"} == keys
    for day, place, state in sorted(keys)[::7]:
        values = [sum(r["count"] for r in d if (r["day"], r["place"], r["state"])
                      == (day, place, state)) for d in dailies]
        expect = np.quantile(values, QUANTILES)
        assert [got[(day, place, state, q)] for q in QUANTILES] == pytest.approx(expect)
    # the all-positions row of a state is the members' total in that state
    for day in (0, 7):
        totals = [sum(r["count"] for r in d if r["day"] == day and r["state"] == "in_transit")
                  for d in dailies]
        assert got.get((day, "*", "in_transit", 0.5), 0.0) == pytest.approx(np.median(totals))
        per_day = [sum(r["count"] for r in d if r["day"] == day) for d in dailies]
        assert got[(day, "*", "*", 0.95)] == pytest.approx(np.quantile(per_day, 0.95))


def test_metrics_registry_values_and_errors(tiny_scenario, tmp_path):
    task = MemberTask(0, 0, tiny_scenario, 1, np.random.SeedSequence(1).spawn(1)[0],
                      str(tmp_path / "m"), ("departed", "arrived", "final:in_transit",
                                            "reached:destination", "returned_by:2020-01-05"),
                      False)
    summary = run_member(task)
    assert summary.status == "done", summary.error
    by_state = json.loads((tmp_path / "m" / "summary.json").read_text())["by_state"]
    m = summary.metrics
    assert m["departed"] == 1500 and m["returned_by:2020-01-05"] == 0
    assert m["arrived"] == by_state.get("arrived", 0) > 0
    assert m["final:in_transit"] == by_state.get("in_transit", 0)
    assert m["reached:destination"] == m["arrived"]
    with pytest.raises(metrics.MetricError, match="unknown output metric 'nonsense'"):
        metrics.check(["nonsense"], tiny_scenario)
    with pytest.raises(metrics.MetricError, match="outside the run"):
        metrics.check(["returned_by:2021-01-01"], tiny_scenario)
    with pytest.raises(metrics.MetricError, match="no place of kind 'border_city'"):
        metrics.check(["reached_us_border"], tiny_scenario)
    with pytest.raises(metrics.MetricError, match="needs an argument"):
        metrics.check(["returned_by"], tiny_scenario)


def test_a_failing_member_is_recorded_and_retried(tiny_scenario, tmp_path):
    class FailOnce(Backend):
        calls = 0

        def imap_unordered(self, fn, tasks):
            for task in tasks:
                self.calls += 1
                yield task, (RuntimeError("boom") if task.member == 1 and self.calls < 3
                             else fn(task))

    backend = FailOnce()
    res = run_ensemble(tiny_scenario, 2, tmp_path, seed=1, backend=backend)
    assert res.study.done == 1 and [f.member for f in res.study.failed] == [1]
    assert "RuntimeError: boom" in res.study.failed[0].error
    with RunCatalog(tmp_path, read_only=True) as cat:
        assert cat.counts() == {"done": 1, "failed": 1}
    res = run_ensemble(tiny_scenario, 2, tmp_path, seed=1, backend=backend)
    assert res.study.done == 2 and res.study.skipped == 1 and not res.study.failed
    with RunCatalog(tmp_path, read_only=True) as cat:
        assert cat.counts() == {"done": 2}


def _die_once(marker: str) -> int:
    """Kill this worker process the first time it is called (a lost worker)."""
    if not os.path.exists(marker):
        Path(marker).write_text("x")
        os._exit(9)
    return os.getpid()


def test_process_backend_replaces_a_dead_worker_and_reruns_its_tasks(tmp_path):
    marker = str(tmp_path / "died")
    with ProcessBackend(2) as procs:
        results = list(procs.imap_unordered(_die_once, [marker] * 6))
        assert procs.restarts >= 1
    assert len(results) == 6 and all(isinstance(r, int) for _, r in results)


def test_cli_ensemble_then_report_and_score(tiny_scenario, tmp_path):
    cli = CliRunner()
    out = tmp_path / "ens"
    args = ["ensemble", str(tiny_scenario.path), "--days", "8", "--runs", "4", "--jobs", "1",
            "--out", str(out), "--seed", "5", "-q"]
    res = cli.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "4 of 4 members done (4 now, 0 already done)" in res.output
    for name in ("bands.parquet", "catalog.duckdb", "ensemble.json", "score.json",
                 "report.html", "figures/bands-states.png", "members/3/daily.parquet"):
        assert (out / name).is_file(), name
    res = cli.invoke(app, args + ["--no-report"])
    assert "(0 now, 4 already done)" in res.output
    res = cli.invoke(app, ["report", str(out)])
    assert res.exit_code == 0 and "report.html" in res.output
    res = cli.invoke(app, ["ensemble", str(tiny_scenario.path), "--days", "8", "--runs", "4",
                           "-j", "1", "--out", str(out), "--seed", "6", "-q"])
    assert res.exit_code == 2 and "holds another study" in res.output
    res = cli.invoke(app, ["ensemble", str(tiny_scenario.path), "--runs", "2", "-j", "1",
                           "--out", str(tmp_path / "x"), "--output", "nonsense", "-q"])
    assert res.exit_code == 2 and "unknown output metric" in res.output
    res = cli.invoke(app, ["ensemble", str(tiny_scenario.path), "--runs", "0", "-j", "1",
                           "--out", str(tmp_path / "y"), "-q"])
    assert res.exit_code == 2 and "at least 1" in res.output


def test_ensemble_score_against_observations(tmp_path):
    """Observations counted by the members: in the band when the observed value is."""
    obs = ("period_start,period_end,place,kind,value,low,high\n"
           "2020-01-01,2020-01-01,Alpha,departed,1000,900,1100\n"
           "2020-01-03,2020-01-03,Alpha,departed,9999,9999,9999\n")
    folder = write_scenario(tmp_path / "s", observations_csv=obs)
    sc = load_scenario(folder, ["days=8"])
    res = run_ensemble(sc, 3, tmp_path / "e", seed=1, backend=InlineBackend())
    rows = res.score["observations"]
    assert [r["inside_band"] for r in rows] == [True, False]
    assert rows[0]["p50"] == 1000 and rows[1]["p95"] == 500
    assert res.score["share_inside_band"] == 0.5
    cli = CliRunner()
    out = cli.invoke(app, ["score", str(tmp_path / "e")])
    assert out.exit_code == 0 and "inside the 90 % band of 3 members: 50%" in out.output


def test_study_points_share_member_seeds(tiny_scenario, tmp_path):
    """Two points with the same settings give the same members (common random numbers)."""
    points = [Point(0, ("walk_speed_km=25",), {}), Point(1, ("walk_speed_km=25",), {}),
              Point(2, ("walk_speed_km=40",), {})]
    study = Study("sweep", tiny_scenario, points, 2, 9, tmp_path, ("arrived",))
    res = run_study(study, InlineBackend())
    by = {(s.point, s.member): s.metrics["arrived"] for s in res.summaries}
    assert by[(0, 0)] == by[(1, 0)] and by[(0, 1)] == by[(1, 1)]
    assert by[(2, 0)] > by[(0, 0)]


def test_the_python_examples_of_the_guide_run(tmp_path):
    """docs/ensembles.md: the 'From Python' script, then the query of its folder."""
    import re
    import subprocess
    import sys

    text = (Path(__file__).resolve().parents[1] / "docs" / "ensembles.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    script = next(b for b in blocks if "run_ensemble" in b)
    query = next(b for b in blocks if "catalog.duckdb" in b)
    (tmp_path / "example.py").write_text(script)
    done = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "'members': 4" in done.stdout
    pytest.importorskip("polars")
    namespace: dict = {}
    exec(query.replace("results/caravan-ens", str(tmp_path / "ens-example")), namespace)
    assert namespace["catalog"].execute("select count(*) from members").fetchone() == (4,)


def test_a_missing_extra_is_named_with_its_pip_command(monkeypatch, capsys):
    import typer

    from corridor.cli import ensemble_commands

    monkeypatch.setitem(ensemble_commands.EXTRAS, "no_such_package_xyz", "calibrate")
    with pytest.raises(typer.Exit) as exit_info:
        ensemble_commands.need("duckdb", "no_such_package_xyz")
    assert exit_info.value.exit_code == 2
    assert "pip install 'corridor[calibrate]'" in capsys.readouterr().err


def test_ensemble_report_shows_the_scores_the_command_printed(tmp_path):
    """matched_share and mean_abs_log_error (below 1) were shown as 0 in the report's table."""
    folder = write_scenario(tmp_path / "obs", observations_csv=(
        "period_start,period_end,place,kind,value,low,high\n"
        "2020-01-05,2020-01-05,c,present,400,300,500\n"
        "2020-01-08,2020-01-08,d,present,150,100,200\n"
        "2020-01-06,2020-01-06,b,present,50,40,60\n"))
    out = tmp_path / "ens"
    res = CliRunner().invoke(app, ["ensemble", str(folder), "--days", "8", "--runs", "3",
                                   "--jobs", "1", "--out", str(out), "--seed", "5"])
    assert res.exit_code == 0, res.output
    info = json.loads((out / "ensemble.json").read_text())
    html = (out / "report.html").read_text()
    small = {name: d for name, d in info["outputs"].items()
             if name in ("matched_share", "mean_abs_log_error") and 0 < abs(d["mean"]) < 1}
    assert small, info["outputs"]
    for name, d in small.items():
        shown = f"{d['mean']:.3g}"
        assert shown in res.output, (name, res.output)
        assert f"<td>{shown}</td>" in html.replace(' class="num"', ""), name
