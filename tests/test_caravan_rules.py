"""What-ifs on the built-in caravan scenario: switching rules off."""

import numpy as np
import pyarrow.compute as pc

import corridor


def per_day_totals(result):
    daily = result.daily
    days = daily["day"].to_numpy()
    counts = daily["count"].to_numpy()
    return np.bincount(days, weights=counts)


def test_without_guatemala_aca_nobody_is_transferred_and_all_are_conserved():
    base = corridor.run("caravan-2020", seed=5)
    off = corridor.run("caravan-2020", seed=5, settings=["rules.gt-aca.enabled=false"])
    assert off.summary["by_state"].get("transferred_aca", 0) == 0
    moved_in = pc.sum(pc.filter(off.transitions["count"], pc.equal(off.transitions["to_state"],
                                                                     "transferred_aca")))
    assert (moved_in.as_py() or 0) == 0
    assert off.summary["departed"] == base.summary["departed"]
    assert sum(off.summary["by_state"].values()) == off.summary["departed"]
    departures = np.cumsum(np.bincount(
        off.transitions.filter(pc.equal(off.transitions["rule"], "departure"))["day"].to_numpy(),
        weights=off.transitions.filter(pc.equal(off.transitions["rule"], "departure"))[
            "count"].to_numpy(), minlength=len(per_day_totals(off))))
    assert np.array_equal(per_day_totals(off), departures)
