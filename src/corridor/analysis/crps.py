"""Scores of a probabilistic forecast: CRPS, weighted quantiles and band coverage.

A forecast of one number is a weighted sample (values `x`, weights `w` summing to 1). Its
continuous ranked probability score against the outcome `y` is

    CRPS = E|X − y| − ½ E|X − X'|

(Gneiting and Raftery 2007), computed exactly for the sample in O(n log n) from its sorted
values. It is in the units of `y`; for a point forecast it is the absolute error. Lower is
better. `crps_normal` is the closed form for a normal distribution (used to check the sample
formula).
"""

from __future__ import annotations

import math

import numpy as np

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
BANDS = {50: (0.25, 0.75), 90: (0.05, 0.95)}  # central bands: width → (low, high) quantile


def _normalised(values: np.ndarray, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(values, dtype=np.float64).ravel()
    if weights is None:
        w = np.full(x.shape, 1.0 / max(len(x), 1))
    else:
        w = np.asarray(weights, dtype=np.float64).ravel()
        if w.shape != x.shape:
            raise ValueError(f"{len(w)} weights for {len(x)} values")
        if np.any(w < 0) or not np.isfinite(w).all():
            raise ValueError("weights must be finite and not negative")
        total = w.sum()
        if total <= 0:
            raise ValueError("weights sum to 0")
        w = w / total
    if not len(x):
        raise ValueError("no values")
    return x, w


def crps_sample(values: np.ndarray, y: float, weights: np.ndarray | None = None) -> float:
    """Return the CRPS of a weighted sample against the outcome `y`.

    Args:
        values: The sample.
        y: What was observed.
        weights: Weights of the values (default: equal); normalised here.

    Returns:
        E|X − y| − ½ E|X − X'| under the sample's distribution.
    """
    x, w = _normalised(values, weights)
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    cum = np.cumsum(w)
    # Σ_i Σ_j w_i w_j |x_i − x_j| = 2 Σ_i w_i x_i (2 W_i − w_i − 1), W_i the cumulative weight
    spread = 2.0 * float(np.sum(w * x * (2.0 * cum - w - 1.0)))
    return float(np.sum(w * np.abs(x - y))) - 0.5 * spread


def crps_normal(mu: float, sigma: float, y: float) -> float:
    """Return the CRPS of the normal distribution N(mu, sigma²) against `y` (closed form)."""
    if sigma <= 0:
        return abs(y - mu)
    z = (y - mu) / sigma
    pdf = math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    cdf = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    return sigma * (z * (2 * cdf - 1) + 2 * pdf - 1 / math.sqrt(math.pi))


def weighted_quantiles(values: np.ndarray, weights: np.ndarray | None,
                       quantiles: tuple[float, ...] = QUANTILES) -> np.ndarray:
    """Return quantiles of a weighted sample (linear between the weights' midpoints).

    With equal weights this is numpy's `hazen` method; a value with weight 0 has no say.
    """
    x, w = _normalised(values, weights)
    keep = w > 0
    x, w = x[keep], w[keep]
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    mid = np.cumsum(w) - 0.5 * w
    return np.interp(np.asarray(quantiles, dtype=np.float64), mid, x)


def weighted_quantiles_rows(grid: np.ndarray, weights: np.ndarray,
                            quantiles: tuple[float, ...] = QUANTILES) -> np.ndarray:
    """Return weighted quantiles of every row of `grid` (rows × members): rows × quantiles."""
    grid = np.asarray(grid, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    order = np.argsort(grid, axis=1, kind="stable")
    xs = np.take_along_axis(grid, order, axis=1)
    ws = w[order]
    mid = np.cumsum(ws, axis=1) - 0.5 * ws
    q = np.asarray(quantiles, dtype=np.float64)
    out = np.empty((grid.shape[0], len(q)))
    for i in range(grid.shape[0]):
        out[i] = np.interp(q, mid[i], xs[i])
    return out


def covered(values: np.ndarray, weights: np.ndarray | None, y: float, width: int) -> bool:
    """Whether `y` lies inside the central band of a weighted sample (`width` 50 or 90 %)."""
    lo, hi = weighted_quantiles(values, weights, BANDS[width])
    return bool(lo <= y <= hi)


def coverage(flags: list[bool]) -> float | None:
    """Return the share of outcomes inside their band (None when there are none)."""
    return sum(bool(f) for f in flags) / len(flags) if flags else None


def skill(model: list[float], baseline: list[float]) -> float | None:
    """Return 1 − mean CRPS of the model / mean CRPS of the baseline over the same outcomes.

    Positive: the model's forecasts are better than the baseline's; 0: as good; 1: perfect.
    None when there are no outcomes or the baseline is perfect.
    """
    if not model or len(model) != len(baseline):
        return None
    base = float(np.mean(baseline))
    if base <= 0:
        return None
    return 1.0 - float(np.mean(model)) / base
