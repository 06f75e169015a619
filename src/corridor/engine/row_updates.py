"""Numba kernels that update rows in place for the rules: a change of state, a move to a place.

A change of state is counted in the `transitions` table per (cohort, position, old state, new
state, rule). `change_rows` reads the first three of each row, sets its new state, and returns
one integer key per row (see `Recorder.change_key`); the recorder adds the keys up at the end
of the day, in the order they came (`Recorder.add_changes`).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def change_rows(idx, new, day, place, link, state, since, count, group, cohort_of_group,
                n_places, n_pos, radix, mult, tail):
    """Move rows idx into state `new` since `day`; return each row's key and people.

    The key of a row is `((cohort * n_pos + position) * radix + old state) * mult + tail`
    (`tail`, the same for all rows, says the new state and the rule): cohort, position and
    old state are read for every row before any row changes.

    Returns:
        (keys, people) of the rows, in the order of idx.
    """
    m = idx.shape[0]
    keys = np.empty(m, dtype=np.int64)
    people = np.empty(m, dtype=np.int64)
    for j in range(m):
        i = idx[j]
        pos = np.int64(place[i]) if link[i] < 0 else n_places + np.int64(link[i])
        cohort = cohort_of_group[group[i]]
        keys[j] = ((cohort * n_pos + pos) * radix + np.int64(state[i])) * mult + tail
        people[j] = count[i]
    for j in range(m):
        state[idx[j]] = new
        since[idx[j]] = day
    return keys, people


@njit(cache=True)
def put_rows_at(idx, place, place_col, link, prev_place, travelled, countries, kinds,
                country_bit, kind_bit):
    """Put rows idx at a place, off any link (bused to a station, returned home, …).

    The previous place of a row becomes its current place when it was at one (not on a link);
    the place's country and kind are added to the row's `countries` and `kinds` bits. Every
    row's previous place is read before any row moves.
    """
    m = idx.shape[0]
    prev = np.empty(m, dtype=np.int64)
    for j in range(m):
        i = idx[j]
        prev[j] = place_col[i] if link[i] < 0 else prev_place[i]
    for j in range(m):
        i = idx[j]
        prev_place[i] = prev[j]
        place_col[i] = place
        link[i] = -1
        travelled[i] = 0.0
        countries[i] |= country_bit
        kinds[i] |= kind_bit
