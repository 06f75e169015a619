"""Invariants under random rule settings: people conserved, closures and start dates respected."""

import datetime as dt

import numpy as np
from corridor_fixture import build
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor.engine.simulation import Simulation
from corridor.engine.states import N_STATES, State

START = dt.date(2020, 1, 1)

TEMPLATE = """
[[rule]]
id = "closed"
kind = "closure"
where = {{ route = "{closed}" }}
action = "{action}"
start = "{c0}"
end = "{c1}"

[[rule]]
id = "guard"
kind = "border_control"
where = {{ route = "t>rv" }}
stop_chance = {stop}
on_stop = "{on_stop}"
detain_at = "st"

[[rule]]
id = "station"
kind = "detention"
place = "st"
capacity = {capacity}
decision_days = {{ min = 1, max = {dmax} }}
release_chance = {release}

[[rule]]
id = "review"
kind = "case_review"
places = ["st"]
accept_chance = {accept}
asylum_chance = {asylum}
settle_at = "tp"

[[rule]]
id = "denial"
kind = "transit_permit"
regions = ["Chiapas"]
enabled = {denial}
intercept_chance = {line}
detain_at = "st"

[[rule]]
id = "comar"
kind = "asylum_transit"
place = "tp"
apply_chance = {apply}
processing_days = {{ min = 3, max = 9 }}
abandon_chance = 0.05

[[rule]]
id = "flights"
kind = "assisted_return"
mode = "air"
from_places = ["st"]
to = "o"
daily_seats = {seats}

[[rule]]
id = "port"
kind = "port_of_entry"
city = "bc"
port = "port"
us_place = "us"
claim_share = {claim}
daily_quota = {quota}
give_up_chance = 0.01
cross_chance = 0.02

[[rule]]
id = "cross"
kind = "crossing_between_ports"
city = "bc"
crossing = "bp"
us_place = "us"
home = "o"
apprehension_chance = {appr}

[[rule]]
id = "aca"
kind = "aca"
partner = "GT"
transfer_to = "t"
home = "o"
share = 0.5
start = "{aca}"
who = {{ nationality = ["HN"], transited = ["GT"] }}

[[rule]]
id = "mpp"
kind = "mpp"
city = "bc"
port = "port"
us_place = "us"
home = "o"
start = "{mpp}"
hearing_days = {{ min = 5, max = 20 }}
give_up_chance = 0.01
return_home_chance = 0.01
"""

dates = st.integers(0, 50).map(lambda d: (START + dt.timedelta(days=d)).isoformat())
chance = st.sampled_from([0.0, 0.3, 1.0])


@st.composite
def rulebooks(draw):
    c0 = draw(st.integers(0, 40))
    return TEMPLATE.format(
        closed=draw(st.sampled_from(["t>br", "t>rv", "tp>n", "n>bc"])),
        action=draw(st.sampled_from(["wait", "turn_back", "reroute"])),
        c0=(START + dt.timedelta(days=c0)).isoformat(),
        c1=(START + dt.timedelta(days=c0 + draw(st.integers(0, 20)))).isoformat(),
        stop=draw(chance), on_stop=draw(st.sampled_from(["detain", "turn_back"])),
        capacity=draw(st.integers(0, 500)), dmax=draw(st.integers(1, 6)),
        release=draw(chance), accept=draw(chance), asylum=draw(chance),
        denial=draw(st.sampled_from(["true", "false"])), line=draw(chance),
        apply=draw(chance), seats=draw(st.integers(0, 60)), claim=draw(chance),
        quota=draw(st.integers(0, 20)), appr=draw(chance), aca=draw(dates), mpp=draw(dates))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rulebooks(), st.integers(0, 10))
def test_agents_conserved_and_rules_respected(rules, seed):
    scenario = build(rules, days=60)
    sim = Simulation(scenario, seed=seed)
    book = sim.rules
    closed = next(r for r in book.rules if r.id == "closed")
    mpp = next(r for r in book.rules if r.id == "mpp")
    net = sim.network
    for day in range(scenario.config.days):
        already = set(np.flatnonzero(np.isin(sim.agents.link, closed.links)).tolist())
        sim.step()
        a = sim.agents
        assert sim.recorder.counts.sum() == a.n == 400
        assert (a.state < N_STATES).all()
        on = a.link >= 0
        assert (a.place[on] == net.link_from[a.link[on]]).all()
        if closed.in_force(day):  # nobody enters a closed route; those already on it go on
            on_closed = set(np.flatnonzero(np.isin(a.link, closed.links)).tolist())
            assert on_closed <= already
            assert sim.recorder.day_flows[:, closed.links].sum() <= len(already)
        if day < mpp.first:
            assert sim.recorder.counts[..., State.WAITING_MPP].sum() == 0


def test_nobody_is_in_mpp_before_its_start():
    rules = TEMPLATE.format(closed="n>bc", action="wait", c0="2020-03-01", c1="2020-03-02",
                            stop=0.0, on_stop="detain", capacity=10, dmax=1, release=0,
                            accept=0, asylum=0, denial="false", line=0, apply=0, seats=0,
                            claim=1.0, quota=100, appr=1.0, aca="2021-01-01", mpp="2020-01-12")
    sim = Simulation(build(rules, days=60), seed=2)
    res = sim.run()
    days = [r["day"] for r in res.transitions.to_pylist() if r["to_state"] == "waiting_mpp"]
    assert days and min(days) >= 11  # not before 2020-01-12
    early = [r for r in res.transitions.to_pylist()
             if r["to_state"] == "us_proceedings" and r["day"] < 11]
    assert early  # people who came before the start date were not sent back
