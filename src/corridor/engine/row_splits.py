"""Numba kernel that schedules timers for many rows of people at once (count representation).

`Simulation.set_timers` gives each person a day drawn uniformly from `first..last`. With rows of
interchangeable people this is a multinomial, drawn as successive binomial splits: on step v
(v = 0, 1, …, span-1) each row still waiting gives a Binomial(count, 1 / (span - v)) share of
its people the day `first + v`; a row split in part keeps the rest and the share becomes a new
row. Done split by split in Python this cost one `Simulation._split_rows` call per step (61
for a 60–120 day hearing); this kernel does all the steps in one pass and returns the plan of
new rows, which `Agents.append_copies` then adds.

The draws, the order of the new rows and every value written are exactly those of the split by
split procedure (`tests/test_row_splits.py` checks this against it).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from corridor.engine.random import binomial


@njit(cache=True)
def timer_splits(key, idx, count, timer, first, span):
    """Split rows idx over `span` days from `first`; return the new rows to add.

    On step v the rows still waiting (`rest`, in the order of the split by split procedure:
    the rows nobody left, then the rows split in part) draw k = Binomial(count, 1/(span - v))
    under (key, row, counter v). A row with k == count gets `timer = first + v` and leaves (a
    row of nobody also stays, as in `Simulation._split_rows`); a row with 0 < k < count loses k
    people to a new row whose timer is `first + v`.

    Args:
        key: The random key of the day and purpose.
        idx: Rows to schedule (int64).
        count: The whole `count` column (people per row); rows split in part lose people here.
        timer: The whole `timer` column; rows taken whole get their day here.
        first: The first day of the range.
        span: Days in the range (`last - first + 1`).

    Returns:
        (source rows, people, step) of each new row, in the order the rows are to be appended:
        the new row is a copy of its source row with `count = people` and
        `timer = first + step`.
    """
    m = idx.shape[0]
    rest = idx.copy()
    nrest = m
    k = np.empty(m, dtype=np.int64)
    n = np.empty(m, dtype=np.int64)  # people of each waiting row at the start of the step
    nxt = np.empty(m, dtype=np.int64)
    cap = max(m, 16)
    src = np.empty(cap, dtype=np.int64)
    people = np.empty(cap, dtype=np.int64)
    step = np.empty(cap, dtype=np.int64)
    made = 0
    for v in range(span):
        if nrest == 0:
            break
        p = 1.0 / (span - v)
        for j in range(nrest):
            n[j] = np.int64(count[rest[j]])
            k[j] = binomial(key, rest[j], v, n[j], p)
        nn = 0
        for j in range(nrest):  # taken whole (k == n): today's timer
            if k[j] == n[j]:
                timer[rest[j]] = first + v
        for j in range(nrest):  # nobody left: still waiting, first
            if k[j] == 0:
                nxt[nn] = rest[j]
                nn += 1
        for j in range(nrest):  # split in part: a new row of k, the rest still waiting
            row = rest[j]
            if k[j] != n[j] and k[j] != 0:
                if made == cap:
                    cap *= 2
                    src2 = np.empty(cap, dtype=np.int64)
                    people2 = np.empty(cap, dtype=np.int64)
                    step2 = np.empty(cap, dtype=np.int64)
                    src2[:made] = src[:made]
                    people2[:made] = people[:made]
                    step2[:made] = step[:made]
                    src, people, step = src2, people2, step2
                src[made] = row
                people[made] = k[j]
                step[made] = v
                made += 1
                count[row] -= k[j]
                nxt[nn] = row
                nn += 1
        rest, nxt = nxt, rest
        nrest = nn
    return src[:made].copy(), people[:made].copy(), step[:made].copy()


@njit(cache=True)
def binomial_split(key, idx, counter, count, p):
    """Split the people of rows idx: Binomial(count, p) of each row go to the first part.

    The same draws as `binomials(key, idx, counter, count[idx], p)`. A row whose draw takes
    everybody is in the first part whole, one whose draw takes nobody in the second (a row of
    nobody is in both, as before); a row taken in part stays in the second part with the rest
    and loses its k people (here, in `count`) to a new row that the caller appends.

    Returns:
        (rows in the first part whole, rows in the second part — nobody taken, then taken in
        part —, rows taken in part, people taken from each of them).
    """
    m = idx.shape[0]
    k = np.empty(m, dtype=np.int64)
    n = np.empty(m, dtype=np.int64)
    n_yes = 0
    n_none = 0
    n_mixed = 0
    for j in range(m):
        n[j] = np.int64(count[idx[j]])
        k[j] = binomial(key, idx[j], counter, n[j], p)
        if k[j] == n[j]:
            n_yes += 1
        if k[j] == 0:
            n_none += 1
        elif k[j] != n[j]:
            n_mixed += 1
    yes = np.empty(n_yes, dtype=np.int64)
    no = np.empty(n_none + n_mixed, dtype=np.int64)
    src = np.empty(n_mixed, dtype=np.int64)
    taken = np.empty(n_mixed, dtype=np.int64)
    a = 0
    b = 0
    c = 0
    for j in range(m):
        if k[j] == n[j]:
            yes[a] = idx[j]
            a += 1
        if k[j] == 0:
            no[b] = idx[j]
            b += 1
        elif k[j] != n[j]:
            src[c] = idx[j]
            taken[c] = k[j]
            no[n_none + c] = idx[j]
            c += 1
    for j in range(n_mixed):
        count[src[j]] -= taken[j]
    return yes, no, src, taken
