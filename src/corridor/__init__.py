"""Corridor: simulate, explain and check migration flows under dated border and asylum policies.

Importing `corridor` only defines names; heavy modules (numba kernels, pyarrow) load on first use.

Example:
    >>> import corridor
    >>> scenario = corridor.load_scenario("caravan-2020",
    ...                                   settings=["days=30", "drop_late_departures=true"])
    >>> result = corridor.run(scenario, seed=1)
    >>> result.daily.num_columns
    6
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["RunResult", "Scenario", "Simulation", "load_result", "load_scenario", "run"]

if TYPE_CHECKING:
    from corridor.api import run
    from corridor.engine.simulation import Simulation
    from corridor.io.results import RunResult, load_result
    from corridor.scenario import Scenario, load_scenario

_LAZY = {
    "run": "corridor.api",
    "Simulation": "corridor.engine.simulation",
    "RunResult": "corridor.io.results",
    "load_result": "corridor.io.results",
    "Scenario": "corridor.scenario",
    "load_scenario": "corridor.scenario",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'corridor' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
