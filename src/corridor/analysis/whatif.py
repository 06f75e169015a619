"""A what-if on two ensembles: the effect of a change, member by member, with its spread.

Member k of both ensembles draws from the same seed (`SeedSequence(S).spawn(N)[k]`), so the
difference B_k − A_k is the effect of the change on that draw; its quantiles over the members
are the effect's uncertainty band. The ensembles must share scenario name, seed, and the members'
days, start date, engine and model (`run_diff.confounders` on member 0's run.json).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corridor.analysis.run_diff import Difference, differences

QUANTILES = (0.05, 0.5, 0.95)


@dataclass(frozen=True)
class Effect:
    """The change of one final state's count, B − A, over the paired members.

    Attributes:
        state: The final state.
        mean_a, mean_b: Mean count over the members of each ensemble.
        low, median, high: 5 %, 50 % and 95 % quantiles of the paired differences.
        pairs: Number of member pairs.
    """

    state: str
    mean_a: float
    mean_b: float
    low: float
    median: float
    high: float
    pairs: int


def _members(folder: Path) -> dict[str, Path]:
    root = folder / "members"
    return {p.name: p for p in sorted(root.iterdir()) if (p / "summary.json").is_file()}


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def is_ensemble(folder: Path) -> bool:
    """Whether a folder was written by `corridor ensemble`."""
    return (Path(folder) / "ensemble.json").is_file()


def ensemble_differences(a: Path, b: Path) -> list[Difference]:
    """Differences of set-up and change between two ensembles (seed, runs, member 0's run)."""
    ia, ib = _read(a / "ensemble.json"), _read(b / "ensemble.json")
    out = [
        Difference(key, str(ia.get(key)), str(ib.get(key)), True)
        for key in ("scenario", "seed")
        if ia.get(key) != ib.get(key)
    ]
    ma, mb = _members(a), _members(b)
    common = sorted(set(ma) & set(mb), key=lambda k: (len(k), k))
    if common:
        ra, rb = _read(ma[common[0]] / "run.json"), _read(mb[common[0]] / "run.json")
        out += [d for d in differences(ra, rb) if d.field not in ("seed", "scenario")]
    if not common:
        out.append(Difference("members", str(len(ma)), str(len(mb)), True))
    return out


def paired_effects(a: Path, b: Path) -> list[Effect]:
    """The effect of B against A on every final state, from the members both ensembles have."""
    ma, mb = _members(a), _members(b)
    common = sorted(set(ma) & set(mb), key=lambda k: (len(k), k))
    if not common:
        return []
    states_a = [_read(ma[k] / "summary.json").get("by_state", {}) for k in common]
    states_b = [_read(mb[k] / "summary.json").get("by_state", {}) for k in common]
    names = sorted({s for st in states_a + states_b for s in st})
    out = []
    for name in names:
        xa = np.array([float(st.get(name, 0)) for st in states_a])
        xb = np.array([float(st.get(name, 0)) for st in states_b])
        low, median, high = np.quantile(xb - xa, QUANTILES)
        out.append(Effect(name, float(xa.mean()), float(xb.mean()), low, median, high, len(common)))
    return sorted(out, key=lambda e: -abs(e.median))
