"""An ensemble of a Flee scenario: each member's ARD and observation values are those that
`corridor score` gives for the member's folder."""

import math

import pytest

pytest.importorskip("duckdb")

from corridor.analysis import score  # noqa: E402
from corridor.analysis.backends import InlineBackend  # noqa: E402
from corridor.analysis.ensemble import run_ensemble  # noqa: E402
from corridor.flee.convert import load_flee  # noqa: E402


def test_flee_ensemble_scores_agree_with_corridor_score(shared_dir, tmp_path):
    sc = load_flee(shared_dir / "flee-scenarios" / "mali2012" / "input", overrides=["days=15"])
    res = run_ensemble(sc, 2, tmp_path, seed=4, backend=InlineBackend())
    assert res.study.done == 2
    ard = res.score["ard"]
    assert ard["members"] == 2 and 0 < ard["p05"] <= ard["mean"] <= ard["p95"] < 2
    for member in res.study.summaries:
        folder = tmp_path / "members" / str(member.member)
        single = score.score(folder)
        assert member.metrics["ard"] == pytest.approx(single["ard"])
        simulated = [o["simulated"] for o in single["observations"]]
        assert member.observations == pytest.approx(simulated, nan_ok=True)
        measured = [v for v in simulated if v is not None]
        assert measured and not any(math.isnan(v) for v in measured)
