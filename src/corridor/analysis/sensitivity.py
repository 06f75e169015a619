"""Global sensitivity analysis of output metrics to parameters, with SALib.

`sobol`: Saltelli's scheme on a scrambled Sobol' sequence, N × (D + 2) runs for D parameters;
first-order (S1) and total (ST) indices with bootstrap confidence intervals (95 %). `morris`:
N trajectories on a 4-level grid, N × (D + 1) runs; mu* (mean absolute elementary effect) with
its confidence interval, and sigma (spread of the effects: interactions or non-linearity).

Switches (`rules.<id>.enabled=0:1`, see `corridor.analysis.factors`) are on when the sampled
value is ≥ 0.5. Morris then uses a 2-level grid when every factor is a switch (each step
switches one rule on or off). SALib divides a step's change of the output by the step Δ =
levels / (2 (levels − 1)) in the unit interval (1 on 2 levels, 2/3 on 4); every Morris step of a
switch toggles it, so the switch's mu*, mu, sigma and interval are multiplied back by Δ: they are
in the output's units per toggle (people per switching the rule on or off). Sobol' treats a
switch as a rule on or off with probability ½ each; its indices are shares of the output's
variance as usual.

Each sample is a study point with `runs_per_sample` members; a sample's output is the mean over
its members. Every point uses the same member seeds (common random numbers), so the indices
measure the parameters, not the luck of the draws; with one member per sample the estimate
still includes the run's own randomness as far as a parameter changes the draws. The study
goes through the run catalog like an ensemble, so an interrupted analysis resumes.

Files in the output folder: `samples.parquet` (the parameters and outputs of every sample),
`sensitivity.json` (the indices), `sensitivity-<metric>.png` (a bar chart per output).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor.analysis.ensemble import Point, Progress, Study, StudyResult, run_study
from corridor.analysis.factors import Factor, setting
from corridor.errors import CorridorError

if TYPE_CHECKING:
    from corridor.analysis.backends import Backend
    from corridor.scenario.model import Scenario

METHODS = ("sobol", "morris")
CONF_LEVEL = 0.95
RESAMPLES = 200


def problem(factors: list[Factor]) -> dict[str, Any]:
    """Return SALib's problem definition of the factors."""
    return {"num_vars": len(factors), "names": [f.name for f in factors],
            "bounds": [[f.low, f.high] for f in factors]}


def morris_levels(factors: list[Factor]) -> int:
    """Return the Morris grid's levels: 2 when every factor is an on/off switch, else 4."""
    return 2 if factors and all(f.switch for f in factors) else 4


def morris_delta(levels: int) -> float:
    """Return SALib's Morris step in the unit interval, levels / (2 (levels − 1))."""
    return levels / (2 * (levels - 1))


def sample(factors: list[Factor], method: str, samples: int, seed: int) -> np.ndarray:
    """Return the parameter samples (one row per sample, one column per factor)."""
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem(factors), samples, calc_second_order=False, seed=seed)
    from SALib.sample import morris

    return morris.sample(problem(factors), samples, num_levels=morris_levels(factors),
                         seed=seed)


def per_toggle(factors: list[Factor], indices: dict[str, list[float]]) -> dict[str, list[float]]:
    """Return Morris indices with the switches' effects in output units per toggle.

    SALib's elementary effect is Δy / Δ with Δ the step in the unit interval; a step of a switch
    always toggles it, so Δy, the change per toggle, is the effect times Δ.
    """
    delta = morris_delta(morris_levels(factors))
    out = dict(indices)
    for key in ("mu_star", "mu_star_conf", "sigma", "mu"):
        out[key] = [v * delta if f.switch else v
                    for f, v in zip(factors, indices[key], strict=True)]
    return out


def analyze(factors: list[Factor], method: str, x: np.ndarray, y: np.ndarray, seed: int
            ) -> dict[str, list[float]]:
    """Return the indices of one output (lists in factor order).

    An output that is the same for every sample has no sensitivity to share out: its indices
    are 0 (and `constant` is set).
    """
    names = ("S1", "S1_conf", "ST", "ST_conf") if method == "sobol" else (
        "mu_star", "mu_star_conf", "sigma", "mu")
    if np.ptp(y) == 0:
        out = {k: [0.0] * len(factors) for k in names}
        out["constant"] = [1.0]
        return out
    if method == "sobol":
        from SALib.analyze import sobol

        si = sobol.analyze(problem(factors), y, calc_second_order=False,
                           num_resamples=RESAMPLES, conf_level=CONF_LEVEL, seed=seed)
    else:
        from SALib.analyze import morris

        si = morris.analyze(problem(factors), x, y, num_resamples=RESAMPLES,
                            conf_level=CONF_LEVEL, num_levels=morris_levels(factors), seed=seed)
    out = {k: [float(v) for v in np.asarray(si[k], dtype=np.float64)] for k in names}
    return per_toggle(factors, out) if method == "morris" else out


@dataclass
class SensitivityResult:
    """A finished analysis.

    Attributes:
        folder: The output folder.
        method: `sobol` or `morris`.
        factors: The parameters.
        indices: Output metric → index name → values per factor.
        study: How the runs went.
        figures: The PNG per output.
    """

    folder: Path
    method: str
    factors: list[Factor]
    indices: dict[str, dict[str, list[float]]]
    study: StudyResult
    figures: list[Path]


def ranking(method: str, indices: dict[str, list[float]]) -> list[int]:
    """Return the factor positions from the largest effect down (ST for Sobol', else mu*).

    Ties (e.g. rules without effect) keep the factors' order; NaN counts as no effect.
    """
    key = "ST" if method == "sobol" else "mu_star"
    values = [0.0 if math.isnan(v) else v for v in indices[key]]
    return sorted(range(len(values)), key=lambda i: -values[i])


def figure_name(metric: str) -> str:
    """Return the PNG file name of an output's chart."""
    return f"sensitivity-{re.sub(r'[^A-Za-z0-9_.-]+', '-', metric)}.png"


def plot(path: Path, metric: str, method: str, factors: list[Factor],
         indices: dict[str, list[float]]) -> Path:
    """Draw the indices of one output as horizontal bars with confidence intervals (PNG)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from corridor.io.atomic import temp_path

    order = ranking(method, indices)
    names = [factors[i].name for i in order]
    indices = {k: [v[i] for i in order] for k, v in indices.items() if len(v) == len(factors)}
    pairs = (("S1", "first order S1"), ("ST", "total ST")) if method == "sobol" else (
        ("mu_star", "mu* (mean |effect|)"), ("sigma", "sigma (spread of effects)"))
    per_bar = 0.55 if len(names) <= 12 else 0.25
    fig = Figure(figsize=(7.5, 1.2 + per_bar * len(names) * len(pairs)), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    y = np.arange(len(names))
    height = 0.8 / len(pairs)
    for i, (key, label) in enumerate(pairs):
        conf = indices.get(f"{key}_conf")
        ax.barh(y + (i - (len(pairs) - 1) / 2) * height, indices[key], height=height,
                xerr=conf, capsize=3, label=label + (" ± 95 % CI" if conf else ""))
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.axvline(0, color="#444", linewidth=0.8)
    ax.set_title(f"{method.capitalize()} sensitivity of {metric}")
    if method == "morris" and any(f.switch for f in factors):
        ax.set_xlabel(f"change of {metric} per toggle of a switch")
    ax.legend(loc="best", fontsize="small")
    tmp = temp_path(path)
    fig.savefig(tmp, dpi=110, format="png")
    tmp.replace(path)
    return path


def run_sensitivity(scenario: Scenario, factors: list[Factor], outputs: tuple[str, ...],
                    folder: Path, method: str = "sobol", samples: int = 64,
                    runs_per_sample: int = 1, seed: int | None = None,
                    backend: Backend | None = None, progress: Progress | None = None,
                    ) -> SensitivityResult:
    """Sample the parameters, run every sample, and compute the indices of each output.

    Args:
        scenario: The scenario (settings applied).
        factors: The parameters and their ranges (`corridor.analysis.factors.resolve_factors`).
        outputs: Metrics to analyse (see `corridor.analysis.metrics`).
        folder: The output folder (catalog, samples, indices, charts).
        method: `sobol` or `morris`.
        samples: SALib's N (base samples for Sobol', trajectories for Morris).
        runs_per_sample: Members per sample (outputs are averaged over them).
        seed: Seed of the sampling and of the members (default: the scenario's).
        backend: Where members run (default: local processes on every core).
        progress: Called with (done, failed, total) after each member.

    Raises:
        CorridorError: For an unknown method, too few samples, or samples that failed.
    """
    from corridor.analysis.metrics import check, needs_observations
    from corridor.analysis.sample_size import sensitivity_warning
    from corridor.io.atomic import write_json, write_parquet

    if method not in METHODS:
        raise CorridorError(f"--method {method!r}: expected one of {', '.join(METHODS)}")
    if samples < 2 or not factors or not outputs:
        raise CorridorError("a sensitivity analysis needs at least one --param (or --rules), "
                            "one --output and --samples of 2 or more")
    check(outputs, scenario)
    seed = scenario.config.seed if seed is None else int(seed)
    x = sample(factors, method, samples, seed)
    points = []
    for i, row in enumerate(x):
        values = {f.name: f.value(v) for f, v in zip(factors, row, strict=True)}
        points.append(Point(i, tuple(setting(n, v) for n, v in values.items()), values))
    study = Study(f"sensitivity-{method}", scenario, points, runs_per_sample, seed,
                  Path(folder), outputs, keep=False, observations=needs_observations(outputs))
    from corridor.analysis.backends import using

    with using(backend) as runner:
        result = run_study(study, runner, progress)
    if result.failed or result.done < result.total:
        first = result.failed[0].error if result.failed else "not run"
        raise CorridorError(f"{result.total - result.done} of {result.total} runs did not "
                            f"finish (first error: {first}); run the same command again to "
                            "retry them")
    y = {m: np.zeros(len(points)) for m in outputs}
    for s in result.summaries:
        for m in outputs:
            y[m][s.point] += s.metrics[m] / runs_per_sample
    indices = {m: analyze(factors, method, x, y[m], seed) for m in outputs}
    import pyarrow as pa

    columns = {"sample": list(range(len(points)))}
    columns.update({f.name: [p.values[f.name] for p in points] for f in factors})
    columns.update({m: y[m].tolist() for m in outputs})
    write_parquet(study.folder / "samples.parquet", pa.table(columns))
    levels = morris_levels(factors) if method == "morris" else None
    write_json(study.folder / "sensitivity.json", {
        "method": method, "samples": samples, "runs": len(points) * runs_per_sample,
        "morris_levels": levels,
        "switch_effects": "output units per toggle (mu*, mu, sigma and mu*_conf multiplied "
                          f"by the Morris step {morris_delta(levels):.4g})"
        if levels and any(f.switch for f in factors) else None,
        "runs_per_sample": runs_per_sample, "seed": seed, "conf_level": CONF_LEVEL,
        "sample_warning": sensitivity_warning(method, samples, len(factors)),
        "factors": [vars(f) for f in factors],
        "indices": {m: {k: [None if math.isnan(v) else v for v in vals]
                        for k, vals in ind.items()} for m, ind in indices.items()}})
    figures = [plot(study.folder / figure_name(m), m, method, factors, indices[m])
               for m in outputs]
    return SensitivityResult(study.folder, method, factors, indices, result, figures)
