"""`corridor explain` and `corridor rules` on the built-in caravan scenario and the fixture."""

import datetime as dt
import json

import pytest
from corridor_fixture import build
from typer.testing import CliRunner

from corridor.analysis.explain import explain, resolve_route
from corridor.cli.main import app
from corridor.cli.register import all_commands
from corridor.errors import ScenarioError
from corridor.scenario import load_scenario

all_commands(app)


@pytest.fixture(scope="module")
def caravan():
    return load_scenario("caravan-2020")


def statuses(result):
    return {r.rule: (r.in_force, r.status) for r in result.rules_met}


def test_explain_at_ciudad_juarez_in_february_2020(caravan):
    result = explain(caravan, "Ciudad Juárez", dt.date(2020, 2, 1), "HN")
    s = statuses(result)
    assert s["us-mpp-el-paso"] == (True, "in force since 2019-03-01")
    assert s["gt-aca"][0] is True
    assert s["hn-aca"][0] is False and "signed 2019-09-25" in s["hn-aca"][1]
    assert "never applied" in s["hn-aca"][1]


def test_explain_same_person_in_november_2018_finds_none_in_force(caravan):
    result = explain(caravan, "Ciudad Juárez", dt.date(2018, 11, 15), "HN")
    s = statuses(result)
    for rule in ("us-mpp-el-paso", "gt-aca", "hn-aca"):
        assert s[rule][0] is False
    assert "not yet in force (from 2019-03-01)" == s["us-mpp-el-paso"][1]
    assert not any(e.state == "waiting_mpp" for e in result.events)


def test_explain_traces_rules_with_chances_and_outcomes(caravan):
    result = explain(caravan, "San Pedro Sula>Agua Caliente>Tecún Umán>Ciudad Juárez",
                     dt.date(2020, 1, 15), "HN", seed=3)
    assert result.route[0] == "san-pedro-sula" and result.route[-1] == "ciudad-juarez"
    entry = [e for e in result.events if e.rule == "gt-ca4-entry"]
    assert entry and entry[0].chance == pytest.approx(0.85) and entry[0].place == "agua-caliente"
    assert result.journey[0]["state"] == "in_transit"
    assert result.final_state == result.journey[-1]["state"]


def test_explain_all_outcomes_is_a_distribution(caravan):
    result = explain(caravan, "Tecún Umán>Ciudad Juárez", dt.date(2020, 1, 20), "HN",
                     draws=3000)
    assert sum(result.outcomes.values()) == pytest.approx(1.0)
    assert len(result.outcomes) > 2


def test_without_a_rule_changes_the_explanation(caravan):
    off = load_scenario("caravan-2020", ["rules.us-mpp-el-paso.enabled=false"])
    result = explain(off, "Ciudad Juárez", dt.date(2020, 2, 1), "HN", draws=2000)
    assert "waiting_mpp" not in result.outcomes
    assert statuses(result)["us-mpp-el-paso"] == (False, "switched off for this run")


def test_route_names_are_accent_insensitive_and_gaps_filled(caravan):
    path = resolve_route(caravan, "tecun uman > CIUDAD HIDALGO")
    assert path[0] == "tecun-uman" and path[-1] == "ciudad-hidalgo" and len(path) == 3
    with pytest.raises(ScenarioError):
        resolve_route(caravan, "Tecún Umán>Atlantis")


def test_explain_cli(tmp_path):
    res = CliRunner().invoke(app, ["explain", "caravan-2020", "--route", "Ciudad Juárez",
                                   "--date", "2020-02-01", "--nationality", "HN"])
    assert res.exit_code == 0, res.output
    assert "us-mpp-el-paso" in res.output and "hn-aca" in res.output
    bad = CliRunner().invoke(app, ["explain", "caravan-2020", "--route", "Nowhere",
                                   "--date", "2020-02-01"])
    assert bad.exit_code == 2 and "unknown place" in bad.output
    bad = CliRunner().invoke(app, ["explain", "caravan-2020", "--route", "Tijuana",
                                   "--date", "1 Feb"])
    assert bad.exit_code == 2 and "ISO date" in bad.output


def test_rules_cli_on_a_date():
    res = CliRunner().invoke(app, ["rules", "caravan-2020", "--on", "2020-02-01", "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["id"]: r for r in json.loads(res.output)["rules"]}
    assert rows["gt-aca"]["in_force"] and not rows["hn-aca"]["in_force"]
    assert rows["mx-bridge-closure"]["status"] == "no longer in force (ended 2020-01-18)"
    res = CliRunner().invoke(app, ["rules", "caravan-2020", "--on", "2020-01-18"])
    assert res.exit_code == 0 and "mx-bridge-closure" in res.output


def test_rule_dates_in_the_fixture():
    sc = build("""
[[rule]]
id = "c"
kind = "closure"
where = { place = "br" }
start = "2020-01-05"
end = "2020-01-06"
""")
    rule = sc.rules[0]
    assert rule.status_on(dt.date(2020, 1, 4))[0] is False
    assert rule.status_on(dt.date(2020, 1, 5))[0] is True
    assert rule.status_on(dt.date(2020, 1, 6))[0] is True
    assert rule.status_on(dt.date(2020, 1, 7))[0] is False


README_ROUTE = "San Pedro Sula>Agua Caliente>Tecún Umán>Ciudad Juárez"


def test_explain_ends_on_the_scenarios_last_day_and_says_so(caravan):
    """The README's example (no cohort) is not traced past the scenario's end."""
    result = explain(caravan, README_ROUTE, dt.date(2020, 1, 15), "HN")
    last = caravan.config.end_date
    assert all(step["date"] <= last for step in result.journey)
    if result.final_state in ("detained", "waiting", "in_transit", "waiting_metering"):
        assert result.ended_by == "scenario_end"
        assert any(str(last) in note and "outside the scenario" in note
                   for note in result.notes)
    assert any("no 'cohort' attribute" in note for note in result.notes)
    later = [r for r in result.rules_met if r.date > last]
    assert all(r.after_end for r in later)


def test_explain_refuses_a_date_after_the_scenario(caravan):
    later = caravan.config.end_date + dt.timedelta(days=1)
    with pytest.raises(ScenarioError, match="after the scenario's last day"):
        explain(caravan, "Ciudad Juárez", later, "HN")


def test_all_outcomes_do_not_depend_on_the_number_of_draws(caravan):
    """Draws are independent replicas: 200 and 3,000 draws agree within binomial error.

    Before, all draws shared the return seats, so the share detained grew with the draws.
    """
    args = (caravan, README_ROUTE, dt.date(2020, 1, 15), "HN", {"cohort": "caravan"})
    small = explain(*args, seed=11, draws=200).outcomes
    large = explain(*args, seed=12, draws=3000).outcomes
    for state in set(small) | set(large):
        p = large.get(state, 0.0)
        sd = max(p * (1 - p), 1 / 3000) ** 0.5 * (1 / 200 + 1 / 3000) ** 0.5
        assert abs(small.get(state, 0.0) - p) <= 4 * sd + 1e-9, (state, small, large)
