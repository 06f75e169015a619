"""Movement models: the interface every model implements, and the registry by name."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import BaseModel

from corridor.errors import Problem, ScenarioError

if TYPE_CHECKING:
    from corridor.engine.gates import Gates
    from corridor.engine.simulation import Simulation
    from corridor.scenario.model import Scenario


class MovementModel:
    """How people appear and move. One instance belongs to one `Simulation`.

    Subclasses set `name`, `parameters_type` and implement `spawn` and `move`.
    """

    name: ClassVar[str] = ""
    parameters_type: ClassVar[type[BaseModel]]
    needs_departures: ClassVar[bool] = True
    supports_counts: ClassVar[bool] = False  # has a count representation (engine="counts")
    # count representation: whether merging rows keeps the order in which rows were made
    # (the model processes rows in that order), or may sort them (by place: faster to move)
    keeps_row_order: ClassVar[bool] = False
    # count representation: set by `move` when it merged the rows itself at its end (the
    # simulation then skips its merge of the day unless rules changed rows after `move`)
    rows_merged: bool = False

    def __init__(self, sim: Simulation):
        self.sim = sim

    @classmethod
    def load_extras(cls, folder: Path, files: dict[str, str], problems: list[Problem]) -> dict:
        """Read model-specific files from a scenario folder (default: none)."""
        return {}

    @classmethod
    def counts_problem(cls, scenario: Scenario) -> str | None:
        """Why this scenario cannot run with the count representation (None: it can)."""
        if not cls.supports_counts:
            return f"the '{cls.name}' model has no count representation yet"
        return None

    @classmethod
    def expected_people(cls, scenario: Scenario) -> int:
        """How many people a run of the scenario will hold (for choosing a representation)."""
        return sum(d.count for d in scenario.departures)

    @classmethod
    def check(cls, scenario: Scenario, params: Any, problems: list[Problem]) -> None:
        """Check model-specific consistency of a scenario (default: nothing)."""

    def spawn(self, day: int) -> None:
        """Add the people who appear on this day."""
        raise NotImplementedError

    def move(self, day: int, gates: Gates) -> np.ndarray:
        """Move people for one day; return indices of agents who stopped at a gate."""
        raise NotImplementedError


def model_class(name: str) -> type[MovementModel]:
    """Return the movement model class registered under a name (imported lazily).

    Raises:
        ScenarioError: For an unknown name.
    """
    if name == "corridor":
        from corridor.engine.movement import CorridorModel

        return CorridorModel
    if name == "flee":
        from corridor.engine.flee_model import FleeModel

        return FleeModel
    raise ScenarioError([Problem("scenario.toml", None, "model",
                                 f"unknown model '{name}'; expected corridor or flee")])
