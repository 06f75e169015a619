"""Route options and weights against Flee 3.1 itself (needs Flee's environment: FLEE_PYTHON)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from corridor.engine.flee_kernels import capacity_factor
from corridor.engine.gates import Gates
from corridor.engine.simulation import Simulation
from corridor.flee.convert import load_flee

REPO = Path(__file__).resolve().parents[1]
FLEE_PYTHON = Path(os.environ.get("FLEE_PYTHON", "/work/flee-venv/bin/python"))


@pytest.mark.slow
@pytest.mark.parametrize("level", [1, 2, 3])
def test_route_options_and_weights_match_flee(shared_dir, tmp_path, level):
    if not FLEE_PYTHON.exists():
        pytest.skip(f"no Flee environment at {FLEE_PYTHON} (set FLEE_PYTHON)")
    base = shared_dir / "flee-scenarios" / "burundi2015"
    out = tmp_path / "routes.json"
    subprocess.run([str(FLEE_PYTHON), str(REPO / "benchmarks" / "flee_routes.py"),
                    str(base / "input"), str(base / "simsetting.yml"), str(level), str(out)],
                   check=True, capture_output=True)
    theirs = json.loads(out.read_text())
    sc = load_flee(base / "input", base / "validation", base / "simsetting.yml",
                   [f"awareness_level={level}", "compat=flee-3.1"])
    sim = Simulation(sc, seed=0)
    m, net = sim.model, sim.network
    m._apply_conflicts(0)
    m._apply_closures(0, Gates.open(net.n_places, net.n_links))
    m.link_open[:] = True  # the dump is made without closures
    m._build_paths()
    score, pop_weight, _ = m._daily_place_arrays(0)
    empty = np.zeros(net.n_places, dtype=np.int64)
    for i, name in enumerate(net.names):
        ours = []
        for k in range(m.opt_ptr[i], m.opt_ptr[i + 1]):
            start, length, end = m.opt_route[k], m.opt_rlen[k], m.opt_end[k]
            nodes = [net.names[x] for x in m.route_store[start:start + length]]
            weight = (score[end] * pop_weight[end] * m.opt_inv[k]
                      * capacity_factor(end, empty, m.capacity, sc.parameters.capacity_buffer))
            ours.append([nodes, weight])
        ours.sort()
        assert [r for r, _ in ours] == [r for r, _ in theirs[name]], name
        np.testing.assert_allclose([w for _, w in ours], [w for _, w in theirs[name]],
                                   rtol=1e-9, err_msg=name)
