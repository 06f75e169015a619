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
