"""Benchmark (not part of the default test run): `make bench`."""

import pytest

from benchmarks.engine_speed import run_all, table


@pytest.mark.benchmark
def test_engine_throughput_and_memory():
    rows = run_all()
    print("\n" + table(rows + run_all(busy=True)))
    big = rows[-1]
    assert big["state_bytes_per_agent"] < 64
    assert big["peak_rss_growth_bytes_per_agent"] < 64
    assert big["agent_steps_per_s"] >= 20e6
