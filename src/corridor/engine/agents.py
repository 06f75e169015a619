"""Columnar agent storage: one numpy array per attribute (struct of arrays), grown in blocks."""

from __future__ import annotations

import numpy as np

# name → dtype; 29 bytes per agent in all.
COLUMNS: dict[str, np.dtype] = {
    "place": np.dtype(np.int32),       # current place, or the place the link started from
    "link": np.dtype(np.int32),        # link being travelled, -1 when at a place
    "travelled": np.dtype(np.float32),  # km done on the current link
    "state": np.dtype(np.uint8),       # State
    "group": np.dtype(np.uint16),      # index into Simulation.groups (nationality, attributes)
    "prev_place": np.dtype(np.int32),  # place before the current one (-1 at the origin)
    "since": np.dtype(np.int16),       # day the current state began
    "timer": np.dtype(np.int16),       # day of the next scheduled decision (-1: none)
    "flags": np.dtype(np.uint16),      # bit flags set by rules (permit, registered entry, …)
    "countries": np.dtype(np.uint16),  # bit i set: has been in country i of the network
    "kinds": np.dtype(np.uint16),      # bit k set: has reached a place of kind k
}


class Agents:
    """All people of one run, as parallel numpy arrays; `n` of them are in use.

    Arrays are allocated with spare room and grown geometrically, so adding people is amortised
    O(1); views such as `agents.state` cover exactly the `n` agents in use.
    """

    def __init__(self, reserve: int = 0):
        self.n = 0
        self._cap = max(int(reserve), 16)
        self._data = {name: np.zeros(self._cap, dtype=dt) for name, dt in COLUMNS.items()}

    def __len__(self) -> int:
        return self.n

    def __getattr__(self, name: str) -> np.ndarray:
        data = self.__dict__.get("_data")
        if data is not None and name in data:
            return data[name][: self.n]
        raise AttributeError(name)

    def full(self, name: str) -> np.ndarray:
        """Return a column's whole buffer (for kernels that take `n` separately)."""
        return self._data[name]

    @property
    def nbytes(self) -> int:
        """Bytes allocated for agent state."""
        return sum(a.nbytes for a in self._data.values())

    @staticmethod
    def bytes_per_agent() -> int:
        """Bytes of state per agent."""
        return sum(dt.itemsize for dt in COLUMNS.values())

    def add(self, count: int, place: int, group: int, day: int, state: int,
            country_bit: int, kind_bit: int) -> slice:
        """Add `count` people at a place; return the slice of their indices."""
        start = self.n
        end = start + count
        if end > self._cap:
            self._grow(end)
        d = self._data
        d["place"][start:end] = place
        d["link"][start:end] = -1
        d["travelled"][start:end] = 0.0
        d["state"][start:end] = state
        d["group"][start:end] = group
        d["prev_place"][start:end] = -1
        d["since"][start:end] = day
        d["timer"][start:end] = -1
        d["flags"][start:end] = 0
        d["countries"][start:end] = country_bit
        d["kinds"][start:end] = kind_bit
        self.n = end
        return slice(start, end)

    def _grow(self, needed: int) -> None:
        cap = max(needed, int(self._cap * 1.5) + 16)
        for name, arr in self._data.items():
            new = np.zeros(cap, dtype=arr.dtype)
            new[: self.n] = arr[: self.n]
            self._data[name] = new
        self._cap = cap
