"""An ensemble command interrupted (Ctrl-C) or killed with its workers finishes when re-run."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

pytest.importorskip("duckdb")

from corridor.analysis.catalog import RunCatalog  # noqa: E402
from corridor.engine.simulation import Simulation  # noqa: E402
from corridor.scenario import load_scenario  # noqa: E402

RUNS, SEED = 40, 3


def _command(out: Path) -> list[str]:
    return [sys.executable, "-m", "corridor.cli.main", "ensemble", "caravan-2020", "--days",
            "30", "--runs", str(RUNS), "--seed", str(SEED), "--jobs", "2", "--out", str(out),
            "--no-report", "-q"]


def _finished(out: Path) -> int:
    members = out / "members"
    return sum(1 for p in members.iterdir() if not p.name.startswith(".")) \
        if members.is_dir() else 0


def _start_and_stop(out: Path, sig: int, after: int) -> subprocess.CompletedProcess:
    """Start the command in its own process group; send `sig` to the whole group (the
    parent and its workers, as a terminal's Ctrl-C or a lost machine would) once `after`
    members are written."""
    proc = subprocess.Popen(_command(out), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.monotonic() + 90
    while _finished(out) < after and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    stdout, stderr = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def test_interrupted_then_killed_ensemble_resumes_with_each_member_once(tmp_path):
    out = tmp_path / "ens"
    first = _start_and_stop(out, signal.SIGINT, after=3)
    assert first.returncode == 130, first.stderr
    assert "done and recorded; run the same command again to finish" in first.stderr
    second = _start_and_stop(out, signal.SIGKILL, after=_finished(out) + 4)
    assert second.returncode == -signal.SIGKILL
    done_before = _finished(out)
    assert 0 < done_before < RUNS, "the command was not stopped half-way"

    final = subprocess.run(_command(out), capture_output=True, text=True, timeout=180)
    assert final.returncode == 0, final.stderr
    assert f"{RUNS} of {RUNS} members done" in final.stdout
    skipped = int(final.stdout.split(" already done")[0].rsplit(", ", 1)[1])
    assert 0 < skipped < RUNS

    with RunCatalog(out, read_only=True) as cat:
        rows = cat.db.execute("SELECT member, count(*), any_value(status) FROM members "
                              "GROUP BY member ORDER BY member").fetchall()
        assert cat.db.execute("SELECT count(*) FROM members").fetchone()[0] == RUNS
    assert rows == [(k, 1, "done") for k in range(RUNS)]
    assert (out / "bands.parquet").is_file()
    assert pq.read_table(out / "bands.parquet").schema.metadata[b"members"] == str(RUNS).encode()
    assert not [p for p in (out / "members").iterdir() if p.name.startswith(".")]
    assert not list(out.rglob("*.tmp"))

    # members run before and after the interruptions are the runs their seeds give
    sc = load_scenario("caravan-2020", ["days=30", "drop_late_departures=true"])
    children = np.random.SeedSequence(SEED).spawn(RUNS)
    for k in (0, RUNS - 1):
        direct = Simulation(sc, seed=SEED, seed_sequence=children[k], member=k).run()
        assert direct.daily.equals(pq.read_table(out / "members" / str(k) / "daily.parquet"))
