"""The examples in the docs are valid."""

import re
from pathlib import Path

from corridor.errors import Problem
from corridor.rules.load import parse_rules

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_rule_example_in_docs_is_valid():
    text = (DOCS / "rules.md").read_text()
    blocks = re.findall(r"```toml\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 12
    kinds = set()
    for block in blocks:
        problems: list[Problem] = []
        rules = parse_rules(block, None, problems)
        assert not problems, (block, problems)
        kinds |= {r.kind for r in rules}
    from corridor.rules.kinds import KINDS

    assert kinds == set(KINDS)  # every kind has an example


def test_the_worked_example_of_the_scenario_guide_runs(tmp_path):
    import datetime as dt

    import corridor
    from corridor.analysis.explain import explain

    text = (DOCS / "building-a-scenario.md").read_text()
    example = text[text.index("### A small worked example"):]
    files = re.findall(r"`([a-z_]+\.(?:toml|csv))`:\n```(?:toml|csv)\n(.*?)```", example,
                       flags=re.S)
    assert {name for name, _ in files} == {"scenario.toml", "places.csv", "routes.csv",
                                           "departures.csv", "rules.toml"}
    for name, body in files:
        (tmp_path / name).write_text(body)
    scenario = corridor.load_scenario(tmp_path)
    result = corridor.run(scenario, seed=1)
    assert result.summary["departed"] == 1000
    assert result.summary["by_state"].get("arrived", 0) > 0
    trace = explain(scenario, "Port Town>Beyond", dt.date(2023, 9, 1), "VE")
    assert any(e.rule == "reception-registration" for e in trace.events)
