"""No process outlives its run: pool workers die with their parent, Dask without workers fails
after a stated time, hidden temporary files of dead processes are cleaned."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import corridor

psutil = pytest.importorskip("psutil")
pytest.importorskip("duckdb")

SRC = Path(corridor.__file__).resolve().parents[1]  # the corridor under test, for children
ENV = {**os.environ, "PYTHONPATH": str(SRC)}


def _gone_within(procs: list, seconds: float) -> list:
    """Wait until every process has exited; return those still running after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        alive = []
        for p in procs:
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(p)
            except psutil.NoSuchProcess:
                pass
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def _kill_all(procs: list) -> None:
    for p in procs:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass


@pytest.mark.slow
def test_sigkill_of_the_ensemble_parent_leaves_no_worker_and_no_resource_tracker(tmp_path):
    out = tmp_path / "ens"
    cmd = [sys.executable, "-m", "corridor.cli.main", "ensemble", "caravan-2020", "--days", "30",
           "--runs", "40", "--jobs", "2", "--out", str(out), "--no-report", "-q"]
    proc = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    children: list = []
    try:
        deadline = time.monotonic() + 120
        members = out / "members"
        while proc.poll() is None and time.monotonic() < deadline and not (
                members.is_dir() and any(not p.name.startswith(".") for p in members.iterdir())):
            time.sleep(0.1)
        assert proc.poll() is None, "the ensemble ended before it could be killed"
        children = psutil.Process(proc.pid).children(recursive=True)
        names = " ".join(" ".join(c.cmdline()) for c in children)
        assert len(children) >= 3 and "resource_tracker" in names, names  # 2 workers + tracker
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # the parent only, as `kill -9 PID` does
        proc.wait()
    alive = _gone_within(children, 10.0)
    _kill_all(alive)
    assert alive == [], f"still running 10 s after the parent was killed: {alive}"


WATCHED_CHILD = textwrap.dedent("""
    import multiprocessing, os, sys, time
    from corridor.analysis.backends import _worker_start

    def child(parent):
        _worker_start(parent, False)  # the parent watch alone, without prctl
        time.sleep(120)

    if __name__ == "__main__":
        p = multiprocessing.get_context("spawn").Process(target=child, args=(os.getpid(),))
        p.start()
        print(p.pid, flush=True)
        time.sleep(120)
""")


def test_the_parent_watch_alone_ends_an_orphaned_worker(tmp_path):
    script = tmp_path / "watched.py"
    script.write_text(WATCHED_CHILD)
    proc = subprocess.Popen([sys.executable, str(script)], env=ENV, stdout=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        child = psutil.Process(int(proc.stdout.readline()))
        time.sleep(1.0)  # the child is past its initializer
        assert child.status() != psutil.STATUS_ZOMBIE
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    alive = _gone_within([child], 5.0)
    _kill_all(alive)
    assert alive == []


def test_dask_without_any_worker_fails_after_the_timeout_naming_the_scheduler(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    from corridor.analysis.backends import DaskBackend, NoWorkersError
    from corridor.analysis.ensemble import run_ensemble
    from corridor.scenario import load_scenario

    sc = load_scenario("caravan-2020", ["days=5", "drop_late_departures=true"])
    outcome: list = []
    with distributed.LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=None) as c, \
            distributed.Client(c) as client:
        def go() -> None:
            try:
                run_ensemble(sc, 2, tmp_path / "e", backend=DaskBackend(client, worker_timeout=2))
            except Exception as err:  # noqa: BLE001 - examined below
                outcome.append(err)

        started = time.monotonic()
        worker = threading.Thread(target=go, daemon=True)
        worker.start()
        worker.join(60)
        elapsed = time.monotonic() - started
        assert not worker.is_alive(), "still waiting for a worker after 60 s"
    assert len(outcome) == 1 and isinstance(outcome[0], NoWorkersError), outcome
    assert c.scheduler_address in str(outcome[0]) and "dask worker" in str(outcome[0])
    assert 2 <= elapsed < 30


def test_dask_worker_timeout_must_be_positive():
    distributed = pytest.importorskip("dask.distributed")
    from corridor.analysis.backends import DaskBackend
    from corridor.errors import CorridorError

    with distributed.LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=None) as c, \
            distributed.Client(c) as client, pytest.raises(CorridorError, match="worker-timeout"):
        DaskBackend(client, worker_timeout=0)


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_hidden_files_of_dead_processes_are_cleaned_by_the_next_study(tiny, tmp_path):
    from corridor.analysis.backends import InlineBackend
    from corridor.analysis.ensemble import run_ensemble
    from corridor.scenario import load_scenario

    sc = load_scenario(tiny)
    folder = tmp_path / "ens"
    run_ensemble(sc, 1, folder, backend=InlineBackend())
    dead, alive = _dead_pid(), os.getppid()
    stale = [folder / f".bands.parquet.{dead}.tmp", folder / "members" / f".0.parquet.{dead}.tmp"]
    kept = folder / f".score.json.{alive}.tmp"  # a live process's: not ours to remove
    for path in [*stale, kept]:
        path.write_text("half")
    run_ensemble(sc, 2, folder, backend=InlineBackend())
    assert [p for p in stale if p.exists()] == [] and kept.exists()


def test_a_full_disk_leaves_no_hidden_temporary_file(tmp_path, monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from corridor.io import atomic

    def full(table, where, *args, **kwargs):
        Path(where).write_bytes(b"PAR1 half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pq, "write_table", full)
    with pytest.raises(OSError):
        atomic.write_parquet(tmp_path / "t.parquet", pa.table({"a": [1]}))
    with pytest.raises(OSError):
        atomic.write_text(tmp_path / "missing" / "t.txt", "x")
    assert list(tmp_path.rglob("*")) == []
