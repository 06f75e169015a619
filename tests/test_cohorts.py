"""Cohorts kept apart in the outputs: per-cohort counts add up to the totals."""

import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tiny_fixture import write_scenario

import corridor
from corridor.scenario.cohorts import ALL, OTHER, cohort_labels
from corridor.scenario.model import DepartureRow

ENGINES = ("agents", "counts")
TWO_COHORTS = """date,origin,count,nationality,cohort
2020-01-01,a,700,HN,caravan
2020-01-02,a,300,HN,caravan
2020-01-01,a,250,SV,background
2020-01-05,a,400,SV,background
"""


def _sums(table, keys):
    """{key tuple: summed count} of a table (keys as column names)."""
    grouped = table.group_by(list(keys)).aggregate([("count", "sum")]).to_pylist()
    return {tuple(r[k] for k in keys): r["count_sum"] for r in grouped}


def _departed_by_day(departures_csv: str, days: int) -> dict[str, list[int]]:
    """People departed so far per cohort and day, from the departures text."""
    import csv
    import datetime as dt
    import io

    out: dict[str, list[int]] = {}
    for row in csv.DictReader(io.StringIO(departures_csv)):
        day = (dt.date.fromisoformat(row["date"]) - dt.date(2020, 1, 1)).days
        series = out.setdefault(row.get("cohort") or ALL, [0] * days)
        for d in range(day, days):
            series[d] += int(row["count"])
    return out


def test_cohort_labels_name_the_unnamed():
    def rows(*cohorts):
        return [DepartureRow.model_validate(
            {"date": "2020-01-01", "origin": "a", "count": 1,
             **({"cohort": c} if c is not None else {})}) for c in cohorts]

    assert cohort_labels(rows(None, None)) == (ALL,)
    assert cohort_labels(rows("", None)) == (ALL,)
    assert cohort_labels(rows("b", "a", "b")) == ("b", "a")
    assert cohort_labels(rows("a", "")) == ("a", OTHER)
    assert cohort_labels(()) == (ALL,)


@pytest.mark.parametrize("engine", ENGINES)
def test_two_cohorts_add_up_and_match_their_departures(tmp_path, engine):
    folder = write_scenario(tmp_path / "sc", departures_csv=TWO_COHORTS)
    res = corridor.run(folder, engine=engine)
    daily = res.daily
    assert set(daily["cohort"].to_pylist()) == {"caravan", "background"}
    per_cohort_day = _sums(daily, ("cohort", "day"))
    expected = _departed_by_day(TWO_COHORTS, 20)
    for cohort, series in expected.items():
        for day, n in enumerate(series):
            assert per_cohort_day.get((cohort, day), 0) == n
    # departures in the transitions, the outcomes and the summary, per cohort
    trans = res.transitions
    departed = _sums(trans.filter(pc.equal(trans["rule"], "departure")), ("cohort",))
    assert departed == {("caravan",): 1000, ("background",): 650}
    assert _sums(res.outcomes, ("cohort",)) == departed
    by_cohort = res.summary["by_cohort"]
    assert {k: v["departed"] for k, v in by_cohort.items()} == {"caravan": 1000,
                                                                "background": 650}
    # the last day's states per cohort add up to the run's
    totals: dict[str, int] = {}
    for v in by_cohort.values():
        for state, n in v["by_state"].items():
            totals[state] = totals.get(state, 0) + n
    assert totals == res.summary["by_state"]
    # flows: each cohort's hops out of the origin are its people (no way back from b)
    flows = res.flows
    out_of_a = _sums(flows.filter(pc.equal(flows["from_place"], "a")), ("cohort",))
    assert out_of_a == {("caravan",): 1000, ("background",): 650}


@st.composite
def departures(draw):
    """Departure rows whose cohort is a function of nationality (so groups stay the same)."""
    nats = ("HN", "SV", "GT")
    cohort_of = {n: draw(st.sampled_from(("", "caravan", "background", "late"))) for n in nats}
    rows = draw(st.lists(st.tuples(st.integers(0, 6), st.sampled_from(nats),
                                   st.integers(0, 400)), min_size=1, max_size=6))
    plain = "date,origin,count,nationality\n" + "".join(
        f"2020-01-{d + 1:02d},a,{c},{n}\n" for d, n, c in rows)
    with_cohort = "date,origin,count,nationality,cohort\n" + "".join(
        f"2020-01-{d + 1:02d},a,{c},{n},{cohort_of[n]}\n" for d, n, c in rows)
    return plain, with_cohort


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(deps=departures(), seed=st.integers(0, 2**16))
@pytest.mark.parametrize("engine", ENGINES)
def test_sum_over_cohorts_is_the_total(tmp_path_factory, engine, deps, seed):
    """The same run with and without cohorts: summed over cohorts, every table is the same."""
    plain, with_cohort = deps
    base = tmp_path_factory.mktemp("coh")
    runs = [corridor.run(write_scenario(base / name, departures_csv=text), seed=seed,
                         engine=engine)
            for name, text in (("plain", plain), ("cohorts", with_cohort))]
    keys = {"daily": ("day", "place", "state"), "flows": ("day", "from_place", "to_place"),
            "transitions": ("day", "place", "from_state", "to_state", "rule"),
            "outcomes": ("state", "place", "countries", "kinds")}
    for table, key in keys.items():
        assert _sums(runs[1].table(table), key) == _sums(runs[0].table(table), key), table
    assert set(runs[0].daily["cohort"].to_pylist()) <= {ALL}
    assert runs[1].summary["by_state"] == runs[0].summary["by_state"]
    assert (sum(v["departed"] for v in runs[1].summary["by_cohort"].values())
            == runs[0].summary["departed"])
