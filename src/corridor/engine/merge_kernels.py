"""Numba kernel that merges identical rows (count representation): one hashed pass, no sort."""

from __future__ import annotations

import numpy as np
from numba import literal_unroll, njit, uint64

from corridor.engine.random import mix64


@njit(cache=True, inline="always")
def drop_empty_groups(first, total, m):
    """Move the groups of rows that hold people to the front of `first` and `total`, in order.

    Returns:
        How many groups hold people.
    """
    kept = 0
    for g in range(m):
        if total[g] > 0:
            first[kept] = first[g]
            total[kept] = total[g]
            kept += 1
    return kept


@njit(cache=True)
def merge_rows(cols, count, n):
    """Merge rows 0..n-1 that are equal in every column of `cols`, adding up their `count`.

    Rows are grouped by a 64-bit hash of their columns, then every row is checked equal to the
    first row of its group. Merged rows keep the order of their first row and rows left with
    nobody are dropped; the columns and `count` are rewritten in place. Bounds: the hash table
    has at least 2n slots (a probe always finds a free one), there are at most n groups, and
    kept <= groups <= n rows are written back.

    Returns:
        Rows in use after the merge, or -1 (nothing changed) when two different rows share a
        hash: the caller then merges another way.
    """
    h = np.full(n, uint64(0x2545F4914F6CDD1D), dtype=np.uint64)
    for a in literal_unroll(cols):
        for i in range(n):
            h[i] = mix64(h[i] ^ uint64(np.int64(a[i] * 4096)))
    size = 16
    while size < 2 * n:
        size <<= 1
    mask = uint64(size - 1)
    table = np.full(size, -1, dtype=np.int64)
    first = np.empty(n, dtype=np.int64)
    group = np.empty(n, dtype=np.int64)
    total = np.zeros(n, dtype=np.uint64)
    m = 0
    for i in range(n):
        slot = h[i] & mask
        while True:
            g = table[slot]
            if g < 0:
                table[slot] = m
                first[m] = i
                m += 1
                g = m - 1
                break
            if h[first[g]] == h[i]:
                break
            slot = (slot + uint64(1)) & mask
        group[i] = g
        total[g] += count[i]
    same = True
    for b in literal_unroll(cols):
        for i in range(n):
            if b[i] != b[first[group[i]]]:
                same = False
    if not same:
        return -1
    kept = drop_empty_groups(first, total, m)
    for col in literal_unroll(cols):
        for g in range(kept):
            col[g] = col[first[g]]
    for g in range(kept):
        count[g] = total[g]
    return kept
