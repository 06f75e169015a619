"""Counter-based random numbers: a draw is a pure function of (key, agent, counter).

Each agent's draws do not depend on the order in which agents are processed, nor on how many
threads or processes share the work, so a seed gives the same run on every backend. The mixing
function is the splitmix64 finaliser applied twice (a strong 64-bit bijective hash).
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

_GOLDEN = uint64(0x9E3779B97F4A7C15)
_C2 = uint64(0xD1B54A32D192ED03)
_M1 = uint64(0xBF58476D1CE4E5B9)
_M2 = uint64(0x94D049BB133111EB)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


@njit(inline="always", cache=True)
def mix64(z: uint64) -> uint64:
    """Return the splitmix64 finaliser of z."""
    z = (z ^ (z >> uint64(30))) * _M1
    z = (z ^ (z >> uint64(27))) * _M2
    return z ^ (z >> uint64(31))


@njit(inline="always", cache=True)
def uniform(key: uint64, agent: int, counter: int) -> float:
    """Return a uniform draw in [0, 1) for an agent and a counter under a key."""
    z = key + uint64(agent) * _GOLDEN + uint64(counter) * _C2
    z = mix64(mix64(z))
    return float(z >> uint64(11)) * _INV53


@njit(cache=True)
def uniforms(key: uint64, agents: np.ndarray, counter: int) -> np.ndarray:
    """Return one uniform draw per agent index."""
    out = np.empty(agents.shape[0], dtype=np.float64)
    for i in range(agents.shape[0]):
        out[i] = uniform(key, agents[i], counter)
    return out


def day_key(master: int, day: int, purpose: int) -> np.uint64:
    """Derive the key of one day and purpose from the run's master key."""
    z = (int(master) + (day + 1) * 0x9E3779B97F4A7C15 + (purpose + 1) * 0xD1B54A32D192ED03)
    z &= 0xFFFFFFFFFFFFFFFF
    for _ in range(2):
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        z ^= z >> 31
    return np.uint64(z)


def master_key(seed_sequence: np.random.SeedSequence) -> int:
    """Return the 64-bit master key of a run from its seed sequence."""
    return int(seed_sequence.generate_state(1, dtype=np.uint64)[0])


_FC = np.array([0.08106146679532726, 0.04134069595540929, 0.02767792568499834,
                0.02079067210376509, 0.01664469118982119, 0.01387612882307075,
                0.01189670994589177, 0.01041126526197209, 0.009255462182712733,
                0.008330563433362871])


@njit(inline="always", cache=True)
def _stirling_tail(k: int) -> float:
    """log(k!) minus its Stirling approximation (Hörmann's fc)."""
    if k < 10:
        return _FC[k]
    r = 1.0 / (k + 1)
    r2 = r * r
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 * r2) * r2) * r


@njit(cache=True)
def binomial(key: uint64, row: int, counter: int, n: int, p: float) -> int:
    """Draw Binomial(n, p) from counter-based uniforms of (key, row, counter, counter+1, …).

    Inversion for small means, Hörmann's BTRD rejection (1993) otherwise. Uses counters
    `counter*64 .. counter*64+63` so that distinct counters never share uniforms.
    """
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    flip = p > 0.5
    q = 1.0 - p if flip else p
    base = counter * 64
    c = 0
    if n * q < 10.0:
        # inversion: walk the CDF from 0
        s = q / (1.0 - q)
        a = (n + 1) * s
        r = (1.0 - q) ** n
        u = uniform(key, row, base + c)
        k = 0
        while u > r and k < n:
            u -= r
            k += 1
            r *= a / k - s
        return n - k if flip else k
    m = int((n + 1) * q)
    r = q / (1.0 - q)
    nr = (n + 1) * r
    npq = n * q * (1.0 - q)
    sq = np.sqrt(npq)
    b = 1.15 + 2.53 * sq
    a = -0.0873 + 0.0248 * b + 0.01 * q
    cc = n * q + 0.5
    alpha = (2.83 + 5.1 / b) * sq
    vr = 0.92 - 4.2 / b
    urvr = 0.86 * vr
    while True:
        v = uniform(key, row, base + (c % 64))
        c += 1
        if v <= urvr:
            u = v / vr - 0.43
            k = int(np.floor((2.0 * a / (0.5 - abs(u)) + b) * u + cc))
            return n - k if flip else k
        if v >= vr:
            u = uniform(key, row, base + (c % 64)) - 0.5
            c += 1
        else:
            u = v / vr - 0.93
            u = (0.5 if u >= 0 else -0.5) - u
            v = uniform(key, row, base + (c % 64)) * vr
            c += 1
        us = 0.5 - abs(u)
        k = int(np.floor((2.0 * a / us + b) * u + cc))
        if k < 0 or k > n:
            continue
        v = v * alpha / (a / (us * us) + b)
        km = abs(k - m)
        if km <= 15:
            f = 1.0
            if m < k:
                for i in range(m + 1, k + 1):
                    f *= nr / i - r
            elif m > k:
                for i in range(k + 1, m + 1):
                    v *= nr / i - r
            if v <= f:
                return n - k if flip else k
            continue
        v = np.log(v)
        rho = (km / npq) * (((km / 3.0 + 0.625) * km + 1.0 / 6.0) / npq + 0.5)
        t = -km * km / (2.0 * npq)
        if v < t - rho:
            return n - k if flip else k
        if v > t + rho:
            continue
        nm = n - m + 1
        h = (m + 0.5) * np.log((m + 1) / (r * nm)) + _stirling_tail(m) + _stirling_tail(n - m)
        nk = n - k + 1
        if v <= h + (n + 1) * np.log(nm / nk) + (k + 0.5) * np.log(nk * r / (k + 1)) \
                - _stirling_tail(k) - _stirling_tail(n - k):
            return n - k if flip else k


@njit(cache=True)
def binomials(key: uint64, rows: np.ndarray, counter: int, n: np.ndarray,
              p: float) -> np.ndarray:
    """Draw one Binomial(n[i], p) per row."""
    out = np.empty(rows.shape[0], dtype=np.int64)
    for i in range(rows.shape[0]):
        out[i] = binomial(key, rows[i], counter, n[i], p)
    return out
