"""Benchmark (not part of the default test run): `make bench`."""

import pytest

from benchmarks.scale import CASES, run_case, table


@pytest.mark.benchmark
def test_scale_table():
    rows = [run_case(*case) for case in CASES]
    print("\n" + table(rows))
    counts = {r["factor"]: r for r in rows if r["scenario"] == "caravan-2020"
              and r.get("engine") == "counts" and "wall_s" in r}
    assert counts[1000]["peak_rss_mb"] < 4 * counts[1]["peak_rss_mb"] + 500
    mali = {r["factor"]: r for r in rows if r["scenario"] == "mali2012"
            and r.get("engine") == "counts" and "wall_s" in r}
    assert mali[100]["wall_s"] <= 2 * mali[1]["wall_s"]  # time that does not grow with people
