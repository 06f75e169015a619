"""Columnar agent storage: one numpy array per attribute (struct of arrays), grown in blocks."""

from __future__ import annotations

import numpy as np

# name → dtype; 33 bytes per row in all.
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
    "count": np.dtype(np.uint32),      # people in the row: 1 per agent; many in count mode
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
        self._extra: dict[str, float] = {}  # model columns (name → value of new rows)

    def add_column(self, name: str, dtype: type, fill: float = 0) -> None:
        """Add a model-owned column; it is copied by `split_row` and is part of `merge`'s key."""
        self._data[name] = np.full(self._cap, fill, dtype=dtype)
        self._extra[name] = fill

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

    def add(self, count: int, place: int | np.ndarray, group: int, day: int, state: int,
            country_bit: int | np.ndarray, kind_bit: int | np.ndarray,
            per_row: int | np.ndarray = 1) -> slice:
        """Add `count` rows at a place, each of `per_row` people; return their slice.

        `place`, `country_bit`, `kind_bit` and `per_row` may also be arrays of `count` values
        (rows at several places at once).
        """
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
        d["count"][start:end] = per_row
        for name, fill in self._extra.items():
            d[name][start:end] = fill
        self.n = end
        return slice(start, end)

    @property
    def capacity(self) -> int:
        """Rows allocated (in use or spare)."""
        return self._cap

    def reserve(self, rows: int) -> None:
        """Make room for at least `rows` rows in all."""
        if rows > self._cap:
            self._grow(rows)

    def split_row(self, row: int, k: int) -> int:
        """Move k people of a row into a new row (a copy); return the new row's index."""
        if self.n + 1 > self._cap:
            self._grow(self.n + 1)
        new = self.n
        for arr in self._data.values():
            arr[new] = arr[row]
        self._data["count"][new] = k
        self._data["count"][row] -= k
        self.n += 1
        return new

    def split_rows(self, rows: np.ndarray, k: np.ndarray) -> np.ndarray:
        """Move k[i] people of rows[i] into new rows, one each, in order; return their indices.

        The same as `split_row(rows[i], k[i])` for each i in turn, in one pass over the columns.
        """
        rows = np.asarray(rows, dtype=np.int64)
        k = np.asarray(k, dtype=np.int64)
        new = self.append_copies(rows, k)
        np.subtract.at(self._data["count"], rows, k.astype(np.uint32))
        return new

    def append_copies(self, rows: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Append a copy of each of rows (in order) holding counts[i] people; return the indices.

        The source rows keep their people (see `split_rows` for a split).
        """
        m = len(rows)
        start = self.n
        if start + m > self._cap:
            self._grow(start + m)
        for arr in self._data.values():
            arr[start:start + m] = arr[rows]
        self._data["count"][start:start + m] = counts
        self.n = start + m
        return np.arange(start, start + m, dtype=np.int64)

    def merge(self, keep_order: bool = False) -> None:
        """Merge rows that differ in nothing but their count (count representation).

        Rows left with nobody are dropped.

        Args:
            keep_order: Keep the merged rows in the order of their first row (one hashed pass,
                `merge_kernels.merge_rows`; best for a few thousand rows, and for models that
                process rows in the order they were made). Otherwise the rows come out sorted
                by their columns, place first (a sort: faster for many rows, and rows of one
                place end up together).
        """
        if self.n == 0:
            return
        if keep_order:
            from corridor.engine.merge_kernels import merge_rows

            cols = tuple(arr for name, arr in self._data.items() if name != "count")
            kept = merge_rows(cols, self._data["count"], self.n)
            if kept >= 0:
                self.n = kept
                return
        self._merge_sorted(keep_order)

    def _merge_sorted(self, keep_order: bool) -> None:
        """`merge` by sorting (also when two different rows share a hash in `merge_rows`)."""
        n = self.n
        cols = [arr[:n] for name, arr in self._data.items() if name != "count"]
        order = np.lexsort(cols[::-1])
        first_of_group = np.zeros(n, dtype=np.bool_)
        first_of_group[0] = True
        for col in cols:
            c = col[order]
            first_of_group[1:] |= c[1:] != c[:-1]
        group = np.cumsum(first_of_group) - 1
        totals = np.bincount(group, weights=self._data["count"][:n][order])
        if keep_order:  # each group's earliest row, in row order
            first = np.full(len(totals), n, dtype=np.int64)
            np.minimum.at(first, group, order)
        else:  # each group's first row in sorted order
            first = order[first_of_group]
        alive = totals > 0
        keep, kept_totals = first[alive], totals[alive]
        if keep_order:
            by_row = np.argsort(keep)
            keep, kept_totals = keep[by_row], kept_totals[by_row]
        for arr in self._data.values():
            arr[: len(keep)] = arr[keep]
        self._data["count"][: len(keep)] = kept_totals
        self.n = len(keep)

    def _grow(self, needed: int) -> None:
        cap = max(needed, int(self._cap * 1.5) + 16)
        for name, arr in self._data.items():
            new = np.zeros(cap, dtype=arr.dtype)
            new[: self.n] = arr[: self.n]
            self._data[name] = new
        self._cap = cap


def _column(name: str) -> property:
    """A property giving the rows in use of one column (faster than `__getattr__`)."""

    def get(self: Agents) -> np.ndarray:
        return self._data[name][: self.n]

    return property(get, doc=f"The `{name}` column of the rows in use (a view).")


for _name in COLUMNS:
    setattr(Agents, _name, _column(_name))
