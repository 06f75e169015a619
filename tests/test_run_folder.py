"""A run folder is one unit: built aside, renamed into place, replaced only when asked."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import corridor
from corridor.cli.main import app
from corridor.cli.register import all_commands

all_commands(app)
SRC = Path(corridor.__file__).resolve().parents[1]  # the corridor under test, for children


@pytest.fixture
def cli():
    return CliRunner()


def _run(cli, tiny, out, *extra):
    return cli.invoke(app, ["run", str(tiny), "--out", str(out), "-q", *extra])


def _hidden(folder: Path) -> list[Path]:
    return [p for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.")]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def earlier(cli, tiny, tmp_path) -> Path:
    """A finished run with its report, seed 1."""
    out = tmp_path / "run"
    res = _run(cli, tiny, out, "--seed", "1", "--no-report")
    assert res.exit_code == 0, res.output
    (out / "report.html").write_text("the report of seed 1")  # cheap stand-in for a report
    return out


def test_run_json_says_complete_and_nothing_hidden_is_left(cli, tiny, tmp_path):
    out = tmp_path / "run"
    res = _run(cli, tiny, out, "--no-report")
    assert res.exit_code == 0, res.output
    assert json.loads((out / "run.json").read_text())["complete"] is True
    assert _hidden(out) == [] and not list(out.glob(".*"))


def test_a_second_run_needs_overwrite_and_leaves_the_first_as_it_was(cli, tiny, earlier):
    before = _snapshot(earlier)
    res = _run(cli, tiny, earlier, "--seed", "2", "--no-report")
    assert res.exit_code == 2
    assert "--overwrite" in res.output and "Traceback" not in res.output
    assert _snapshot(earlier) == before and _hidden(earlier) == []


def test_overwrite_replaces_the_whole_folder_no_old_report_stays(cli, tiny, earlier):
    res = _run(cli, tiny, earlier, "--seed", "2", "--no-report", "--overwrite")
    assert res.exit_code == 0, res.output
    assert json.loads((earlier / "run.json").read_text())["seed"] == 2
    assert not (earlier / "report.html").exists()  # the report of seed 1 went with its run
    assert _hidden(earlier) == []


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_folder_that_is_not_a_run_is_never_replaced(cli, tiny, tmp_path, overwrite):
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work")
    res = _run(cli, tiny, home, "--no-report", *(["--overwrite"] if overwrite else []))
    assert res.exit_code == 2 and "does not hold a run" in res.output
    assert [p.name for p in home.iterdir()] == ["thesis.tex"] and _hidden(home) == []


def test_an_empty_folder_is_used(cli, tiny, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert _run(cli, tiny, out, "--no-report").exit_code == 0
    assert (out / "run.json").is_file()


@pytest.mark.parametrize("target", ["file", "under-file"])
def test_out_that_is_a_file_or_under_one_exits_2(cli, tiny, tmp_path, target):
    f = tmp_path / "notes.txt"
    f.write_text("x")
    out = f if target == "file" else f / "run"
    res = _run(cli, tiny, out, "--no-report")
    assert res.exit_code == 2 and "is a file" in res.output, res.output
    assert "Traceback" not in res.output and f.read_text() == "x"


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_a_full_or_read_only_file_system_exits_2_and_keeps_nothing(cli, tiny, earlier,
                                                                     monkeypatch, code):
    before = _snapshot(earlier)
    real = os.replace

    def failing(src, dst, *args, **kwargs):
        if str(dst).endswith(".parquet"):
            raise OSError(code, os.strerror(code), str(dst))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", failing)
    res = _run(cli, tiny, earlier, "--seed", "2", "--no-report", "--overwrite")
    monkeypatch.undo()
    assert res.exit_code == 2, res.output
    assert os.strerror(code) in res.output and "Traceback" not in res.output
    assert _snapshot(earlier) == before and _hidden(earlier) == []


def test_an_interrupt_during_the_report_keeps_the_old_run(cli, tiny, earlier, monkeypatch):
    import corridor.report

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    before = _snapshot(earlier)
    monkeypatch.setattr(corridor.report, "write_report", interrupted)
    res = _run(cli, tiny, earlier, "--seed", "2", "--overwrite")
    assert res.exit_code == 130
    assert _snapshot(earlier) == before and _hidden(earlier) == []


def test_the_report_is_written_inside_the_run_and_names_its_final_folder(cli, tiny, tmp_path):
    out = tmp_path / "run"
    res = _run(cli, tiny, out)
    assert res.exit_code == 0, res.output
    html = (out / "report.html").read_text()
    assert str(out) in html and ".tmp-" not in html
    assert json.loads((out / "run.json").read_text())["complete"] is True


def test_readers_refuse_a_run_that_is_not_complete(cli, tiny, earlier):
    from corridor.io.rundir import OutputFolderError

    meta = json.loads((earlier / "run.json").read_text())
    meta["complete"] = False
    (earlier / "run.json").write_text(json.dumps(meta))
    for command in (["report", str(earlier)], ["score", str(earlier)]):
        res = cli.invoke(app, command)
        assert res.exit_code == 2 and "not a complete run" in res.output, res.output
    with pytest.raises(OutputFolderError):
        corridor.load_result(earlier)
    from corridor.report.build import write_report
    from corridor.report.data import RunFolderError

    with pytest.raises(RunFolderError, match="complete"):
        write_report(earlier)


def test_what_ifs_without_out_get_their_own_folder(cli, tiny, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = cli.invoke(app, ["run", str(tiny), "-q", "--no-report"])
    assert res.exit_code == 0, res.output
    base = tmp_path / "results" / "tiny"
    before = _snapshot(base)
    res = cli.invoke(app, ["run", str(tiny), "-q", "--no-report", "--set", "walk_speed_km=10"])
    assert res.exit_code == 0, res.output
    what_if = Path("results") / "tiny-set-walk_speed_km=10"
    assert f"results in {what_if}" in res.output
    assert json.loads((what_if / "run.json").read_text())["parameters"]["walk_speed_km"] == 10
    assert _snapshot(base) == before


def test_default_folder_names_each_change():
    from corridor.cli.main import default_folder

    assert default_folder("caravan-2020") == Path("results/caravan-2020")
    assert default_folder("caravan-2020", without=["mx-transit-denial"]) == Path(
        "results/caravan-2020-without-mx-transit-denial")
    name = default_folder("x" * 5000, settings=["a/b=1"]).name
    assert len(name) <= 120 and "/" not in name
    assert default_folder("x" * 5000) != default_folder("x" * 4999)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_hidden_folders_of_dead_runs_are_cleaned_by_the_next_run(cli, tiny, earlier):
    dead = earlier.with_name(f".{earlier.name}.tmp-{_dead_pid()}-0badcafe")
    dead.mkdir()
    (dead / "daily.parquet").write_text("half")
    alive = earlier.with_name(f".{earlier.name}.tmp-{os.getppid()}-00c0ffee")
    alive.mkdir()
    res = _run(cli, tiny, earlier, "--overwrite", "--no-report")
    assert res.exit_code == 0, res.output
    assert not dead.exists() and alive.is_dir()  # a live process's folder is not ours to touch


def test_an_old_run_parked_by_a_killed_swap_comes_back(tmp_path):
    from corridor.io.rundir import clean_stale

    final = tmp_path / "run"
    parked = tmp_path / f".run.old-{_dead_pid()}-12345678"
    parked.mkdir()
    (parked / "run.json").write_text("{}")
    clean_stale(final)
    assert (final / "run.json").is_file() and not parked.exists()


KILLED_IN_REPORT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import corridor.report
    marker = Path(sys.argv[1])
    def stuck(run_dir, *args, **kwargs):
        marker.write_text(str(run_dir))
        time.sleep(120)
    corridor.report.write_report = stuck
    from corridor.cli.main import main
    sys.argv = ["corridor", "run", sys.argv[2], "--out", sys.argv[3], "--seed", "2",
                "--overwrite", "-q"]
    main()
""")


def test_sigkill_during_the_report_leaves_the_old_run_then_the_next_run_cleans_up(
        cli, tiny, earlier, tmp_path):
    before = _snapshot(earlier)
    marker = tmp_path / "in-report"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen([sys.executable, "-c", KILLED_IN_REPORT, str(marker), str(tiny),
                             str(earlier)], env=env)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), "the run never reached its report"
        staged = Path(marker.read_text())
        assert staged.parent == earlier.parent and staged.name.startswith(".run.tmp-")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert _snapshot(earlier) == before  # the old run, whole
    assert _hidden(earlier) == [staged]
    res = _run(cli, tiny, earlier, "--seed", "3", "--overwrite", "--no-report")
    assert res.exit_code == 0, res.output
    assert _hidden(earlier) == [] and json.loads((earlier / "run.json").read_text())["seed"] == 3


def test_result_write_is_one_unit_too(tiny, tmp_path):
    result = corridor.run(tiny, seed=1)
    folder = result.write(tmp_path / "r")
    assert corridor.load_result(folder).summary == result.summary
    from corridor.io.rundir import OutputFolderError

    with pytest.raises(OutputFolderError, match="--overwrite"):
        result.write(tmp_path / "r")
    result.write(tmp_path / "r", overwrite=True)


def test_import_flee_needs_overwrite_and_never_replaces_other_folders(cli, tmp_path):
    from test_flee_cli import TINY_SCENARIO
    from test_flee_files import write_tiny

    write_tiny(tmp_path, TINY_SCENARIO)
    args = ["import-flee", str(tmp_path / "input"), str(tmp_path / "validation"),
            "--country", "Homeland=XH", "--country", "Neighbour=XN", "--out"]
    out = tmp_path / "sc"
    assert cli.invoke(app, [*args, str(out)]).exit_code == 0
    res = cli.invoke(app, [*args, str(out)])
    assert res.exit_code == 2 and "--overwrite" in res.output
    assert cli.invoke(app, [*args, str(out), "--overwrite"]).exit_code == 0
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    res = cli.invoke(app, [*args, str(other), "--overwrite"])
    assert res.exit_code == 2 and (other / "keep.txt").read_text() == "mine"


def test_an_ensemble_never_writes_into_a_folder_of_other_files(cli, tiny, tmp_path):
    pytest.importorskip("duckdb")
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("mine")
    res = cli.invoke(app, ["ensemble", str(tiny), "--runs", "1", "-j", "1", "--out", str(home),
                           "-q", "--no-report"])
    assert res.exit_code == 2 and "does not hold a study" in res.output, res.output
    assert [p.name for p in home.iterdir()] == ["notes.txt"]
