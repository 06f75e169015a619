"""Benchmark (not part of the default test run): Flee 3.1 vs Corridor on Mali, ×1 and ×10."""

from pathlib import Path

import pytest

from benchmarks.flee_benchmark import FLEE_PYTHON, SHARED, compare, table


@pytest.mark.benchmark
def test_flee_vs_corridor_on_mali():
    if not Path(FLEE_PYTHON).exists():
        pytest.skip(f"no Flee environment at {FLEE_PYTHON} (set FLEE_PYTHON)")
    if not (SHARED / "flee-scenarios" / "mali2012").is_dir():
        pytest.skip("shared Flee scenarios not found")
    rows = compare("mali2012", (1, 10), 300)
    print("\n" + table(rows))
    by = {(r["engine"], r["scale"]): r for r in rows}
    for scale in (1, 10):
        corridor, flee = by[("corridor", scale)], by[("flee-3.1", scale)]
        assert corridor["final_agents"] == flee["final_agents"]
        assert abs(corridor["ard"] - flee["ard"]) <= 0.03
        assert corridor["wall_time_s"] * 10 < flee["wall_time_s"]
        counts = by[("corridor-counts", scale)]
        assert counts["final_agents"] == flee["final_agents"]
        assert abs(counts["ard"] - flee["ard"]) <= 0.03
        # the targets of the Flee and scale issues: 1,000× at ×1 and ×10, a tenth of the memory
        assert counts["wall_time_s"] * 1000 <= flee["wall_time_s"]
        assert counts["model_mb"] * 10 <= flee["model_mb"]
