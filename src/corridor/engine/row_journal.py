"""An undo log of additions to a per-link or per-place array, for rolling back one row.

The count kernels (`count_kernels.move_rows`, `flee_count_kernels.flee_count_pass`) process
one row of people at a time and may find, part-way through a row, that the buffers have no
room for the rows it splits into. They then undo the row (restore its columns, forget the
rows it made, undo its additions to flows and place counts) and return, so that the caller
grows the buffers and calls again from that row. The additions stay live while the row is
processed (later decisions read the place counts) and are logged here:

* `delta[j]` is what the current row has added to `target[j]`;
* `touched[:nt]` lists the j with `mark[j]` set, each once, so `nt <= len(target)`: the log
  never needs more room than the arrays it is given (all of `len(target)`).

`journal_forget` commits a row (clears the log), `journal_undo` rolls it back. Both cost the
number of entries the row touched, not the length of the target.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def new_journal(size):
    """Return an empty journal (delta, mark, touched) for a target of `size` entries."""
    return (np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.bool_),
            np.empty(size, dtype=np.int64))


@njit(cache=True, inline="always")
def journal_add(target, journal, nt, j, v):
    """Add v to target[j] and log it; return the new number of touched entries."""
    delta, mark, touched = journal
    target[j] += v
    delta[j] += v
    if not mark[j]:  # each entry is listed once: nt <= len(target) == len(touched)
        mark[j] = True
        touched[nt] = j
        nt += 1
    return nt


@njit(cache=True, inline="always")
def journal_forget(journal, nt):
    """Keep the logged additions (the row is done); return 0, the new log length."""
    delta, mark, touched = journal
    for t in range(nt):
        j = touched[t]
        delta[j] = 0
        mark[j] = False
    return 0


@njit(cache=True, inline="always")
def journal_undo(target, journal, nt):
    """Take the logged additions back out of target; return 0, the new log length."""
    delta, mark, touched = journal
    for t in range(nt):
        j = touched[t]
        target[j] -= delta[j]
        delta[j] = 0
        mark[j] = False
    return 0
