"""Flee's validation metric: the averaged relative difference (ARD) of camp counts.

For each day, the absolute differences between simulated and observed camp counts are summed
and divided by the observed total in camps (at least 1); the ARD is the mean over days. In the
rescaled variant (Flee's headline number) the simulated counts of each day are first multiplied
by observed total / simulated total, so that only the distribution over camps is judged; a day
with nobody simulated in camps counts every observed person as missed.
"""

from __future__ import annotations

import numpy as np


def _check(simulated: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sim = np.asarray(simulated, dtype=np.float64)
    obs = np.asarray(observed, dtype=np.float64)
    if sim.ndim != 2 or sim.shape != obs.shape:
        raise ValueError(f"expected two arrays of shape (days, camps); got {sim.shape} and "
                         f"{obs.shape}")
    if sim.shape[0] == 0:
        raise ValueError("no days to average over")
    return sim, obs


def daily_relative_difference(simulated: np.ndarray, observed: np.ndarray,
                              rescaled: bool = True) -> np.ndarray:
    """Return the relative difference of each day.

    Args:
        simulated: Simulated counts, shape (days, camps).
        observed: Observed counts, same shape.
        rescaled: Whether to rescale each day's simulated counts to the observed total.

    Returns:
        One value per day: sum over camps of |sim - obs|, divided by max(observed total, 1).
    """
    sim, obs = _check(simulated, observed)
    obs_total = obs.sum(axis=1)
    if rescaled:
        sim_total = sim.sum(axis=1)
        factor = np.divide(obs_total, sim_total, out=np.zeros_like(obs_total),
                           where=sim_total > 0)
        sim = sim * factor[:, None]
    return np.abs(sim - obs).sum(axis=1) / np.maximum(obs_total, 1.0)


def ard(simulated: np.ndarray, observed: np.ndarray, rescaled: bool = True) -> float:
    """Return the averaged relative difference over all days.

    Args:
        simulated: Simulated camp counts, shape (days, camps).
        observed: Observed camp counts, same shape.
        rescaled: Flee's rescaled variant (default) or the plain one.

    Returns:
        The mean of the daily relative differences.
    """
    return float(daily_relative_difference(simulated, observed, rescaled).mean())
