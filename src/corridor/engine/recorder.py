"""Turns each day's agent state into long-format rows: counts, flows and state changes."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from corridor.engine.kernels import count_positions
from corridor.engine.states import N_STATES, STATE_LABELS
from corridor.io.sinks import SCHEMAS

if TYPE_CHECKING:
    from corridor.engine.simulation import Simulation

NOT_DEPARTED = "not_departed"
FLUSH_ROWS = 1 << 13  # rows kept (daily, flows, transitions) before a batch is written
OUTCOME_CHUNK = 1 << 16  # agents per chunk when tallying outcomes
KEY_RULES = 1 << 12  # rule codes a change key has room for (`Recorder.change_key`)
PENDING_ROWS = 1 << 16  # changes of state kept before they are added up


def _numbers(values: np.ndarray, type_: pa.DataType) -> pa.Array:
    """Return a numpy array as an Arrow array without copying.

    Built from its buffer: `pa.array` would import pandas (0.5-0.9 s) to check whether the
    input is a pandas object.
    """
    dtype = np.int32 if type_ in (pa.int32(), pa.date32()) else np.int64
    values = np.ascontiguousarray(values, dtype=dtype)
    return pa.Array.from_buffers(type_, len(values), [None, pa.py_buffer(values)])


def _text(labels: list[str]) -> pa.Array:
    """Return Python strings as an Arrow string array (from buffers, see `_numbers`)."""
    data = [t.encode("utf-8") for t in labels]
    offsets = np.zeros(len(data) + 1, dtype=np.int32)
    offsets[1:] = np.cumsum([len(b) for b in data], dtype=np.int64)
    return pa.Array.from_buffers(pa.string(), len(data),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))])


_ENCODED: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]] = {}
LABEL_SETS = 64  # label lists whose encodings `_encoded` keeps


def _encoded(labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return the UTF-8 lengths and bytes (an object array) of labels, kept for the next call.

    A run writes its position, state and place names at every flush; encoding them once saves
    that work (a few label lists, at most `LABEL_SETS` kept).
    """
    key = tuple(labels)
    found = _ENCODED.get(key)
    if found is None:
        encoded = [t.encode("utf-8") for t in key]
        table = np.empty(len(encoded), dtype=object)
        table[:] = encoded
        found = (np.array([len(b) for b in encoded], dtype=np.int64), table)
        if len(_ENCODED) >= LABEL_SETS:
            _ENCODED.clear()
        _ENCODED[key] = found
    return found


def _strings(indices: np.ndarray, labels: list[str]) -> pa.Array:
    """Return labels[indices] as an Arrow string array, built from buffers.

    Not through a dictionary array and a cast: casting imports `pyarrow.compute` (about 0.1 s
    of every run's start-up), and allocated in pyarrow's default pool (mimalloc), which keeps
    freed memory (Mali ×1: 14 MB above the runtime instead of 5). Here the only buffers are the
    offsets (numpy) and the joined bytes.
    """
    idx = np.asarray(indices, dtype=np.int64)
    if len(labels) == 1:  # one label (the run id): the same bytes, without gathering them
        only = labels[0].encode("utf-8")
        offsets = (np.arange(len(idx) + 1) * len(only)).astype(np.int32)
        return pa.Array.from_buffers(pa.string(), len(idx), [None, pa.py_buffer(offsets),
                                                             pa.py_buffer(only * len(idx))])
    lengths, table = _encoded(labels)
    offsets = np.zeros(len(idx) + 1, dtype=np.int32)
    if len(idx):
        offsets[1:] = np.cumsum(lengths[idx])
    data = b"".join(table[idx].tolist())
    return pa.Array.from_buffers(pa.string(), len(idx),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(data)])


class Recorder:
    """Collects counts per (day, cohort, position, state), flows per (cohort, link), changes.

    Cohorts are numbered as `Simulation.cohorts`; `counts[cohort, position, state]` holds the
    last recorded day and `day_flows[cohort, link]` today's completed hops (the movement
    kernels add to it: `day_flows[cohort_of_group[group[row]], link] += people`).
    """

    def __init__(self, sim: Simulation):
        self.sim = sim
        net = sim.network
        self.positions = net.position_labels()
        self.states = list(STATE_LABELS) + [NOT_DEPARTED]
        n_cohorts = max(len(sim.cohorts), 1)
        self.counts = np.zeros((n_cohorts, net.n_positions, N_STATES), dtype=np.int64)
        self.day_flows = np.zeros((n_cohorts, net.n_links), dtype=np.int64)
        self.rules: list[str] = []
        self._rule_index: dict[str, int] = {}
        self._trans: dict[tuple[int, int, int, int, int], int] = {}  # (cohort, pos, old, new, rule)
        # changes of state not yet added to `_trans`: (keys, people) per call, in call order
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self._pending_rows = 0
        self._change_keys: dict[tuple[int, str], tuple[int, int, int] | None] = {}
        self._buf: dict[str, list[tuple[np.ndarray, ...]]] = {k: [] for k in SCHEMAS}
        self._kept = 0  # rows in the buffers

    def grow_cohorts(self, n: int) -> None:
        """Make room for n cohorts (a cohort added while the run is set up)."""
        extra = n - self.counts.shape[0]
        if extra > 0:
            self._change_keys.clear()  # whether keys fit depends on the number of cohorts
            self.counts = np.concatenate([self.counts, np.zeros((extra, *self.counts.shape[1:]),
                                                                dtype=np.int64)])
            self.day_flows = np.concatenate([self.day_flows, np.zeros(
                (extra, self.day_flows.shape[1]), dtype=np.int64)])

    def totals(self) -> np.ndarray:
        """Return the last recorded day's counts per (position, state), all cohorts together."""
        return self.counts[0] if self.counts.shape[0] == 1 else self.counts.sum(axis=0)

    def begin_day(self) -> None:
        """Reset the per-day accumulators."""
        self.day_flows[:] = 0
        self._trans.clear()
        self._pending.clear()
        self._pending_rows = 0

    def rule_code(self, rule: str) -> int:
        """Return the integer code of a rule id (registered on first use)."""
        code = self._rule_index.get(rule)
        if code is None:
            code = len(self.rules)
            self.rules.append(rule)
            self._rule_index[rule] = code
        return code

    def add_transitions(self, positions: np.ndarray, old: np.ndarray, new: int,
                        rule: str, weights: np.ndarray | None = None,
                        cohorts: np.ndarray | None = None) -> None:
        """Count people (rows × weights) of some cohorts changing state at their positions."""
        n_pos = self.counts.shape[1]
        key = positions.astype(np.int64) * (N_STATES + 1) + old
        if cohorts is not None:
            key += cohorts.astype(np.int64) * (n_pos * (N_STATES + 1))
        values, inverse = np.unique(key, return_inverse=True)
        counts = np.bincount(inverse, weights=weights, minlength=len(values)).astype(np.int64)
        for v, c in zip(values.tolist(), counts.tolist(), strict=True):
            cohort, rest = divmod(v, n_pos * (N_STATES + 1))
            self.add_count(rest // (N_STATES + 1), rest % (N_STATES + 1), new, rule, c, cohort)

    def change_key(self, new: int, rule: str) -> tuple[int, int, int] | None:
        """The (radix, mult, tail) of `add_changes` keys of a change to `new` by `rule`.

        A key is `((cohort * n_positions + position) * radix + old) * mult + tail`. None when
        the keys would not fit in 64 bits (then `add_transitions` counts the change).
        """
        found = self._change_keys.get((new, rule), False)
        if found is not False:
            return found
        code = self.rule_code(rule)
        radix = N_STATES + 1
        mult = radix * KEY_RULES
        top = self.counts.shape[0] * self.counts.shape[1] * radix * mult
        key = None if code >= KEY_RULES or top >= 1 << 62 else (radix, mult,
                                                                 int(new) * KEY_RULES + code)
        self._change_keys[(new, rule)] = key
        return key

    def add_changes(self, keys: np.ndarray, people: np.ndarray) -> None:
        """Count changes of state given as keys (see `change_key`) with their people.

        The same as `add_transitions` for the rows the keys were made from: they are added up
        with the day's other changes, in the order the calls came.
        """
        if len(keys):
            self._pending.append((keys, people))
            self._pending_rows += len(keys)
            if self._pending_rows >= PENDING_ROWS:
                self._settle()

    def _settle(self) -> None:
        """Add the pending changes to `_trans`, as `add_transitions` call by call would.

        Within a call `add_transitions` adds its keys in sorted order, so a key joins `_trans`
        where it first occurs in (call, key) order; later occurrences only add people.
        """
        if not self._pending:
            return
        pending, self._pending, self._pending_rows = self._pending, [], 0
        keys = np.concatenate([k for k, _ in pending])
        people = np.concatenate([w for _, w in pending])
        call = np.repeat(np.arange(len(pending)), [len(k) for k, _ in pending])
        order = np.lexsort((keys, call))
        values, first, inverse = np.unique(keys[order], return_index=True, return_inverse=True)
        sums = np.bincount(inverse.ravel(), weights=people[order], minlength=len(values))
        by_first = np.argsort(first, kind="stable")
        n_pos = self.counts.shape[1]
        radix = N_STATES + 1
        mult = radix * KEY_RULES
        trans = self._trans
        for v, c in zip(values[by_first].tolist(), sums[by_first].astype(np.int64).tolist(),
                        strict=True):
            within, tail = divmod(v, mult)
            cohort, rest = divmod(within, n_pos * radix)
            k = (cohort, rest // radix, rest % radix, tail // KEY_RULES, tail % KEY_RULES)
            trans[k] = trans.get(k, 0) + c

    def add_count(self, position: int, old: int, new: int, rule: str, count: int,
                  cohort: int = 0) -> None:
        """Count `count` people of a cohort changing from state `old` to `new` at a position."""
        self._settle()  # keeps the order in which changes were counted
        k = (int(cohort), int(position), int(old), int(new), self.rule_code(rule))
        self._trans[k] = self._trans.get(k, 0) + int(count)

    def add_counts(self, positions: list[int], old: int, new: int, rule: str,
                   counts: list[int], cohort: int = 0) -> None:
        """`add_count` for several positions in turn (one rule, one change of state)."""
        if self._pending:
            self._settle()
        code = self.rule_code(rule)
        trans = self._trans
        get = trans.get
        cohort, old, new = int(cohort), int(old), int(new)
        for position, count in zip(positions, counts, strict=True):
            k = (cohort, int(position), old, new, code)
            trans[k] = get(k, 0) + int(count)

    def end_day(self, day: int) -> None:
        """Count everybody and keep the day's rows (the transitions as lists until `flush`)."""
        a = self.sim.agents
        d = a._data
        net = self.sim.network
        if self._pending:
            self._settle()
        counts = self.counts
        counts.fill(0)
        count_positions(a.n, d["place"], d["link"], d["state"], d["count"], d["group"],
                        self.sim.cohort_of_group, net.n_places, counts)
        # the non-zero cells as flat indices (split into cohort, position and state at
        # `flush`; adding a cohort appends along the first axis, which moves no flat index)
        kept = self._keep("daily", day, counts.reshape(-1))
        kept += self._keep("flows", day, self.day_flows.reshape(-1))
        trans = self._trans
        if trans:
            self._buf["transitions"].append((day, list(trans.keys()), list(trans.values())))
        self._kept += kept + len(trans)
        if self._kept >= FLUSH_ROWS:
            self.flush()

    def _keep(self, table: str, day: int, flat: np.ndarray) -> int:
        """Keep a day's non-zero cells of `daily` or `flows` (flat counts); return how many."""
        cells = flat.nonzero()[0]
        self._buf[table].append((day, cells, flat[cells]))
        return len(cells)

    def _dates(self, days: np.ndarray) -> pa.Array:
        start = np.datetime64(self.sim.scenario.config.start_date, "D")
        epoch_days = (start - np.datetime64("1970-01-01", "D")).astype(np.int64)
        return _numbers(days.astype(np.int64) + epoch_days, pa.date32())

    def _run_ids(self, n: int) -> pa.Array:
        return _strings(np.zeros(n, dtype=np.int32), [self.sim.run_id])

    def _cohorts(self, codes: np.ndarray) -> pa.Array:
        return _strings(codes, self.sim.cohorts)

    def _flat_rows(self, table: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The kept (day, flat index, count) rows of `daily` or `flows` as three arrays."""
        kept = self._buf[table]
        lengths = [len(cells) for _, cells, _ in kept]
        days = np.repeat(np.array([d for d, _, _ in kept], dtype=np.int32), lengths)
        return (days, np.concatenate([cells for _, cells, _ in kept]),
                np.concatenate([values for _, _, values in kept]))

    def flush(self) -> None:
        """Write the kept rows to the simulation's sink as record batches."""
        sink = self.sim.sink
        net = self.sim.network
        if self._buf["daily"]:
            day, cells, cnt = self._flat_rows("daily")
            n_states = self.counts.shape[2]
            coh, rest = np.divmod(cells, self.counts.shape[1] * n_states)
            pos, st = np.divmod(rest, n_states)
            sink.write("daily", pa.record_batch([
                self._run_ids(len(day)), _numbers(day, pa.int32()), self._dates(day),
                _strings(pos, self.positions), _strings(st, self.states),
                _numbers(cnt, pa.int64()), self._cohorts(coh)], schema=SCHEMAS["daily"]))
        if self._buf["flows"]:
            day, hops, cnt = self._flat_rows("flows")
            coh, links = np.divmod(hops, self.day_flows.shape[1])
            if len(day):
                places = list(net.place_ids)
                sink.write("flows", pa.record_batch([
                    self._run_ids(len(day)), _numbers(day, pa.int32()), self._dates(day),
                    _strings(net.link_from[links], places), _strings(net.link_to[links], places),
                    _numbers(cnt, pa.int64()), self._cohorts(coh)], schema=SCHEMAS["flows"]))
        if self._buf["transitions"]:
            kept = self._buf["transitions"]
            day = np.repeat(np.array([d for d, _, _ in kept], dtype=np.int32),
                            [len(v) for _, _, v in kept])
            keys = np.array([k for _, ks, _ in kept for k in ks], dtype=np.int64).reshape(-1, 5)
            cnt = np.array([v for _, _, vs in kept for v in vs], dtype=np.int64)
            coh, pos, old, new, rule = keys.T
            sink.write("transitions", pa.record_batch([
                self._run_ids(len(day)), _numbers(day, pa.int32()), self._dates(day),
                _strings(pos, self.positions), _strings(old, self.states),
                _strings(new, self.states), _strings(rule, self.rules), _numbers(cnt, pa.int64()),
                self._cohorts(coh)], schema=SCHEMAS["transitions"]))
        self._buf = {k: [] for k in SCHEMAS}
        self._kept = 0

    def outcomes(self) -> pa.RecordBatch:
        """Return final (cohort, state, position, countries, kinds) combinations with counts."""
        a = self.sim.agents
        net = self.sim.network
        cohort_of_group = self.sim.cohort_of_group
        totals: dict[tuple[int, int], int] = {}
        for start in range(0, a.n, OUTCOME_CHUNK):  # chunks keep peak memory bounded
            sl = slice(start, min(start + OUTCOME_CHUNK, a.n))
            link = a.link[sl]
            pos = np.where(link < 0, a.place[sl], net.n_places + link).astype(np.uint64)
            key = ((pos << np.uint64(37)) | (a.state[sl].astype(np.uint64) << np.uint64(32))
                   | (a.countries[sl].astype(np.uint64) << np.uint64(16))
                   | a.kinds[sl].astype(np.uint64))
            group = a.group[sl]
            if len(group) and (group == group[0]).all():  # one group (a 1-D sort: ~10× faster)
                keys, inverse = np.unique(key, return_inverse=True)
                values = np.stack([keys, np.full(len(keys), group[0], dtype=np.uint64)], axis=1)
            else:
                pairs = np.stack([key, group.astype(np.uint64)], axis=1)
                values, inverse = np.unique(pairs, axis=0, return_inverse=True)
            counts = np.bincount(inverse.ravel(), weights=a.count[sl], minlength=len(values))
            for (v, g), c in zip(values.tolist(), counts.tolist(), strict=True):
                if c:
                    totals[(v, g)] = totals.get((v, g), 0) + int(c)
        ordered = sorted(totals)
        values = np.array([v for v, _ in ordered], dtype=np.uint64)
        group_u = [g for _, g in ordered]
        counts = np.array([totals[k] for k in ordered], dtype=np.int64)
        pos_u = (values >> np.uint64(37)).astype(np.int64)
        coh_u = cohort_of_group[np.array(group_u, dtype=np.int64)] if group_u else (
            np.zeros(0, dtype=np.int64))
        st_u = ((values >> np.uint64(32)) & np.uint64(0x1F)).astype(np.int64)
        c_u = ((values >> np.uint64(16)) & np.uint64(0xFFFF)).astype(np.int64)
        k_u = (values & np.uint64(0xFFFF)).astype(np.int64)
        from corridor.scenario.kinds import PLACE_KINDS

        def bits(masks: np.ndarray, names: tuple[str, ...]) -> list[str]:
            masks = masks.tolist()
            text = {m: ",".join(name for i, name in enumerate(names) if m >> i & 1)
                    for m in set(masks)}  # each mask once (rows share few)
            return [text[m] for m in masks]

        country_text = bits(c_u, tuple(net.countries[:16]))
        kind_text = bits(k_u, PLACE_KINDS)
        groups = [self.sim.groups[g] if g < len(self.sim.groups) else None for g in group_u]

        def column(get) -> pa.Array:
            return _text([get(g) if g is not None else "" for g in groups])

        return pa.record_batch([
            self._run_ids(len(values)), _strings(st_u, self.states),
            _strings(pos_u, self.positions), _text(country_text),
            _text(kind_text), column(lambda g: g.origin),
            column(lambda g: g.nationality), _strings(coh_u, self.sim.cohorts),
            column(lambda g: ";".join(f"{k}={v}" for k, v in g.attributes)),
            _numbers(counts, pa.int64())],
            schema=SCHEMAS["outcomes"])

    def last_day_totals(self) -> tuple[dict[str, int], dict[str, int]]:
        """Return the last recorded day's totals by state and by position."""
        totals = self.totals()
        by_state = {self.states[s]: int(c) for s, c in enumerate(totals.sum(axis=0)) if c}
        by_pos = {self.positions[p]: int(c) for p, c in enumerate(totals.sum(axis=1)) if c}
        return by_state, by_pos

    def last_day_cohort_totals(self) -> dict[str, dict]:
        """Return, per cohort label, the last recorded day's totals by state (`by_state`)."""
        per_state = self.counts.sum(axis=1)
        return {label: {"by_state": {self.states[s]: int(c) for s, c in enumerate(row) if c}}
                for label, row in zip(self.sim.cohorts, per_state, strict=False)}


def iso(date: dt.date) -> str:
    """Return an ISO date string."""
    return date.isoformat()
