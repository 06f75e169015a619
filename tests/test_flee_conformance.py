"""Conformance with Flee 3.1: small ensembles on Mali 2012 and Burundi 2015 against the
reference outputs of Flee itself (in `shared/flee-scenarios/reference/`).

For each camp, the mean daily count of the Corridor ensemble must differ from the mean of Flee's
replicates by no more than Flee's replicates differ among themselves (the range of their mean
daily counts), plus twice the standard error of the ensemble's own mean. The ensemble's mean
ARD must be within ±0.03 of Flee's.
"""

from __future__ import annotations

import numpy as np
import pytest

from corridor.analysis.ard import ard
from corridor.engine.simulation import Simulation
from corridor.flee.convert import load_flee
from corridor.flee.outcsv import read_out_csv

CASES = {
    # scenario: (ensemble size, settings)
    "mali2012": (4, []),
    "burundi2015": (3, ["compat=flee-3.1"]),
}


def _ensemble(shared_dir, name):
    base = shared_dir / "flee-scenarios" / name
    size, settings = CASES[name]
    sc = load_flee(base / "input", base / "validation", base / "simsetting.yml", settings)
    runs, observed, camps = [], None, None
    for seed in range(size):
        sim = Simulation(sc, seed=seed)
        sim.run()
        runs.append(sim.model.camp_counts.astype(float))
        observed = sim.model.camp_observed()
        camps = [sim.network.names[p] for p in sim.model.camp_places]
    return np.array(runs), observed, camps


def _reference(shared_dir, name):
    prefix = name.removesuffix("2012").removesuffix("2015")
    files = sorted((shared_dir / "flee-scenarios" / "reference").glob(f"{prefix}-flee31-rep*.csv"))
    assert len(files) >= 2, "need at least two Flee replicates"
    return [read_out_csv(f) for f in files]


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_flee_conformance(shared_dir, name):
    runs, observed, camps = _ensemble(shared_dir, name)
    refs = _reference(shared_dir, name)
    assert list(refs[0].camps) == camps
    np.testing.assert_array_equal(refs[0].observed, observed)  # same validation data
    flee = np.array([r.simulated for r in refs])
    assert flee.shape[1:] == runs.shape[1:]

    ours = runs.mean(axis=1)           # (members, camps): mean daily count of each member
    theirs = flee.mean(axis=1)         # (replicates, camps)
    spread = theirs.max(axis=0) - theirs.min(axis=0)
    allowed = spread + 2 * ours.std(axis=0, ddof=1) / np.sqrt(len(ours))
    gap = np.abs(ours.mean(axis=0) - theirs.mean(axis=0))
    outside = [(c, round(g), round(a)) for c, g, a in zip(camps, gap, allowed, strict=True)
               if g > a]
    assert not outside, f"camps differing more than allowed (camp, gap, allowed): {outside}"

    ard_ours = np.mean([ard(r, observed) for r in runs])
    ard_flee = np.mean([ard(r.simulated, r.observed) for r in refs])
    assert abs(ard_ours - ard_flee) <= 0.03, (ard_ours, ard_flee)


def test_total_people_match_flee_exactly(shared_dir):
    """Spawning is deterministic in count: everybody Flee creates, Corridor creates too."""
    base = shared_dir / "flee-scenarios" / "mali2012"
    sc = load_flee(base / "input", base / "validation", base / "simsetting.yml", ["days=120"])
    sim = Simulation(sc, seed=3)
    sim.run()
    ref = _reference(shared_dir, "mali2012")[0].columns
    m = sim.model
    np.testing.assert_array_equal(m.total_agents, ref["total refugees (simulation)"][:120])
    np.testing.assert_array_equal(m.raw_by_day, ref["raw UNHCR refugee count"][:120])
    np.testing.assert_array_equal(m.debt_by_day, ref["refugee_debt"][:120])
