"""What a forecast writes: bands, posterior, the forecasts of the counts, forecast.json.

See docs/forecasting.md for the files and their columns.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor.analysis import assimilation as am

if TYPE_CHECKING:
    import pyarrow as pa

    from corridor.analysis.forecast import SMCResult
    from corridor.scenario.model import Scenario


def bands_table(result: SMCResult, scenario: Scenario) -> pa.Table:
    """Return weighted quantile bands of the last stage's daily counts (see docs/forecasting.md)."""
    import pyarrow as pa

    from corridor.analysis.crps import QUANTILES, weighted_quantiles_rows

    keys: dict[tuple, int] = {}
    cells_k, cells_p, cells_c = [], [], []
    for p, daily in enumerate(result.daily):
        if daily is None:
            continue
        for day, place, state, cohort, count in zip(daily["day"], daily["place"],
                                                    daily["state"], daily["cohort"],
                                                    daily["count"], strict=True):
            k = keys.setdefault((int(day), place, state, cohort), len(keys))
            cells_k.append(k)
            cells_p.append(p)
            cells_c.append(float(count))
    grid = np.zeros((len(keys), len(result.daily)))
    if keys:
        grid[np.array(cells_k), np.array(cells_p)] = np.array(cells_c)
    q = weighted_quantiles_rows(grid, result.weights) if keys else np.zeros((0, len(QUANTILES)))
    order = sorted(keys, key=lambda k: (k[1], k[2], k[3], k[0]))
    idx = np.array([keys[k] for k in order], dtype=np.int64)
    start = scenario.config.start_date
    n = len(QUANTILES)
    return pa.table({
        "day": pa.array(np.repeat([k[0] for k in order], n), pa.int32()),
        "date": pa.array(np.repeat([start + dt.timedelta(days=k[0]) for k in order], n),
                         pa.date32()),
        "place": pa.array(np.repeat([k[1] for k in order], n), pa.string()),
        "state": pa.array(np.repeat([k[2] for k in order], n), pa.string()),
        "cohort": pa.array(np.repeat([k[3] for k in order], n), pa.string()),
        "quantile": pa.array(np.tile(QUANTILES, len(order)), pa.float64()),
        "count": pa.array(q[idx].ravel() if len(order) else [], pa.float64()),
    }).replace_schema_metadata({"members": str(len(result.daily))})


def posterior_table(result: SMCResult) -> pa.Table:
    """Return the weighted particles: one row each, the quantities in natural units."""
    import pyarrow as pa

    values = result.prior.natural(result.z)
    cols: dict[str, Any] = {"particle": pa.array(range(len(values)), pa.int32()),
                            "weight": pa.array(result.weights, pa.float64()),
                            "log_likelihood": pa.array(result.log_likelihood, pa.float64())}
    for name in result.prior.names:
        cols[name] = pa.array([v[name] for v in values], pa.float64())
    return pa.table(cols)


def summary_of(result: SMCResult) -> dict[str, dict[str, float]]:
    """Return each quantity's prior centre and posterior mean and 5/50/95 % (weighted)."""
    from corridor.analysis.crps import weighted_quantiles

    out = {}
    for j, q in enumerate(result.prior.quantities):
        x = q.from_z(result.z[:, j])
        lo, med, hi = weighted_quantiles(x, result.weights, (0.05, 0.5, 0.95))
        out[q.name] = {"prior_center": q.center, "mean": float(result.weights @ x),
                       "q05": float(lo), "q50": float(med), "q95": float(hi), "what": q.what}
    return out


def observation_forecasts(result: SMCResult, seed: int, draws: int = 20
                          ) -> list[dict[str, Any]]:
    """Return each measured observation with the predictive 5–95 % of what would be observed."""
    from corridor.analysis.crps import QUANTILES, weighted_quantiles

    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(9999,)))
    sigma, rho, gross = result.sigma, result.rho, result.gross
    w = np.repeat(result.weights / draws, draws)
    rows = []
    for k, obs in enumerate(result.measure):
        target = result.target(obs)
        sample = am.predictive(target, result.simulated[:, k], sigma, rng, draws, rho,
                               gross).ravel()
        q = weighted_quantiles(sample, w, QUANTILES)
        rows.append({"period_start": obs.period_start.isoformat(),
                     "period_end": obs.period_end.isoformat(), "place": obs.place,
                     "kind": obs.kind, "cohort": obs.cohort, "value": obs.value,
                     "low": target.low, "high": target.high, "fitted": obs.fitted,
                     "known": k < result.n_known,
                     **{f"q{round(p * 100):02d}": float(v) for p, v in zip(QUANTILES, q,
                                                                            strict=True)}})
    return rows


def write_forecast(folder: Path, scenario: Scenario, result: SMCResult, info: dict[str, Any]
                   ) -> dict[str, Any]:
    """Write bands.parquet, posterior.parquet, posterior.json and forecast.json to a folder.

    Returns:
        What forecast.json holds.
    """
    from corridor.io.atomic import write_json, write_parquet

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    bands = bands_table(result, scenario)
    write_parquet(folder / "bands.parquet", bands)
    posterior = posterior_table(result)
    write_parquet(folder / "posterior.parquet", posterior)
    write_json(folder / "posterior.json", {"quantities": result.prior.names,
                                           "particles": posterior.to_pylist()})
    summary = {
        **info,
        "quantities": summary_of(result),
        "stages": [{"date": s.date.isoformat(), "n_observations": s.n_observations,
                    "days": s.days, "ess": round(s.ess, 2), "tempering": round(s.tempering, 4),
                    "failed": s.failed,
                    "wall_time_s": round(s.wall_time_s, 2)} for s in result.stages],
        "n_known": result.n_known, "n_later": len(result.measure) - result.n_known,
        "window": None if result.window is None else {
            "first": (scenario.config.start_date
                      + dt.timedelta(days=result.window[0])).isoformat(),
            "last": (scenario.config.start_date
                     + dt.timedelta(days=result.window[1])).isoformat()},
        "observations": observation_forecasts(result, int(info.get("seed", 0))),
        "files": {"bands": "bands.parquet", "posterior": "posterior.parquet"},
    }
    write_json(folder / "forecast.json", summary)
    return summary
