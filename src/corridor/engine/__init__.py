"""The simulation engine: network, columnar agents, movement models and the daily loop."""

from corridor.engine.jit_cache import ensure_cache

ensure_cache()  # before any kernel is defined: numba needs a writable cache folder
