"""Rules as on/off factors of a sensitivity analysis: `rules.<id>.enabled=0:1` and `--rules`."""

import json

import pyarrow.parquet as pq
import pytest
from conftest import write_scenario
from typer.testing import CliRunner

from corridor.analysis.ensemble import point_scenario
from corridor.analysis.factors import resolve_factors, rule_switches, setting
from corridor.cli.main import app
from corridor.cli.register import all_commands
from corridor.errors import ScenarioError
from corridor.scenario import load_scenario

pytest.importorskip("SALib")
pytest.importorskip("duckdb")

from corridor.analysis.backends import InlineBackend  # noqa: E402
from corridor.analysis.sensitivity import (  # noqa: E402
    morris_delta,
    morris_levels,
    run_sensitivity,
)

all_commands(app)
SETTINGS = ["days=8", "ride_chance=0"]
# the road from Charlie to Delta is closed for the whole run; an agreement exists on paper only
RULES = """[[rule]]
id = "c-d-closed"
kind = "closure"
where = { route = "c>d" }
action = "wait"
start = "2020-01-01"
end = "2020-01-30"

[[rule]]
id = "paper-aca"
kind = "aca"
signed = "2019-09-25"
end = "2021-02-06"
applied = false
partner = "HN"
who = { transited = ["HN"] }
"""
CLOSED, PAPER = "rules.c-d-closed.enabled", "rules.paper-aca.enabled"


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    folder = write_scenario(tmp_path_factory.mktemp("sw") / "tiny", rules_toml=RULES)
    return load_scenario(folder, SETTINGS)


def _enabled(sc, rule_id):
    return next(r.enabled for r in sc.rules if r.id == rule_id)


def test_a_switch_factor_turns_its_rule_on_from_one_half(scenario):
    (factor,) = resolve_factors(scenario, [f"{CLOSED}=0:1"])
    assert factor.switch and not factor.integer
    assert [factor.value(x) for x in (0.0, 0.49, 0.5, 2 / 3, 1.0)] == [False, False, True,
                                                                        True, True]
    for x, on in ((0.2, False), (0.8, True)):
        sc = point_scenario(scenario, [setting(factor.name, factor.value(x))])
        assert _enabled(sc, "c-d-closed") is on
        assert _enabled(sc, "paper-aca") is True


def test_a_switch_takes_the_range_zero_to_one_only(scenario):
    with pytest.raises(ScenarioError, match="on/off field: give the range 0:1"):
        resolve_factors(scenario, [f"{CLOSED}=0:2"])
    with pytest.raises(ScenarioError):
        resolve_factors(scenario, ["rules.no-such-rule.enabled=0:1"])


def test_rule_switches_are_one_factor_per_rule(scenario):
    factors = rule_switches(scenario)
    assert [f.name for f in factors] == [CLOSED, PAPER]
    assert all(f.switch and (f.low, f.high) == (0, 1) for f in factors)
    assert morris_levels(factors) == 2
    assert morris_levels([*factors, *resolve_factors(scenario, ["walk_speed_km=20:50"])]) == 4
    assert morris_delta(2) == 1 and morris_delta(4) == pytest.approx(2 / 3)


def test_morris_effects_of_switches_are_people_per_toggle(scenario, tmp_path):
    """The closure's mu* is the difference it makes; the paper agreement's is exactly 0."""
    res = run_sensitivity(scenario, rule_switches(scenario), ("arrived",), tmp_path / "sw",
                          "morris", samples=4, seed=1, backend=InlineBackend())
    ind = res.indices["arrived"]
    samples = pq.read_table(tmp_path / "sw" / "samples.parquet").to_pylist()
    on = {r["arrived"] for r in samples if r[CLOSED]}
    off = {r["arrived"] for r in samples if not r[CLOSED]}
    assert len(on) == len(off) == 1  # common seeds, and the other rule changes nothing
    toggle = off.pop() - on.pop()
    assert toggle > 100
    assert ind["mu_star"] == [pytest.approx(toggle), 0.0]
    assert ind["mu"][0] == pytest.approx(-toggle)  # switching the closure on lowers arrivals
    assert ind["sigma"] == [pytest.approx(0, abs=1e-9), 0.0]
    saved = json.loads((tmp_path / "sw" / "sensitivity.json").read_text())
    assert saved["morris_levels"] == 2 and saved["factors"][0]["kind"] == "switch"

    # with a range factor the grid has 4 levels (step 2/3); the switch's effect is rescaled
    # back to the same people per toggle (same seeds); a ride speed without rides changes nothing
    mixed = [*rule_switches(scenario), *resolve_factors(scenario, ["ride_speed_km=100:300"])]
    res = run_sensitivity(scenario, mixed, ("arrived",), tmp_path / "mixed", "morris",
                          samples=4, seed=1, backend=InlineBackend())
    ind = res.indices["arrived"]
    assert ind["mu_star"] == [pytest.approx(toggle), 0.0, 0.0]


def test_sobol_with_switches(scenario, tmp_path):
    res = run_sensitivity(scenario, rule_switches(scenario), ("arrived",), tmp_path, "sobol",
                          samples=8, seed=1, backend=InlineBackend())
    ind = res.indices["arrived"]
    assert ind["ST"][1] == 0 and ind["S1"][1] == 0
    assert ind["ST"][0] > 0.9


def test_the_command_ranks_the_rules(scenario, tmp_path):
    cli = CliRunner()
    res = cli.invoke(app, [
        "sensitivity", str(scenario.path), *sum((["--set", s] for s in SETTINGS), []),
        "--rules", "--output", "arrived", "--method", "morris", "--samples", "3", "-j", "1",
        "--out", str(tmp_path / "cli"), "-q"])
    assert res.exit_code == 0, res.output
    rows = [line for line in res.output.splitlines() if "(rule on/off)" in line]
    assert "c-d-closed" in rows[0] and "paper-aca" in rows[1]
    assert "1 switches with no effect at all" in res.output
    saved = json.loads((tmp_path / "cli" / "sensitivity.json").read_text())
    assert [f["name"] for f in saved["factors"]] == [CLOSED, PAPER]
    assert (tmp_path / "cli" / "sensitivity-arrived.png").is_file()


@pytest.mark.parametrize(("args", "message"), [
    ([], "give at least one --param"),
    (["--param", f"{CLOSED}=0:3"], "give the range 0:1"),
])
def test_the_command_refuses_bad_switches(scenario, tmp_path, args, message):
    res = CliRunner().invoke(app, [
        "sensitivity", str(scenario.path), *args, "--output", "arrived", "--samples", "2",
        "-j", "1", "--out", str(tmp_path), "-q"])
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output


def test_a_rules_flag_on_a_scenario_without_rules(tmp_path):
    folder = write_scenario(tmp_path / "bare")
    res = CliRunner().invoke(app, [
        "sensitivity", str(folder), "--rules", "--output", "arrived", "--samples", "2",
        "-j", "1", "--out", str(tmp_path / "out"), "-q"])
    assert res.exit_code == 2 and "has no rules" in res.output
