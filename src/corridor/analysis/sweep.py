"""Parameter sweeps: every combination of some parameter values, several members at each.

`--param NAME=v1,v2,...` lists values; `--param NAME=lo:hi:n` takes n evenly spaced values from
lo to hi (integers when lo and hi are integers and every step is whole); see
`corridor.analysis.factors`. The grid is the product of the parameters, in the order given;
member k at every point uses the same seeds.

`DIR/sweep.parquet` (long format): `point`, one column per parameter, `metric`, `runs`, `mean`,
`sd`, `p05`, `p25`, `p50`, `p75`, `p95`. Each member's tables are kept under
`DIR/points/<p>/members/<k>/` and every member is in `DIR/catalog.duckdb`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corridor.analysis.ensemble import Point, Progress, Study, StudyResult, run_study
from corridor.analysis.factors import setting
from corridor.errors import Problem, ScenarioError

if TYPE_CHECKING:
    import pyarrow as pa

    from corridor.analysis.backends import Backend
    from corridor.scenario.model import Scenario

SWEEP = "sweep.parquet"


def grid(params: list[tuple[str, list[Any]]]) -> list[Point]:
    """Return the points of the product of the parameters' values, in order."""
    names = [name for name, _ in params]
    points = []
    for i, combo in enumerate(itertools.product(*(values for _, values in params))):
        points.append(Point(i, tuple(setting(n, v) for n, v in zip(names, combo, strict=True)),
                            dict(zip(names, combo, strict=True))))
    return points


@dataclass
class SweepResult:
    """A finished (or partly finished) sweep: the study and its table per point and metric."""

    folder: Path
    study: StudyResult
    table: pa.Table


def summarise(points: list[Point], outputs: tuple[str, ...], study: StudyResult) -> pa.Table:
    """Return the per-point distribution of each metric (see the module documentation)."""
    import pyarrow as pa

    from corridor.analysis.ensemble_score import metric_distribution

    by_point: dict[int, list] = {}
    for s in study.summaries:
        by_point.setdefault(s.point, []).append(s)
    rows = []
    for p in points:
        for metric in outputs:
            dist = metric_distribution(by_point.get(p.index, []), metric) or {"members": 0}
            rows.append({"point": p.index, **p.values, "metric": metric,
                         "runs": dist["members"],
                         **{k: dist.get(k) for k in ("mean", "sd", "p05", "p25", "p50", "p75",
                                                     "p95")}})
    return pa.Table.from_pylist(rows)


def run_sweep(scenario: Scenario, params: list[tuple[str, list[Any]]], runs_per_point: int,
              folder: Path, outputs: tuple[str, ...], seed: int | None = None,
              backend: Backend | None = None, progress: Progress | None = None,
              keep: bool = True, engine: str = "auto") -> SweepResult:
    """Run (or finish) a sweep and write `sweep.parquet`.

    Args:
        scenario: The scenario (settings applied).
        params: (name, values) of each swept parameter.
        runs_per_point: Members at each point.
        folder: The sweep folder.
        outputs: Metrics to compute (see `corridor.analysis.metrics`).
        seed: Root seed (default: the scenario's).
        backend: Where members run (default: local processes on every core).
        progress: Called with (done, failed, total) after each member.
        keep: Whether to keep each member's tables.
        engine: Representation of people: agents, counts or auto.

    Raises:
        ScenarioError: When a point's settings are invalid (checked before anything runs).
        MetricError: When a metric is unknown or does not apply.
    """
    from corridor.analysis.ensemble import point_scenario
    from corridor.analysis.metrics import check, needs_observations
    from corridor.io.atomic import write_parquet

    if runs_per_point < 1:
        raise ScenarioError([Problem("--runs-per-point", None, str(runs_per_point),
                                     "must be at least 1")])
    points = grid(params)
    check(outputs, scenario)
    for p in points:  # every point's settings are valid before any member runs
        point_scenario(scenario, p.settings)
    seed = scenario.config.seed if seed is None else int(seed)
    study = Study("sweep", scenario, points, runs_per_point, seed, Path(folder), outputs,
                  keep=keep, observations=needs_observations(outputs), engine=engine)
    from corridor.analysis.backends import using

    with using(backend) as runner:
        result = run_study(study, runner, progress)
    table = summarise(points, outputs, result)
    write_parquet(study.folder / SWEEP, table)
    return SweepResult(study.folder, result, table)
