"""Writing the report says what it does on a terminal (it takes 5–13 s) and nothing elsewhere."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import write_scenario
from rich.console import Console
from typer.testing import CliRunner

from corridor.cli.main import app
from corridor.cli.progress import report_progress

pytest.importorskip("plotly")
pytest.importorskip("matplotlib")

from corridor.report import write_report  # noqa: E402


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("progress")
    out = base / "run"
    res = CliRunner().invoke(app, ["run", str(write_scenario(base / "tiny")), "--days", "8",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    # not a terminal (the test runner's stderr): no progress line at all
    assert "writing the report" not in res.stderr and (out / "report.html").is_file()
    return out


def test_every_step_is_announced_in_order_and_the_last_says_done(run_dir: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    write_report(run_dir, out=run_dir / "again.html", progress=lambda *a: calls.append(a))
    names = [name for name, _, _ in calls]
    done = [d for _, d, _ in calls]
    total = calls[0][2]
    assert all(t == total for _, _, t in calls)
    assert done == sorted(done) and done[0] == 0 and calls[-1] == ("done", total, total)
    for section in ("the map", "day by day", "the outcomes diagram", "the observations"):
        assert section in names
    assert len(set(done)) == total + 1  # one call per step, none skipped


def test_a_terminal_gets_a_progress_line_and_a_pipe_gets_nothing(run_dir: Path) -> None:
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=80)
    with report_progress(console=terminal) as step:
        write_report(run_dir, out=run_dir / "tty.html", progress=step)
    shown = screen.getvalue()
    assert "writing the report" in shown and "the map" in shown and "steps" in shown
    pipe = io.StringIO()
    with report_progress(console=Console(file=pipe, force_terminal=False)) as step:
        write_report(run_dir, out=run_dir / "pipe.html", progress=step)
    assert pipe.getvalue() == ""
    quiet = io.StringIO()
    with report_progress(enabled=False, console=Console(file=quiet, force_terminal=True)) as step:
        step("the map", 1, 2)
    assert quiet.getvalue() == ""
