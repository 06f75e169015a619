"""`case_review` decides person by person (row by row with counts), and must stand where people
are detained."""

import pytest
from corridor_fixture import build, departures

from corridor.engine.simulation import Simulation
from corridor.errors import ScenarioError

CHECKPOINT = """
[[rule]]
id = "cp"
kind = "checkpoint"
where = { place = "tp" }
intercept_chance = 1.0
on_intercept = "detain"
detain_at = "st"
"""
REVIEW = """
[[rule]]
id = "review"
kind = "case_review"
places = ["{place}"]
settle_at = "tp"
on_refuse = "return"
"""
HN_DENIED = """
[[rule]]
id = "denial"
kind = "transit_permit"
regions = ["Chiapas"]
issued = false
intercept_chance = 1.0
on_intercept = "detain"
detain_at = "st"
who = { nationality = ["HN"] }
"""
RULES = CHECKPOINT + REVIEW.format(place="st") + HN_DENIED


def _run(deps: str, engine: str) -> dict[str, int]:
    # everybody walks at the same speed: the two nationalities are reviewed on the same day
    sc = build(RULES, deps=deps, days=80, settings=["ride_chance=0"])
    return Simulation(sc, seed=2, engine=engine).run().summary["by_state"]


@pytest.mark.parametrize("engine", ["agents", "counts"])
def test_salvadorans_are_not_denied_whether_reviewed_alone_or_beside_hondurans(engine):
    alone = _run(departures(200, "SV"), engine)
    assert alone == {"arrived": 200}
    beside = _run(departures(200, "HN", extra="2020-01-01,o,200,SV\n"), engine)
    assert beside == {"arrived": 200, "detained": 200}  # the 200 Hondurans wait for a seat home


def test_a_case_review_where_nobody_is_detained_is_refused_by_check():
    rules = CHECKPOINT + REVIEW.format(place="ch")  # a town: no detention, no detain_at
    with pytest.raises(ScenarioError) as info:
        build(rules)
    text = str(info.value)
    assert "rules.toml" in text and "review" in text and "places" in text and "'ch'" in text


def test_a_case_review_at_a_detention_place_is_accepted():
    build(CHECKPOINT + REVIEW.format(place="st"))  # no error
