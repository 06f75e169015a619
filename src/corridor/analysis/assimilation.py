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
error). The model may run early or late: each count's likelihood is a mixture over the
run's values with the period moved by δ days (`SHIFTS`, −8 … 8), δ ~ Normal(0, (ρ · t)² + ½²),
t the days from the caravan's departure to the end of the period and ρ the particle's
`timing_error` (a caravan 20 % slower is a week late after a month). Arrival days are compared
in days with sd² = 1 + (ρ c)² + h². A share π of the counts (`gross_error`, assimilated) are
gross errors, unrelated to the run: uniform in log(1 + count) up to twice everybody who
departs (arrival days: uniform over the period). This stands for what the model cannot do
(e.g. a caravan resting in a city the model passes through in a day shows 0 there at the end
of the day, docs/validation.md). Each term is raised to the power 1 / (counts of its
series) (`series_weights`). A count the run cannot measure counts as off by a factor of
e³ ≈ 20; arrival days where nobody arrives as one day after the period.

The same error makes the forecast of an observation (`predictive`): each particle's
value, at a shift drawn from its timing error, with log-normal noise of its σ (arrival days:
normal noise as above), or with probability π a gross error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

UNMEASURED_LOG = 3.0  # a count the run cannot measure: as far off as a factor of e³
DAYS = ("first_arrival_days", "median_arrival_days")
TIMING_ERROR = 0.25  # ρ when a particle has none: timing off by 25 % of the days elapsed
SHIFTS = np.array([-8, -4, -2, -1, 0, 1, 2, 4, 8])  # days a period is moved for the timing error
ZERO = int(np.flatnonzero(SHIFTS == 0)[0])
SPACING = np.gradient(SHIFTS.astype(np.float64))  # the width each shift stands for


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


def tempered(log_lik: np.ndarray, log_rest: np.ndarray, target: float
             ) -> tuple[np.ndarray, float]:
    """Return weights ∝ exp(λ · log_lik + log_rest) and λ ≤ 1, the largest keeping ESS ≥ target.

    λ = 1 (the likelihood as it is) when its weights keep an effective sample size of at
    least `target` members; else the bisection's largest λ that does. A λ below 1 says the
    counts disagree with every member more than the error model allows: the weights keep more
    spread than the exact posterior would.
    """
    def weights(lam: float) -> np.ndarray:
        return normalise_log_weights(lam * log_lik + log_rest)

    w = weights(1.0)
    if ess(w) >= target:
        return w, 1.0
    lo, hi = 0.0, 1.0
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        if ess(weights(mid)) >= target:
            lo = mid
        else:
            hi = mid
    return weights(lo), lo


SHRINK_DELTA = 0.95  # Liu and West (2001): discount factor of the kernel


def liu_west(z: np.ndarray, weights: np.ndarray, ancestors: np.ndarray, prior: Prior,
             rng: np.random.Generator, delta: float = SHRINK_DELTA) -> np.ndarray:
    """Return resampled particles jittered by the Liu–West kernel (mean and spread kept).

    Each ancestor is shrunk towards the weighted mean, z' = a z + (1 − a) m, then moved by a
    normal draw of covariance h² V (V the weighted covariance, h² = 1 − a²,
    a = (3δ − 1) / 2δ), so the jittered population keeps the mean and covariance of the
    weighted one instead of spreading at every stage. A floor of (prior sd / 20)² on the
    diagonal keeps a collapsed population moving.
    """
    a = (3 * delta - 1) / (2 * delta)
    h2 = 1 - a * a
    mean = weights @ z
    d = z - mean
    cov = h2 * ((d * weights[:, None]).T @ d) + np.diag((prior.sd / 20.0) ** 2)
    chol = np.linalg.cholesky(cov)
    picked = a * z[ancestors] + (1 - a) * mean
    return picked + rng.standard_normal(picked.shape) @ chol.T


# --- observation error ----------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """An observation as the error model sees it (see the module documentation).

    Attributes:
        value, low, high: As observed.
        days: Whether it is a number of days (arrival days), not a count.
        period_days: Days in its period (for an arrival nobody makes).
        weight: The power of its likelihood term (1 / the counts of its series; see
            `series_weights`).
        elapsed: Days from the caravan's first departure to the end of its period (≥ 1): the
            timing error grows with it.
        ceiling: The largest count a gross error may give (twice everybody who departs).
    """

    value: float
    low: float
    high: float
    days: bool
    period_days: int
    weight: float = 1.0
    elapsed: float = 1.0
    ceiling: float = 1e6

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


def target_of(obs, weight: float = 1.0, departure=None, people: float = 5e5) -> Target:
    """Return the `Target` of an `ObservationRow`.

    Args:
        obs: The observation.
        weight: Its likelihood's power.
        departure: The caravan's first day (for the timing error).
        people: Everybody who departs in the scenario (for the gross error's ceiling).
    """
    low = obs.value if obs.low is None else obs.low
    high = obs.value if obs.high is None else obs.high
    low, high = max(min(low, high), 0.0), max(low, high, 0.0)
    elapsed = 1.0 if departure is None else max((obs.period_end - departure).days, 1)
    return Target(float(obs.value), float(low), float(high), obs.kind in DAYS,
                  (obs.period_end - obs.period_start).days + 1, weight, float(elapsed),
                  2.0 * max(people, 1.0))


def gross_density(target: Target) -> float:
    """Return the density of a gross error.

    Uniform in log(1 + count) up to the ceiling for counts, uniform over the period's days for
    arrival days.
    """
    if target.days:
        return 1.0 / (target.period_days + 1.0)
    return 1.0 / math.log1p(target.ceiling)


def timing_weights(elapsed: float, rho: np.ndarray) -> np.ndarray:
    """Return each particle's probabilities of the timing shifts `SHIFTS` (particles × shifts).

    The model runs early or late by δ days, δ ~ Normal(0, (ρ · elapsed)² + ½²) on the grid
    of `SHIFTS` (each point weighted by the width it stands for), ρ the particle's
    `timing_error`.
    """
    sd = np.sqrt((np.asarray(rho, dtype=np.float64) * elapsed) ** 2 + 0.25)
    dens = np.exp(-0.5 * (SHIFTS[None, :] / sd[:, None]) ** 2) * SPACING[None, :]
    return dens / dens.sum(axis=1, keepdims=True)


def series_weights(observations: Sequence) -> list[float]:
    """Return 1 / (counts of the same place, kind and cohort) for each observation.

    Counts of one series (the same place, kind and cohort over nested or neighbouring
    periods) are not independent: a model that misses one misses the others. Each series
    weighs as much as one count, so ten reports of one crossing do not outweigh one report
    elsewhere tenfold (a tempered, "power" likelihood).
    """
    from corridor.analysis.measures import fold

    keys = [(fold(o.place), o.kind, o.cohort) for o in observations]
    n: dict[tuple, int] = {}
    for k in keys:
        n[k] = n.get(k, 0) + 1
    return [1.0 / n[k] for k in keys]


def log_likelihood(targets: Sequence[Target], simulated: np.ndarray,
                   sigma: np.ndarray, rho: np.ndarray | None = None,
                   gross: np.ndarray | None = None) -> np.ndarray:
    """Return each particle's log likelihood of the targets.

    Args:
        targets: The observations assimilated.
        simulated: particles × targets × `SHIFTS` (the run's value over the period moved by
            each shift); NaN where a run cannot measure the observation.
        sigma: Each particle's observation error σ.
        rho: Each particle's timing error ρ (default `TIMING_ERROR`).
        gross: Each particle's share of gross errors π (default 0).

    Returns:
        One log likelihood per particle (0 for no targets).
    """
    n = simulated.shape[0]
    rho = np.full(n, TIMING_ERROR) if rho is None else rho
    gross = np.zeros(n) if gross is None else gross
    total = np.zeros(n)
    for k, t in enumerate(targets):
        if t.days:
            s = simulated[:, k, ZERO]
            s = np.where(np.isnan(s), t.period_days, s)
            var = 1.0 + (rho * t.center) ** 2 + t.half_width ** 2
            r = s - t.center
            main = -0.5 * r * r / var - 0.5 * np.log(var * 2 * math.pi)
        else:
            s = simulated[:, k, :]
            var = (sigma ** 2 + t.half_width ** 2)[:, None]
            r = np.where(np.isnan(s), UNMEASURED_LOG * np.sqrt(var),
                         np.log1p(np.maximum(np.nan_to_num(s), 0.0)) - t.center)
            terms = -0.5 * r * r / var - 0.5 * np.log(var * 2 * math.pi) + np.log(
                np.maximum(timing_weights(t.elapsed, rho), 1e-300))
            top = terms.max(axis=1)
            main = top + np.log(np.exp(terms - top[:, None]).sum(axis=1))
        mixed = np.logaddexp(np.log1p(-gross) + main,
                             np.log(np.maximum(gross, 1e-300)) + math.log(gross_density(t)))
        total += t.weight * mixed
    return total


def predictive(target: Target, simulated: np.ndarray, sigma: np.ndarray,
               rng: np.random.Generator, draws: int = 20,
               rho: np.ndarray | None = None, gross: np.ndarray | None = None) -> np.ndarray:
    """Return draws of what would be observed: particles × draws (see the module docs).

    Args:
        target: The observation.
        simulated: particles × `SHIFTS`: the run's values over the period moved by each shift.
        sigma: Each particle's observation error σ.
        rng: Random draws.
        draws: Draws per particle.
        rho: Each particle's timing error ρ (default `TIMING_ERROR`).
        gross: Each particle's share of gross errors π (default 0).
    """
    n = len(simulated)
    rho = np.full(n, TIMING_ERROR) if rho is None else rho
    gross = np.zeros(n) if gross is None else gross
    eps = rng.standard_normal((n, draws))
    is_gross = rng.random((n, draws)) < gross[:, None]
    uniform = rng.random((n, draws))
    if target.days:
        s = simulated[:, ZERO][:, None]
        s = np.where(np.isnan(s), target.period_days, s)
        out = np.maximum(s + eps * np.sqrt(1.0 + (rho[:, None] * s) ** 2), 0.0)
        return np.where(is_gross, uniform * (target.period_days + 1.0), out)
    cum = np.cumsum(timing_weights(target.elapsed, rho), axis=1)
    u = rng.random((n, draws))
    pick = np.minimum((u[:, :, None] > cum[:, None, :]).sum(axis=2), len(SHIFTS) - 1)
    s = np.take_along_axis(np.maximum(np.nan_to_num(simulated), 0.0), pick, axis=1)
    out = np.expm1(np.log1p(s) + sigma[:, None] * eps)
    return np.where(is_gross, np.expm1(uniform * math.log1p(target.ceiling)), out)
