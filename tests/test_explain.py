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
