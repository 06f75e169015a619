"""Recording what rules did to whom, for `corridor explain` (off in ordinary runs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from corridor.engine.states import State
    from corridor.rules.base import CompiledRule


@dataclass(frozen=True)
class Event:
    """One rule acting on one person on one day."""

    day: int
    place: str
    rule: str
    kind: str
    title: str
    event: str
    chance: float | None
    outcome: str
    state: str | None


class Tracer:
    """Keeps the events of the people it follows (by index)."""

    def __init__(self, follow: np.ndarray | None = None):
        self.follow = None if follow is None else set(int(i) for i in follow)
        self.events: dict[int, list[Event]] = {}

    def record(self, rule: CompiledRule, idx: np.ndarray, event: str, chance: float | None,
               outcome: str, state: State | None) -> None:
        """Record an event for each followed person in idx."""
        sim = rule.sim
        wanted = idx if self.follow is None else [i for i in idx.tolist() if i in self.follow]
        for i in np.asarray(wanted, dtype=np.int64).tolist():
            place = sim.network.place_ids[sim.agents.place[i]]
            self.events.setdefault(i, []).append(Event(
                sim.day, place, rule.id, rule.rule.kind, rule.rule.title or rule.id, event,
                chance, outcome, state.label if state is not None else None))
