"""Dump Flee 3.1's route options and weights from every location (run with Flee's Python).

Usage: `FLEE_PYTHON benchmarks/flee_routes.py INPUT_DIR SETTINGS LEVEL OUT.json`. The options
are those of day 0 (conflict zones of day 0, no closures, nobody in any place), as
`moving.selectRoute(..., return_all_routes=True)` returns them; used by
`tests/test_flee_routes.py` to check Corridor's path enumeration and weights.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path


def main(input_dir: str, settings: str, level: str, out: str) -> None:
    """Write {location: [[route names], weight], ...} for one awareness level."""
    from flee import InputGeography, flee, moving, scoring
    from flee.SimulationSettings import SimulationSettings

    base = Path(input_dir)
    with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink), \
            contextlib.redirect_stdout(sink):
        SimulationSettings.ReadFromYML(settings)
        SimulationSettings.move_rules["AwarenessLevel"] = int(level)
        conflicts = base / "conflicts.csv"
        SimulationSettings.ConflictInputFile = str(conflicts) if conflicts.exists() else ""
        e = flee.Ecosystem()
        ig = InputGeography.InputGeography()
        if conflicts.exists():
            ig.ReadConflictInputCSV(str(conflicts))
        ig.ReadLocationsFromCSV(str(base / "locations.csv"))
        ig.ReadLinksFromCSV(str(base / "routes.csv"))
        ig.closures = []
        e, _ = ig.StoreInputGeographyInEcosystem(e)
        ig.AddNewConflictZones(e, 0)
        for loc in e.locations:
            scoring.updateLocationScore(0, loc)
        result = {}
        for loc in e.locations:
            person = flee.Person(loc, {})
            weights, routes = moving.selectRoute(person, 0, return_all_routes=True)
            result[loc.name] = sorted([r[1:], w] for r, w in zip(routes, weights, strict=True))
    Path(out).write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:5])
