"""Sequential Monte Carlo over ensemble members: quantities, prior, weights, resampling, error.

A particle is one value of every assimilated quantity. Each quantity lives on an unbounded
scale `z` where its prior is normal and particles are jittered:

- a multiplier (caravan size, joining, rule intensities, the observation error): z = log m;
- a general movement parameter of `corridor.analysis.crossval.GENERAL` with range [lo, hi]:
  z = logit of its position in the range (on a log scale when GENERAL says so), so every
  value of z is inside the range.

Observation-error model (`log_likelihood`): a count y observed in a range [low, high] and
simulated as s is compared in log(1 + ·):

    log(1 + s) − c ~ Normal(0, σ² + h²),  c = ½ (log(1 + low) + log(1 + high)),
                                           h = ½ (log(1 + high) − log(1 + low)),

σ being the particle's `obs_error` (assimilated too: a model that misses more gets a wider
error). Arrival days (`first_arrival_days`, `median_arrival_days`) are compared in days with
sd² = 1 + (σ · c)² + h². A count the run cannot measure counts as off by a factor of e³ ≈ 20;
arrival days where nobody arrives as one day after the period.

The same error makes the forecast of an observation (`predictive`): each particle's
simulated value with log-normal noise of its σ.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

UNMEASURED_LOG = 3.0  # a count the run cannot measure: as far off as a factor of e³
DAYS = ("first_arrival_days", "median_arrival_days")


@dataclass(frozen=True)
class Quantity:
    """One assimilated quantity and its prior.

    Attributes:
        name: Its name in the posterior table.
        kind: `multiplier` (z = log m) or `range` (z = logit of the position in [low, high]).
        center: The prior's centre, in natural units.
        sd: The prior's standard deviation on the z scale.
        low, high: The range of a `range` quantity.
        log: Whether a `range` quantity's position is taken on a log scale.
        what: One line saying what it changes.
        setting: Applied to a member as a `--set NAME=VALUE` setting (rounded when `integer`).
        integer: Whether the setting takes whole numbers only.
    """

    name: str
    kind: str
    center: float
    sd: float
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    what: str = ""
    setting: bool = False
    integer: bool = False

    def _position(self, x: np.ndarray) -> np.ndarray:
        if self.log:
            return (np.log(x) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (x - self.low) / (self.high - self.low)

    def to_z(self, x: np.ndarray | float) -> np.ndarray:
        """Return z for natural values."""
        x = np.asarray(x, dtype=np.float64)
        if self.kind == "multiplier":
            return np.log(x)
        u = np.clip(self._position(x), 1e-3, 1 - 1e-3)
        return np.log(u / (1 - u))

    def from_z(self, z: np.ndarray | float) -> np.ndarray:
        """Return natural values for z."""
        z = np.asarray(z, dtype=np.float64)
        if self.kind == "multiplier":
            return np.exp(z)
        u = 1.0 / (1.0 + np.exp(-z))
        if self.log:
            return np.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        return self.low + u * (self.high - self.low)


class Prior:
    """Independent normal priors on the z scale of some quantities."""

    def __init__(self, quantities: Sequence[Quantity]):
        self.quantities = tuple(quantities)
        self.names = [q.name for q in self.quantities]
        self.mean = np.array([float(q.to_z(q.center)) for q in self.quantities])
        self.sd = np.array([q.sd for q in self.quantities])

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Return n particles (n × quantities, z scale)."""
        return self.mean + self.sd * rng.standard_normal((n, len(self.quantities)))

    def log_density(self, z: np.ndarray) -> np.ndarray:
        """Return the log prior density of particles (up to a constant)."""
        return -0.5 * np.sum(((z - self.mean) / self.sd) ** 2, axis=1)

    def natural(self, z: np.ndarray) -> list[dict[str, float]]:
        """Return each particle's values in natural units."""
        cols = [q.from_z(z[:, j]) for j, q in enumerate(self.quantities)]
        return [{q.name: float(cols[j][i]) for j, q in enumerate(self.quantities)}
                for i in range(z.shape[0])]


# --- weights and resampling -----------------------------------------------------------------
def normalise_log_weights(log_w: np.ndarray) -> np.ndarray:
    """Return weights summing to 1 from log weights (−inf allowed; all −inf → equal weights)."""
    log_w = np.asarray(log_w, dtype=np.float64)
    finite = np.isfinite(log_w)
    if not finite.any():
        return np.full(log_w.shape, 1.0 / len(log_w))
    w = np.where(finite, np.exp(log_w - log_w[finite].max()), 0.0)
    return w / w.sum()


def ess(weights: np.ndarray) -> float:
    """Return the effective sample size 1 / Σ w² of normalised weights."""
    w = np.asarray(weights, dtype=np.float64)
    return float(1.0 / np.sum(w * w))


def systematic_resample(weights: np.ndarray, rng: np.random.Generator,
                        n: int | None = None) -> np.ndarray:
    """Return n ancestor indices drawn by systematic resampling (one uniform draw).

    Particle i is drawn floor(n w_i) or ceil(n w_i) times; one with weight 0 never.
    """
    w = np.asarray(weights, dtype=np.float64)
    n = len(w) if n is None else n
    cum = np.cumsum(w)
    cum /= cum[-1]
    positions = (rng.random() + np.arange(n)) / n
    return np.minimum(np.searchsorted(cum, positions, side="right"), len(w) - 1)


def kernel_covariance(z: np.ndarray, weights: np.ndarray, prior: Prior) -> np.ndarray:
    """Return the jitter's covariance: twice the particles' weighted covariance.

    Twice the covariance is the usual choice of ABC-SMC (Beaumont et al. 2009); a floor of
    (prior sd / 10)² on the diagonal keeps a collapsed population moving.
    """
    mean = weights @ z
    d = z - mean
    cov = 2.0 * (d * weights[:, None]).T @ d
    return cov + np.diag((prior.sd / 10.0) ** 2)


def jitter(z: np.ndarray, cov: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return each particle moved by a normal draw of covariance `cov`."""
    chol = np.linalg.cholesky(cov)
    return z + rng.standard_normal(z.shape) @ chol.T


def log_proposal(z_new: np.ndarray, z_old: np.ndarray, weights: np.ndarray,
                 cov: np.ndarray) -> np.ndarray:
    """Return log Σ_j w_j N(z_new; z_old_j, cov) for each new particle (the mixture density)."""
    chol = np.linalg.cholesky(cov)
    log_det = 2.0 * np.sum(np.log(np.diag(chol)))
    diff = z_new[:, None, :] - z_old[None, :, :]  # new × old × dims
    sol = np.linalg.solve(chol, diff.reshape(-1, z_new.shape[1]).T).T
    maha = np.sum(sol * sol, axis=1).reshape(len(z_new), len(z_old))
    norm = 0.5 * z_new.shape[1] * math.log(2 * math.pi)
    terms = -0.5 * maha - 0.5 * log_det - norm + np.log(np.maximum(weights, 1e-300))[None, :]
    top = terms.max(axis=1)
    return top + np.log(np.sum(np.exp(terms - top[:, None]), axis=1))


# --- observation error ----------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """An observation as the error model sees it (see the module documentation).

    Attributes:
        value, low, high: As observed.
        days: Whether it is a number of days (arrival days), not a count.
        period_days: Days in its period (for an arrival nobody makes).
    """

    value: float
    low: float
    high: float
    days: bool
    period_days: int

    @property
    def center(self) -> float:
        """c: the middle of the range (in log(1 + ·) for counts, in days for days)."""
        if self.days:
            return 0.5 * (self.low + self.high)
        return 0.5 * (math.log1p(self.low) + math.log1p(self.high))

    @property
    def half_width(self) -> float:
        """h: half the range's width on the same scale."""
        if self.days:
            return 0.5 * (self.high - self.low)
        return 0.5 * (math.log1p(self.high) - math.log1p(self.low))


def target_of(obs) -> Target:
    """Return the `Target` of an `ObservationRow`."""
    low = obs.value if obs.low is None else obs.low
    high = obs.value if obs.high is None else obs.high
    low, high = max(min(low, high), 0.0), max(low, high, 0.0)
    return Target(float(obs.value), float(low), float(high), obs.kind in DAYS,
                  (obs.period_end - obs.period_start).days + 1)


def log_likelihood(targets: Sequence[Target], simulated: np.ndarray,
                   sigma: np.ndarray) -> np.ndarray:
    """Return each particle's log likelihood of the targets.

    Args:
        targets: The observations assimilated.
        simulated: particles × targets; NaN where a run cannot measure the observation.
        sigma: Each particle's observation error σ.

    Returns:
        One log likelihood per particle (0 for no targets).
    """
    total = np.zeros(simulated.shape[0])
    for k, t in enumerate(targets):
        s = simulated[:, k]
        if t.days:
            s = np.where(np.isnan(s), t.period_days, s)
            var = 1.0 + (sigma * t.center) ** 2 + t.half_width ** 2
            r = s - t.center
        else:
            var = sigma ** 2 + t.half_width ** 2
            r = np.where(np.isnan(s), UNMEASURED_LOG * np.sqrt(var),
                         np.log1p(np.maximum(np.nan_to_num(s), 0.0)) - t.center)
        total += -0.5 * r * r / var - 0.5 * np.log(var)
    return total


def predictive(target: Target, simulated: np.ndarray, sigma: np.ndarray,
               rng: np.random.Generator, draws: int = 20) -> np.ndarray:
    """Return draws of what would be observed: particles × draws (see the module docs)."""
    eps = rng.standard_normal((len(simulated), draws))
    s = simulated[:, None]
    if target.days:
        s = np.where(np.isnan(s), target.period_days, s)
        return np.maximum(s + eps * np.sqrt(1.0 + (sigma[:, None] * s) ** 2), 0.0)
    s = np.maximum(np.nan_to_num(s), 0.0)
    return np.expm1(np.log1p(s) + sigma[:, None] * eps)
