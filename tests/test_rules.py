"""Each rule kind: its effect, its dates, its scope; and loading errors."""

import numpy as np
import pytest
from corridor_fixture import build, departures, flows, run, transitions

from corridor.engine.states import State
from corridor.errors import ScenarioError

GUARD = """
[[rule]]
id = "guard"
kind = "border_control"
where = {{ route = "t>rv" }}
entry = "irregular"
stop_chance = {p}
on_stop = "detain"
detain_at = "st"
start = "{start}"
"""
CLOSE_BRIDGE = """
[[rule]]
id = "bridge-closed"
kind = "closure"
where = { route = "t>br" }
action = "wait"
start = "2020-01-01"
end = "2020-01-20"

[[rule]]
id = "river-closed"
kind = "closure"
where = { route = "t>rv" }
action = "wait"
start = "2020-01-01"
end = "2020-01-20"
"""


# --- closure -------------------------------------------------------------------------------
def test_closure_holds_people_waiting_until_it_reopens():
    sim, res = run(CLOSE_BRIDGE, days=80)
    crossing = [r for r in res.flows.to_pylist() if r["from_place"] == "t" and r["to_place"]
                in ("br", "rv")]
    assert crossing and min(r["day"] for r in crossing) >= 20  # reopens on day 20 (21 Jan)
    waiting = [r for r in res.daily.to_pylist() if r["state"] == "waiting"]
    assert waiting and all(r["place"] == "t" for r in waiting)
    assert transitions(res, to_state="waiting", rule="bridge-closed") > 0
    assert transitions(res, from_state="waiting", to_state="in_transit") > 0
    assert res.summary["by_state"] == {"arrived": 400}


def test_reroute_closure_sends_people_the_other_way():
    rules = CLOSE_BRIDGE.split("[[rule]]")[1]
    _, res = run("[[rule]]" + rules.replace('"wait"', '"reroute"'))
    assert not flows(res, "t", "br")
    assert sum(r["count"] for r in flows(res, "t", "rv")) == 400


def test_turn_back_closure_moves_people_back_one_hop():
    _, res = run(CLOSE_BRIDGE.replace('"wait"', '"turn_back"'))
    waiting = {r["place"] for r in res.daily.to_pylist() if r["state"] == "waiting"}
    assert waiting == {"b1"}


def test_closure_not_in_force_does_nothing():
    moved = CLOSE_BRIDGE.replace("2020-01-01", "2020-03-01").replace("2020-01-20", "2020-03-05")
    _, res = run(moved)
    assert transitions(res, to_state="waiting") == 0


# --- border control ------------------------------------------------------------------------
def test_registered_entry_flags_and_counts():
    rules = """
[[rule]]
id = "ca4"
kind = "border_control"
where = { border = "HN>GT" }
entry = "registered"
register_chance = 0.5
"""
    sim, res = run(rules)
    registered = transitions(res, rule="ca4")
    assert 150 < registered < 250  # about half of 400
    from corridor.rules.flags import Flag

    flagged = np.count_nonzero(sim.agents.flags & Flag.REGISTERED)
    assert flagged == registered
    assert np.count_nonzero(sim.agents.flags & Flag.IRREGULAR) == 400 - registered


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_irregular_crossing_stop_chance(p):
    close_bridge = CLOSE_BRIDGE.split("[[rule]]")[1].replace('"wait"', '"reroute"')
    _, res = run(GUARD.format(p=p, start="2019-01-01") + "[[rule]]" + close_bridge)
    detained = transitions(res, to_state="detained", rule="guard")
    assert detained == (400 if p == 1.0 else 0)


def test_detained_people_are_held_at_the_station():
    close_bridge = CLOSE_BRIDGE.split("[[rule]]")[1].replace('"wait"', '"reroute"')
    sim, res = run(GUARD.format(p=1.0, start="2019-01-01") + "[[rule]]" + close_bridge)
    a = sim.agents
    assert (a.state == State.DETAINED).all() and (a.place == sim.network.index("st")).all()


def test_control_scope_is_its_route_only():
    # the guard watches the river; the bridge is open and unwatched
    _, res = run(GUARD.format(p=1.0, start="2019-01-01"))
    went_bridge = sum(r["count"] for r in flows(res, "t", "br"))
    assert transitions(res, rule="guard", to_state="detained") == 400 - went_bridge


def test_control_dates(tmp_path):
    close_bridge = CLOSE_BRIDGE.split("[[rule]]")[1].replace('"wait"', '"reroute"')
    _, res = run(GUARD.format(p=1.0, start="2020-02-25") + "[[rule]]" + close_bridge)
    assert transitions(res, rule="guard") == 0  # everybody crossed before it started


def test_who_nationality_scope():
    rules = GUARD.format(p=1.0, start="2019-01-01").replace(
        'entry = "irregular"', 'entry = "irregular"\nwho = { nationality = ["SV"] }')
    close_bridge = CLOSE_BRIDGE.split("[[rule]]")[1].replace('"wait"', '"reroute"')
    deps = departures(200) + "2020-01-01,o,100,SV\n"
    _, res = run(rules + "[[rule]]" + close_bridge, deps=deps)
    assert transitions(res, rule="guard", to_state="detained") == 100


# --- checkpoint, transit permit, review ------------------------------------------------------
CHECKPOINT = """
[[rule]]
id = "cp"
kind = "checkpoint"
where = { place = "tp" }
intercept_chance = 1.0
on_intercept = "detain"
detain_at = "st"
"""


def test_checkpoint_intercepts_everybody_without_permit():
    sim, res = run(CHECKPOINT)
    assert transitions(res, rule="cp", to_state="detained") == 400
    assert res.summary["by_state"] == {"detained": 400}


def test_checkpoint_lets_permit_holders_pass():
    review = """
[[rule]]
id = "review"
kind = "case_review"
places = ["st"]
settle_at = "tp"
"""
    # no transit_permit rule denies transit: the review grants permits; they then pass
    sim, res = run(CHECKPOINT + review)
    assert transitions(res, rule="review", to_state="in_transit") == 400
    assert res.summary["by_state"] == {"arrived": 400}


DENIAL = """
[[rule]]
id = "denial"
kind = "transit_permit"
regions = ["Chiapas"]
issued = false
intercept_chance = 1.0
on_intercept = "detain"
detain_at = "st"
"""


def test_transit_denial_review_offers_and_returns():
    review = """
[[rule]]
id = "review"
kind = "case_review"
places = ["st"]
accept_chance = 0.25
settle_at = "tp"
on_refuse = "return"
"""
    sim, res = run(CHECKPOINT + review + DENIAL)
    settled = transitions(res, rule="review", to_state="settled_south")
    assert 60 < settled < 140
    a = sim.agents
    assert (a.state[a.state == State.SETTLED_SOUTH].size == settled)
    assert (a.place[a.state == State.SETTLED_SOUTH] == sim.network.index("tp")).all()
    held = a.state == State.DETAINED
    assert held.sum() == 400 - settled  # returns ordered, no seats: they wait in detention


def test_transit_line_stops_people_without_permit():
    sim, res = run(DENIAL)
    assert not flows(res, "n", "bc")
    assert transitions(res, rule="denial", to_state="detained") == 400


def test_switching_the_denial_off_lets_people_through():
    sim, res = run(DENIAL, settings=["rules.denial.enabled=false"])
    assert res.summary["by_state"] == {"arrived": 400}


# --- detention and returns -------------------------------------------------------------------
def test_detention_capacity_releases_the_overflow():
    rules = CHECKPOINT + """
[[rule]]
id = "station"
kind = "detention"
place = "st"
capacity = 50
decision_days = { min = 30, max = 30 }
"""
    sim, res = run(rules, days=10)
    held = [r for r in res.daily.to_pylist() if r["state"] == "detained"]
    assert max(r["count"] for r in held) == 50
    assert transitions(res, rule="station", to_state="in_transit") == 350


def test_assisted_return_fills_daily_seats_first_come_first_served():
    rules = CHECKPOINT + """
[[rule]]
id = "flights"
kind = "assisted_return"
mode = "air"
from_places = ["st"]
to = "o"
daily_seats = 30
start = "2020-01-10"
"""
    sim, res = run(rules)
    per_day = {}
    for row in res.transitions.to_pylist():
        if row["rule"] == "flights":
            per_day[row["day"]] = per_day.get(row["day"], 0) + row["count"]
    assert per_day and max(per_day.values()) <= 30 and min(per_day) >= 9
    assert sum(per_day.values()) == 400
    a = sim.agents
    assert (a.state == State.RETURNED_AIR).all() and (a.place == 0).all()
    first = np.flatnonzero(a.since == min(per_day))
    assert len(first) == 30


def test_voluntary_return_takes_people_waiting():
    rules = CLOSE_BRIDGE + """
[[rule]]
id = "buses"
kind = "assisted_return"
mode = "voluntary"
from_places = ["t"]
to = "o"
daily_seats = 1000
take_chance = 1.0
start = "2020-01-15"
"""
    _, res = run(rules)
    assert transitions(res, rule="buses", to_state="returned_voluntary") == 400


# --- asylum in the transit country -------------------------------------------------------------
def test_asylum_binds_applicants_then_decides():
    rules = """
[[rule]]
id = "comar"
kind = "asylum_transit"
place = "tp"
apply_chance = 1.0
processing_days = { min = 5, max = 5 }
recognition_chance = 1.0
"""
    sim, res = run(rules, days=60)
    assert transitions(res, rule="comar", to_state="asylum_transit") == 400
    assert res.summary["by_state"] == {"refugee_transit": 400}
    assert not flows(res, "tp", "n")  # bound to the state: nobody went north


# --- the U.S. border -----------------------------------------------------------------------------
PORT = """
[[rule]]
id = "port"
kind = "port_of_entry"
city = "bc"
port = "port"
us_place = "us"
claim_share = 1.0
daily_quota = {quota}
"""
MPP = """
[[rule]]
id = "mpp"
kind = "mpp"
city = "bc"
port = "port"
us_place = "us"
home = "o"
start = "{start}"
who = {{ nationality = ["HN"] }}
hearing_days = {{ min = 200, max = 200 }}
"""


def test_metering_quota_limits_daily_processing():
    sim, res = run(PORT.format(quota=7), days=70)
    per_day = {}
    for row in res.transitions.to_pylist():
        if row["rule"] == "port" and row["to_state"] == "us_proceedings":
            per_day[row["day"]] = per_day.get(row["day"], 0) + row["count"]
    assert per_day and max(per_day.values()) == 7
    assert any(r["state"] == "waiting_metering" for r in res.daily.to_pylist())


def test_mpp_sends_eligible_people_back_to_wait():
    deps = departures(300) + "2020-01-01,o,100,MX\n"
    sim, res = run(PORT.format(quota=1000) + MPP.format(start="2019-01-29"), deps=deps)
    by_state = res.summary["by_state"]
    assert by_state["waiting_mpp"] == 300 and by_state["us_proceedings"] == 100
    a = sim.agents
    assert (a.place[a.state == State.WAITING_MPP] == sim.network.index("bc")).all()


def test_mpp_before_its_start_date_does_nothing():
    _, res = run(PORT.format(quota=1000) + MPP.format(start="2020-06-01"))
    assert transitions(res, to_state="waiting_mpp") == 0


def test_between_ports_apprehension_and_processing():
    rules = """
[[rule]]
id = "cross"
kind = "crossing_between_ports"
city = "bc"
crossing = "bp"
us_place = "us"
home = "o"
apprehension_chance = 0.5
removal_chance = 1.0
"""
    _, res = run(rules)
    got_through = transitions(res, rule="cross", to_state="entered_us_irregular")
    apprehended = transitions(res, rule="cross", to_state="apprehended_us")
    assert got_through + apprehended == 400 and 140 < apprehended < 260
    assert transitions(res, rule="cross", to_state="returned_air") == apprehended


ACA = """
[[rule]]
id = "aca"
kind = "aca"
partner = "GT"
transfer_to = "t"
home = "o"
start = "2019-11-21"
applied = {applied}
who = {{ nationality = ["HN"], transited = ["GT"] }}
claim_chance = 1.0
"""


def test_aca_transfers_covered_people():
    _, res = run(PORT.format(quota=1000) + ACA.format(applied="true"))
    assert transitions(res, rule="aca", to_state="transferred_aca") == 400


def test_aca_signed_but_not_applied_has_no_effect():
    _, res = run(PORT.format(quota=1000) + ACA.format(applied="false"))
    assert transitions(res, to_state="transferred_aca") == 0
    assert res.summary["by_state"] == {"us_proceedings": 400}


def test_aca_requires_transit_through_the_partner():
    rules = PORT.format(quota=1000) + ACA.format(applied="true").replace('"GT"]', '"BZ"]')
    _, res = run(rules)
    assert transitions(res, to_state="transferred_aca") == 0


def test_aca_daily_capacity():
    rules = PORT.format(quota=1000) + ACA.format(applied="true") + "daily_capacity = 3\n"
    _, res = run(rules)
    per_day = {}
    for row in res.transitions.to_pylist():
        if row["rule"] == "aca" and row["to_state"] == "transferred_aca":
            per_day[row["day"]] = per_day.get(row["day"], 0) + row["count"]
    assert max(per_day.values()) == 3


# --- loading ---------------------------------------------------------------------------
def test_rule_errors_name_rule_and_field():
    bad = """
[[rule]]
id = "x"
kind = "checkpoint"
where = { place = "nowhere" }
intercept_chance = 1.5

[[rule]]
id = "y"
kind = "teleport"

[[rule]]
id = "x"
kind = "closure"
where = { route = "t>br" }
"""
    with pytest.raises(ScenarioError) as info:
        build(bad)
    text = str(info.value)
    assert "rule 1 (x).intercept_chance" in text
    assert "unknown kind 'teleport'" in text
    assert "duplicate id 'x'" in text


def test_unknown_place_in_rule():
    with pytest.raises(ScenarioError) as info:
        build(CHECKPOINT.replace('place = "tp"', 'place = "atlantis"'))
    assert "unknown place 'atlantis'" in str(info.value)


def test_detain_without_station_is_an_error():
    with pytest.raises(ScenarioError) as info:
        build(CHECKPOINT.replace('detain_at = "st"', ""))
    assert "detain_at" in str(info.value)


def test_set_changes_a_rule_parameter():
    sc = build(CHECKPOINT, settings=["rules.cp.intercept_chance=0.25"])
    assert sc.rules[0].intercept_chance == 0.25
    with pytest.raises(ScenarioError):
        build(CHECKPOINT, settings=["rules.cp.intercept_chance=7"])
    with pytest.raises(ScenarioError):
        build(CHECKPOINT, settings=["rules.nope.enabled=false"])
