"""A forecast on a Dask cluster equals the same forecast in this process (same seed)."""

import datetime as dt

import numpy as np
import pytest

distributed = pytest.importorskip("dask.distributed")

import corridor  # noqa: E402
from corridor.analysis.backends import DaskBackend, InlineBackend  # noqa: E402
from corridor.analysis.forecast import run_smc  # noqa: E402


def test_forecast_on_a_dask_cluster_is_the_same_as_here():
    sc = corridor.load_scenario("caravan-2021-01")
    as_of = dt.date(2021, 1, 16)
    here = run_smc(sc, as_of, runs=4, stages=2, horizon_days=2, seed=11,
                   backend=InlineBackend(), bands=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            there = run_smc(sc, as_of, runs=4, stages=2, horizon_days=2, seed=11,
                            backend=DaskBackend(client), bands=False)
    assert np.array_equal(here.z, there.z)
    assert np.array_equal(here.weights, there.weights)
    assert np.array_equal(here.simulated, there.simulated, equal_nan=True)
