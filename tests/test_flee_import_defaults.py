"""What a Flee user gets by default: Flee 3.1's reading, the differences printed, hasten once."""

from __future__ import annotations

import csv
import datetime as dt
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from corridor.cli.main import app
from corridor.cli.register import all_commands
from corridor.engine.simulation import Simulation
from corridor.scenario import load_scenario

all_commands(app)
HASTEN = 10
DAYS = 100


def _unhcr_total(path, start: dt.date, day: int) -> float:
    """The UNHCR total of a day read straight from refugees.csv (straight line between dates)."""
    with open(path, encoding="utf-8") as f:
        rows = [(dt.date.fromisoformat(r[0]), float(r[1])) for r in list(csv.reader(f))[1:]]
    days = np.array([(d - start).days for d, _ in rows], dtype=float)
    return float(np.interp(day, days, [c for _, c in rows]))


@pytest.fixture
def mali_hasten(shared_dir, tmp_path):
    """Mali 2012 with `hasten: 10` in its simsetting.yml (as Syria 2013 of FabFlee sets it)."""
    src = shared_dir / "flee-scenarios" / "mali2012"
    dst = tmp_path / "mali-hasten"
    shutil.copytree(src, dst)
    settings = dst / "simsetting.yml"
    text = settings.read_text()
    assert "hasten: 1\n" in text
    settings.write_text(text.replace("hasten: 1\n", f"hasten: {HASTEN}\n"))
    return dst


def test_hasten_is_applied_once(mali_hasten, shared_dir, tmp_path):
    """Import + run: the people simulated follow the UNHCR total divided by hasten, once."""
    out = tmp_path / "imported"
    res = CliRunner().invoke(app, ["import-flee", str(mali_hasten / "input"),
                                   str(mali_hasten / "validation"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    sc = load_scenario(out, [f"days={DAYS}"])
    assert sc.parameters.hasten == HASTEN
    sim = Simulation(sc, seed=3, engine="counts")
    sim.run()
    m = sim.model
    start = sc.config.start_date
    refugees = mali_hasten / "validation" / "refugees.csv"
    for day in (0, 40, DAYS - 1):
        unhcr = _unhcr_total(refugees, start, day)
        # the raw UNHCR count is the total of that day, divided by hasten once
        assert abs(m.raw_by_day[day] - unhcr / HASTEN) <= 1, (day, m.raw_by_day[day], unhcr)
    # everybody simulated: a tenth of Flee 3.1's own total at full scale, within 1 % (each
    # dated count is divided before interpolation); a second division would give a hundredth
    with open(shared_dir / "flee-scenarios" / "reference" / "mali-flee31-rep1.csv",
              encoding="utf-8") as f:
        flee = float(list(csv.DictReader(f))[DAYS - 1]["total refugees (simulation)"])
    assert abs(m.total_agents[DAYS - 1] - flee / HASTEN) <= 0.01 * flee / HASTEN
    # the observations the run is scored against are divided the same way
    observed = m.camp_observed()[DAYS - 1].sum()
    assert 0.5 * m.camp_counts[DAYS - 1].sum() < observed < 2 * m.camp_counts[DAYS - 1].sum()


def test_import_defaults_to_flee_31_and_prints_what_differs(shared_dir, tmp_path):
    base = shared_dir / "flee-scenarios" / "burundi2015"
    out = tmp_path / "burundi"
    res = CliRunner().invoke(app, ["import-flee", str(base / "input"), str(base / "validation"),
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert load_scenario(out).parameters.compat == "flee-3.1"
    assert "capacity_scaling: 1.25 is ignored by Flee 3.1" in res.output
    assert "forced redirection" in res.output
    documented = CliRunner().invoke(app, ["import-flee", str(base / "input"),
                                          str(base / "validation"), "--out",
                                          str(tmp_path / "doc"), "--compat", "documented"])
    assert documented.exit_code == 0, documented.output
    assert load_scenario(tmp_path / "doc").parameters.compat == "documented"
    assert "--compat flee-3.1" in documented.output


def test_import_mali_says_both_readings_agree(shared_dir, tmp_path):
    base = shared_dir / "flee-scenarios" / "mali2012"
    res = CliRunner().invoke(app, ["import-flee", str(base / "input"), str(base / "validation"),
                                   "--out", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    assert "would give the same model" in res.output


def test_bad_compat_is_exit_2(shared_dir, tmp_path):
    base = shared_dir / "flee-scenarios" / "mali2012"
    res = CliRunner().invoke(app, ["import-flee", str(base / "input"), str(base / "validation"),
                                   "--out", str(tmp_path / "m"), "--compat", "flee-4"])
    assert res.exit_code == 2
    assert "--compat" in res.output and not (tmp_path / "m").exists()
