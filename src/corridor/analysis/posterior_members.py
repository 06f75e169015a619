"""Members drawn from a posterior: an ensemble (or a what-if) that carries parameter uncertainty.

`corridor calibrate --posterior FILE` writes weighted particles of the fitted parameters, and
`corridor forecast` writes its posterior the same way (`posterior.json`, `posterior.parquet`).
`corridor ensemble --posterior FILE` runs its members over those particles: `runs` particles
are drawn by systematic resampling of the weights (seeded by the ensemble's seed, so the same
command draws the same particles), and member k runs with particle k's values as `--set`
settings, on top of the command's own `--set` and `--without`. Equal-weight members then
stand for the weighted posterior, and the ensemble's bands spread over the parameters'
uncertainty as well as over the runs' chance. Run the same command with `--without RULE` (or
another `--set`) for the what-if: both ensembles draw the same particles.

Columns that are not parameters are left out: `particle`, `weight`, `log_likelihood`, and the
forecast's observation-error model (`gross_error`, `timing_error`, `obs_error`: how counts
differ from the run, not how people move). Any other column must be a setting of the scenario
(a name `--set` accepts): a forecast's `caravan_size`, `joining`, `returns` and `enforcement`
multiply departures and rules and are not settings, so a forecast's posterior is refused with
their names.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor.analysis.assimilation import systematic_resample
from corridor.errors import CorridorError

if TYPE_CHECKING:
    from corridor.scenario.model import Scenario

NOT_PARAMETERS = ("particle", "weight", "log_likelihood", "gross_error", "timing_error",
                  "obs_error")
RESAMPLE_STREAM = 0x9057  # the draws of the particles: a stream of their own under the seed


def read_particles(path: Path) -> list[dict[str, Any]]:
    """Return the particles of a posterior file (JSON with `particles`, or a Parquet table).

    Raises:
        CorridorError: When the file holds no particles or their weights are not usable.
    """
    path = Path(path)
    if not path.is_file():
        raise CorridorError(f"--posterior {path}: no such file")
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        particles = pq.read_table(path).to_pylist()
    else:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise CorridorError(f"--posterior {path}: not a JSON posterior ({err})") from None
        particles = data.get("particles") if isinstance(data, dict) else None
        if not isinstance(particles, list):
            raise CorridorError(f"--posterior {path}: no 'particles' list (write one with "
                                "corridor calibrate --posterior or corridor forecast)")
    if not particles or not all(isinstance(p, dict) for p in particles):
        raise CorridorError(f"--posterior {path}: no particles")
    for i, p in enumerate(particles):
        w = p.get("weight")
        if not isinstance(w, int | float) or not math.isfinite(w) or w < 0:
            raise CorridorError(f"--posterior {path}: particle {i} has no usable 'weight' "
                                f"(got {w!r}; weights are numbers ≥ 0)")
    if sum(p["weight"] for p in particles) <= 0:
        raise CorridorError(f"--posterior {path}: every weight is 0")
    return particles


def parameter_names(particles: list[dict[str, Any]], path: Path) -> list[str]:
    """Return the particles' parameter columns (see the module documentation).

    Raises:
        CorridorError: When a particle lacks a column the others have, or a value is not a
            finite number.
    """
    names = [k for k in particles[0] if k not in NOT_PARAMETERS]
    if not names:
        raise CorridorError(f"--posterior {path}: the particles have no parameter columns")
    for i, p in enumerate(particles):
        for name in names:
            v = p.get(name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise CorridorError(f"--posterior {path}: particle {i}, '{name}' is {v!r}, "
                                    "not a number")
    return names


def check_settings(scenario: Scenario, particle: dict[str, Any], names: list[str],
                   path: Path) -> None:
    """Refuse parameter columns that are not settings of the scenario, naming them all.

    Raises:
        CorridorError: When some column is not a setting (or its value is out of range).
    """
    from corridor.analysis.ensemble import point_scenario
    from corridor.errors import ScenarioError

    bad = []
    for name in names:
        try:
            point_scenario(scenario, [f"{name}={_literal(particle[name])}"])
        except ScenarioError as err:
            bad.append(f"'{name}' ({err.render()})")
    if bad:
        raise CorridorError(f"--posterior {path}: these columns cannot be applied as --set "
                            f"settings of {scenario.name}: {'; '.join(bad)}. A forecast's "
                            "caravan_size, joining, returns and enforcement multiply "
                            "departures and rules and are not settings.")


def draw_points(path: Path, runs: int, seed: int, scenario: Scenario
                ) -> tuple[list[Any], dict[str, Any]]:
    """Draw `runs` particles by weight: one ensemble point (its settings) per member.

    Args:
        path: The posterior file.
        runs: Members wanted.
        seed: The ensemble's root seed (the draw uses a stream of its own under it).
        scenario: The scenario the settings apply to (checked before anything runs).

    Returns:
        (the points, numbered 0 … runs − 1; what was drawn, for `ensemble.json`).
    """
    from corridor.analysis.ensemble import Point

    particles = read_particles(path)
    names = parameter_names(particles, path)
    check_settings(scenario, particles[0], names, path)
    weights = np.array([p["weight"] for p in particles], dtype=np.float64)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), RESAMPLE_STREAM]))
    picked = systematic_resample(weights / weights.sum(), rng, runs)
    points = []
    for k, i in enumerate(picked.tolist()):
        values = {name: particles[i][name] for name in names}
        settings = tuple(f"{name}={_literal(v)}" for name, v in values.items())
        points.append(Point(k, settings, {"particle": int(i), **values}))
    info = {"file": str(path), "particles": len(particles), "parameters": names,
            "distinct_drawn": len(set(picked.tolist())),
            "effective_sample_size": float(weights.sum() ** 2 / (weights ** 2).sum())}
    return points, info


def _literal(value: float) -> str:
    """A value as `--set` reads it (integers stay integers)."""
    if isinstance(value, int):
        return str(value)
    return repr(float(value))
