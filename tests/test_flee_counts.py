"""The count representation of the `flee` model is statistically its individual representation.

Mali 2012, shortened and with populations divided by `hasten` (so that the individual runs are
quick), runs with many seeds in both representations; every (day, place, state) cell is compared
with the procedure of `test_counts_equivalence.py` (Welch + Brown–Forsythe, Holm). The same
procedure detects a 5 % change of the default move chance. On the full Mali run, the count
representation's ARD is within ±0.03 of Flee 3.1's.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_counts_equivalence import paired, rejections

from corridor.analysis.ard import ard
from corridor.engine.simulation import Simulation
from corridor.flee.convert import load_flee
from corridor.flee.outcsv import read_out_csv

SEEDS = list(range(30))
DAYS = [15, 30, 45, 60, 75, 90, 105, 119]


def _mali(shared_dir, *settings):
    base = shared_dir / "flee-scenarios" / "mali2012"
    return load_flee(base / "input", base / "validation", base / "simsetting.yml",
                     list(settings))


@pytest.fixture(scope="module")
def short_mali(shared_dir):
    return _mali(shared_dir, "days=120", "hasten=10")


def test_counts_match_agents_on_mali(short_mali):
    a, b = paired(short_mali, short_mali, SEEDS, DAYS)
    assert a.shape[1] > 50
    assert rejections(a, b) == []


def test_the_comparison_detects_a_five_percent_change_of_a_move_chance(shared_dir,
                                                                          short_mali):
    changed = _mali(shared_dir, "days=120", "hasten=10", "default_movechance=0.315")
    a, b = paired(short_mali, changed, SEEDS, DAYS)
    assert len(rejections(a, b)) > 0


def test_counts_rows_stay_few_and_people_are_conserved(short_mali):
    sim = Simulation(short_mali, seed=1, engine="counts")
    sim.run()
    assert sim.engine == "counts"
    assert sim.people() == sim.departed
    assert sim.agents.n < 2000  # rows, for about 15,000 people


def test_counts_ard_is_within_003_of_flee(shared_dir):
    sc = _mali(shared_dir)
    runs, observed = [], None
    for seed in range(4):
        sim = Simulation(sc, seed=seed, engine="counts")
        sim.run()
        runs.append(sim.model.camp_counts.astype(float))
        observed = sim.model.camp_observed()
    files = sorted((shared_dir / "flee-scenarios" / "reference").glob("mali-flee31-rep*.csv"))
    assert len(files) >= 2
    refs = [read_out_csv(f) for f in files]
    ard_flee = np.mean([ard(r.simulated, r.observed) for r in refs])
    ard_ours = np.mean([ard(r, observed) for r in runs])
    assert abs(ard_ours - ard_flee) <= 0.03, (ard_ours, ard_flee)


def test_camps_as_sinks_deactivate_as_many_people_with_counts(shared_dir):
    sc = _mali(shared_dir, "days=60", "hasten=10", "camps_are_sinks=true", "compat=documented",
               "deactivation_probability.fassala-mbera=0.05")
    agents = Simulation(sc, seed=1, engine="agents")
    agents.run()
    counts = Simulation(sc, seed=1, engine="counts")
    counts.run()
    off_agents = int((~agents.model.cols["active"][: agents.agents.n]).sum())
    a = counts.agents
    off_counts = int(a.count[~a.active].sum())
    assert off_agents > 500
    assert 0.8 < off_counts / off_agents < 1.25, (off_counts, off_agents)
