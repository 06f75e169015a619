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
