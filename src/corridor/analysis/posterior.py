"""A posterior for `corridor calibrate --posterior`: weighted particles of the fitted parameters.

The calibration's point estimate (optuna's best trial) centres the prior; the same sequential
Monte Carlo as the forecast (`corridor.analysis.forecast.run_smc`) then weighs members by the
likelihood of every observation of the scenario (the observation error σ is assimilated too)
and returns weighted particles. A what-if run over these particles (each one a set of
`--set` values, with its weight) carries the parameters' uncertainty.

Prior of each `--params NAME=lo:hi` factor: normal on the logit of its position in [lo, hi],
centred on the best trial's value, sd `PRIOR_SD` (broad: about the whole range within two sd).
On/off switches are not assimilated.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corridor.analysis import assimilation as am
from corridor.analysis.forecast import error_quantities, run_smc
from corridor.analysis.forecast_files import summary_of
from corridor.errors import CorridorError

if TYPE_CHECKING:
    from corridor.analysis.backends import Backend
    from corridor.analysis.factors import Factor
    from corridor.scenario.model import Scenario

PRIOR_SD_FACTOR = 1.0


def factor_quantities(factors: list[Factor], center: dict[str, Any]) -> list[am.Quantity]:
    """Return the quantities of calibration factors (switches left out) and the error σ."""
    out = []
    for f in factors:
        if f.switch or not f.high > f.low:
            continue
        value = float(center.get(f.name, 0.5 * (f.low + f.high)))
        out.append(am.Quantity(f.name, "range", value, PRIOR_SD_FACTOR, f.low, f.high,
                               what=f"--params {f.name}={f.low:g}:{f.high:g}", setting=True,
                               integer=f.integer))
    if not out:
        raise CorridorError("--posterior needs at least one --params factor with a range")
    return [*out, *error_quantities()]


def calibrate_posterior(scenario: Scenario, factors: list[Factor], best: dict[str, Any],
                        runs: int = 40, stages: int = 2, seed: int | None = None,
                        backend: Backend | None = None, engine: str = "counts",
                        progress=None) -> dict[str, Any]:
    """Return the posterior of calibration factors given all the scenario's observations.

    Returns:
        `{"quantities": {name: summary}, "particles": [{weight, NAME: value, …}], "stages"}`.
    """
    if not scenario.observations:
        raise CorridorError(f"{scenario.name} has no observations")
    end = scenario.config.start_date + dt.timedelta(days=scenario.config.days - 1)
    as_of = min(max(o.period_end for o in scenario.observations), end)
    quantities = factor_quantities(factors, best)
    result = run_smc(scenario, as_of, runs, stages, 0, seed, backend, engine, progress,
                     bands=False, assimilated=quantities)
    values = result.prior.natural(result.z)
    return {
        "scenario": scenario.name, "as_of": as_of.isoformat(), "runs": runs,
        "quantities": summary_of(result),
        "stages": [{"date": s.date.isoformat(), "n_observations": s.n_observations,
                    "ess": round(s.ess, 2)} for s in result.stages],
        "particles": [{"weight": float(w), "log_likelihood": float(ll), **v}
                      for w, ll, v in zip(result.weights, result.log_likelihood, values,
                                          strict=True)],
    }


def write_posterior(path: Path, posterior: dict[str, Any]) -> Path:
    """Write a posterior as JSON (or, for a `.parquet` path, its particles as a table)."""
    from corridor.io.atomic import write_json, write_parquet

    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow as pa

        write_parquet(path, pa.Table.from_pylist(posterior["particles"]))
    else:
        write_json(path, posterior)
    return path
