"""Benchmark (not part of the default test run): the speed a user sees, against Flee 3.1.

Issue #13's targets, all measured in one run (Mali 2012 ×1, 300 days): Corridor's whole
process with counts at least 150× faster than Flee 3.1's whole process, with agents at least
60×, and the warm in-process count run at least 2,000×.
"""

from pathlib import Path

import pytest

from benchmarks.flee_end_to_end import FLEE_PYTHON, RESULTS, SHARED, one_run, shortfalls, table


@pytest.mark.benchmark
def test_whole_process_and_warm_against_flee31():
    if not Path(FLEE_PYTHON).exists():
        pytest.skip(f"no Flee environment at {FLEE_PYTHON} (set FLEE_PYTHON)")
    if not (SHARED / "flee-scenarios" / "mali2012").is_dir():
        pytest.skip("shared Flee scenarios not found")
    result = one_run("mali2012", 300)
    print("\n" + table(result))
    import json

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    people = {r["final_agents"] for r in result["rows"]}
    assert len(people) == 1, people  # the same people in every run
    missed = shortfalls(result)
    assert not missed, "targets missed: " + "; ".join(missed)
