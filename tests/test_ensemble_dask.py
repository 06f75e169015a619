"""Ensembles on a real Dask cluster (LocalCluster over TCP on loopback, two worker processes)."""

import os
import signal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

distributed = pytest.importorskip("dask.distributed")
pytest.importorskip("duckdb")

from corridor.analysis.backends import DaskBackend, ProcessBackend  # noqa: E402
from corridor.analysis.catalog import RunCatalog  # noqa: E402
from corridor.analysis.ensemble import run_ensemble  # noqa: E402
from corridor.scenario import load_scenario  # noqa: E402

RUNS = 10
TABLES = ("daily", "flows", "transitions", "outcomes")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as c:
        yield c


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("caravan-2020", ["days=30", "drop_late_departures=true"])


def test_killed_worker_ensemble_completes_with_every_member_once_and_bit_identical(
        cluster, scenario, tmp_path):
    """Kill one Dask worker after 3 members: the ensemble still finishes, each member is in
    the catalog once, and every member's tables equal those of the local process backend."""
    with distributed.Client(cluster) as client:
        pids = client.run(os.getpid)
        assert len(pids) == 2
        victim: list[int] = []

        def progress(done: int, failed: int, total: int) -> None:
            if done >= 3 and not victim:
                victim.append(next(iter(pids.values())))
                os.kill(victim[0], signal.SIGKILL)

        dask_run = run_ensemble(scenario, RUNS, tmp_path / "dask", seed=7,
                                backend=DaskBackend(client), progress=progress)
    assert victim, "the ensemble finished before a worker could be killed"
    assert dask_run.study.done == RUNS and not dask_run.study.failed
    with RunCatalog(tmp_path / "dask", read_only=True) as cat:
        rows = cat.db.execute("SELECT member, count(*), any_value(status), any_value(host) "
                              "FROM members GROUP BY member ORDER BY member").fetchall()
    assert [(m, n, s) for m, n, s, _ in rows] == [(k, 1, "done") for k in range(RUNS)]
    survivor = [p for p in pids.values() if p != victim[0]][0]
    assert any(h.endswith(f":{survivor}") for *_, h in rows)

    with ProcessBackend(2) as procs:
        local = run_ensemble(scenario, RUNS, tmp_path / "local", seed=7, backend=procs)
    assert local.study.done == RUNS
    for k in range(RUNS):
        for name in TABLES:
            a = pq.read_table(tmp_path / "dask" / "members" / str(k) / f"{name}.parquet")
            b = pq.read_table(tmp_path / "local" / "members" / str(k) / f"{name}.parquet")
            assert a.equals(b), (k, name)
    assert pq.read_table(tmp_path / "dask" / "bands.parquet").equals(
        pq.read_table(tmp_path / "local" / "bands.parquet"))
    assert dask_run.score["observations"] == local.score["observations"]


def test_cli_runs_on_the_cluster_address(cluster, tmp_path):
    from typer.testing import CliRunner

    from corridor.cli.main import app
    from corridor.cli.register import all_commands

    all_commands(app)
    out = Path(tmp_path) / "e"
    res = CliRunner().invoke(app, ["ensemble", "caravan-2020", "--days", "10", "--runs", "3",
                                   "--scheduler", cluster.scheduler_address, "--out", str(out),
                                   "--no-report", "-q"])
    assert res.exit_code == 0, res.output
    assert "on Dask cluster tcp://127.0.0.1" in res.output
    assert (out / "bands.parquet").is_file()


def test_an_unreachable_scheduler_is_a_clear_error():
    from corridor.errors import CorridorError

    with pytest.raises(CorridorError, match="cannot reach the Dask scheduler at tcp://"):
        DaskBackend("tcp://127.0.0.1:1", timeout=1)
