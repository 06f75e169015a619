"""The report reads the scenario's CSV files as the loader does: comments, blank rows, numbers.

`corridor run` used to exit 2 after writing its results when a file had rows the loader skips
(the report read them as data): the whole command must succeed, and a bad row must be named by
the row number the loader would give.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_fixture import TINY_DEPARTURES, TINY_PLACES, TINY_ROUTES, write_scenario
from typer.testing import CliRunner

from corridor.cli.main import app

pytest.importorskip("plotly")

OBSERVATIONS = """period_start,period_end,place,kind,value,low,high,source
# counted by a shelter; a comment row, with, commas
2020-01-05,2020-01-05,Charlie,present,300,200,400,S1

,,,,,,,
  # an indented comment
2020-01-02,2020-01-04,Alpha,departed,1000,,,S2
"""


def _with_comments(text: str) -> str:
    head, *rows = text.strip("\n").split("\n")
    width = head.count(",")
    return "\n".join([head, "# a comment after the header", *rows[:1], "", "," * width,
                      "   #another, comment", *rows[1:]]) + "\n"


def test_rows_the_loader_skips_do_not_stop_the_report(tmp_path: Path) -> None:
    folder = write_scenario(tmp_path / "commented", places_csv=_with_comments(TINY_PLACES),
                            routes_csv=_with_comments(TINY_ROUTES),
                            departures_csv=_with_comments(TINY_DEPARTURES),
                            observations_csv=OBSERVATIONS)
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["run", str(folder), "--days", "8", "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Charlie" in html and "S1" in html  # the observation after the comment is read
    assert "a comment after the header" not in html and "another, comment" not in html


def test_a_bad_observation_is_named_by_the_loaders_row_number(tmp_path: Path) -> None:
    from corridor.errors import ScenarioError
    from corridor.scenario import load_scenario

    bad = OBSERVATIONS + "2020-01-06,2020-01-06,Charlie,present,many,,,S3\n"
    folder = write_scenario(tmp_path / "bad", observations_csv=bad)
    with pytest.raises(ScenarioError) as loader:
        load_scenario(folder)
    loader_rows = {p.row for p in loader.value.problems if p.file.endswith("observations.csv")}
    # the same file in a run folder's scenario copy, read by the report
    from corridor.report.data import RunFolderError, _read_observations

    run = tmp_path / "run"
    (run / "scenario").mkdir(parents=True)
    (run / "scenario" / "observations.csv").write_text(bad, encoding="utf-8")
    with pytest.raises(RunFolderError) as report:
        _read_observations(run)
    assert {p.row for p in report.value.problems} == loader_rows == {8}
