"""Benchmark (not part of the default test run): ensemble throughput by backend, `make bench`."""

import pytest

pytest.importorskip("duckdb")
pytest.importorskip("dask.distributed")

from benchmarks.ensemble_throughput import run_all, table  # noqa: E402

MEMBERS = 24


@pytest.mark.benchmark
def test_ensemble_throughput_by_backend():
    rows, costs = run_all(MEMBERS)
    print("\n" + table(rows, costs))
    by = {r["backend"]: r for r in rows}
    # two workers must be faster than one, locally and on the cluster
    assert by["processes-2"]["members_per_s"] > 1.3 * by["processes-1"]["members_per_s"]
    assert by["dask-localcluster-2"]["members_per_s"] > 1.3 * by["dask-localcluster-1"][
        "members_per_s"]
    # a member costs a worker less than half a simulation more than the simulation itself
    assert by["processes-1"]["overhead_s_per_member"] < 0.5 * costs["simulation_s"]
