"""Movement of rows that each hold many people (the count representation).

The decisions of the individual kernel (`kernels.move_range`) become splits of a row: the
number who leave a place is Binomial(count, move chance); those who get a ride,
Binomial(leavers, ride chance); the split over outgoing links is multinomial (drawn as
successive binomials). Each part becomes a row of its own and travels on; the day's work per
row is bounded, so the cost of a day grows with the number of occupied states, not of people.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from corridor.engine.legs import (
    at_destination,
    choice_weight,
    ends_day,
    leg_cost,
    leg_km,
    mark_visit,
    total_weight,
)
from corridor.engine.random import binomial
from corridor.engine.row_journal import journal_add, journal_forget, journal_undo, new_journal

ROOM = 4096  # free rows wanted before a row is started (saves rollbacks; not needed for safety)
SHORT_OF_ROWS, SHORT_OF_STOPPED = 1, 2  # what `move_rows` ran short of


@njit(cache=True, inline="always")
def option_share(key, row, counter, rem, w, left):
    """Return how many of `rem` people take an option of weight w.

    A multinomial drawn as successive binomials: `left` is the weight of this option and of
    those after it.
    """
    if w >= left * (1.0 - 1e-12):
        return rem
    return binomial(key, row, counter, rem, min(w / left, 1.0))


@njit(cache=True, inline="always")
def copy_row(src, dst, k, place, link, travelled, state, group, prev_place, since, timer,
             flags, countries, kinds, count):
    """Move k people of row src into row dst, a copy of src in every core column."""
    place[dst] = place[src]
    link[dst] = link[src]
    travelled[dst] = travelled[src]
    state[dst] = state[src]
    group[dst] = group[src]
    prev_place[dst] = prev_place[src]
    since[dst] = since[src]
    timer[dst] = timer[src]
    flags[dst] = flags[src]
    countries[dst] = countries[src]
    kinds[dst] = kinds[src]
    count[dst] = k
    count[src] -= k


@njit(cache=True)
def move_rows(start, n_orig, n, cap, room, place, link, travelled, state, group, prev_place,
              since, timer, flags, countries, kinds, count, movable, move_chance, link_weight,
              goals, net, gates, backtrack_weight, walk_km, ride_km, legs, key, flows, stopped,
              n_stopped):
    """Advance rows start..n_orig-1 by one day, appending the rows their people split into.

    The decisions are those of `kernels.move_range` (see `engine/legs.py`), drawn for a row's
    people at once: `goals`, `net`, `gates` and `legs` are the same tuples.

    The columns hold `cap` rows, `n` in use; `stopped` receives the rows that stop at a gate.
    Bounds (every write is checked against them or proven within them):

    * rows: a split moves k people (0 < k < count) into a new row, so every row stays
      non-empty and one row of c people makes at most c - 1 new rows in a day. That can be
      more than the free rows, so room is checked before every new row. When it runs out, the
      row is rolled back (its columns, `n`, `n_stopped` and its flows, from a
      `row_journal`) and the kernel returns so that the caller grows the buffers and calls
      again from that row. Draws are counter-based on (key, row index, counter) and the new
      rows get the same indices again, so the retried row gives the same result: the outcome
      does not depend on the buffer sizes.
    * `stopped`: a row stops at most once a day (it is not pushed again), so its entries are
      distinct rows below `n`: n_stopped <= n <= cap. Each write is checked too (rollback).
    * the stack: it holds distinct rows (a popped row is pushed again at most once), all of
      them row i or rows made while processing it (index >= the `n` of the row's start), so
      top <= cap - n + 1 for the `n` at the start of this call: it is allocated that long.
    * flows: one entry per (cohort, link), flattened; the journal lists each entry once.

    `room` only saves work: a row is not started with fewer than `room` free rows.

    Returns:
        (next row to process, rows in use, rows written to `stopped`, what ran short: 0 when
        done, else `SHORT_OF_ROWS` or `SHORT_OF_STOPPED`: grow that buffer and call again
        from the returned row).
    """
    size = cap - n + 2
    st_row = np.empty(size, dtype=np.int64)
    st_budget = np.empty(size, dtype=np.float64)
    st_hop = np.empty(size, dtype=np.int64)
    st_decided = np.empty(size, dtype=np.bool_)
    st_riding = np.empty(size, dtype=np.bool_)
    goal_row, goal_place, goal_stop, flow_base = goals
    out_ptr, out_links, link_to, link_km, place_country, place_kind = net
    stop_place, stop_link = gates
    walk_factor, ride_factor, ride_chance = legs
    journal = new_journal(flows.shape[0])
    nt = 0
    i = start
    while i < n_orig:
        if cap - n < room:
            return i, n, n_stopped, SHORT_OF_ROWS
        if not movable[state[i]] or count[i] == 0:
            i += 1
            continue
        r = i
        g = group[i]
        grow = goal_row[g]
        goal = goal_place[g]
        leavers = np.int64(0)  # > 0: only these of row i's people leave its place today
        if link[i] < 0:
            if at_destination(place[i], goal):
                i += 1
                continue
            mc = move_chance[place[i]]
            if mc <= 0.0:
                i += 1
                continue
            c = np.int64(count[i])
            k = c if mc >= 1.0 else binomial(key, i, 1, c, mc)
            if k == 0:
                i += 1
                continue
            if k < c:
                if n >= cap:  # nothing changed yet
                    return i, n, n_stopped, SHORT_OF_ROWS
                leavers = k
        # the row as it was, to roll back to when the buffers run short
        n0, s0 = n, n_stopped
        o_place, o_link, o_travelled = place[i], link[i], travelled[i]
        o_prev, o_countries, o_kinds, o_count = prev_place[i], countries[i], kinds[i], count[i]
        if leavers > 0:
            r = n
            n += 1
            copy_row(i, r, leavers, place, link, travelled, state, group, prev_place, since,
                     timer, flags, countries, kinds, count)
        full = 0  # or what ran short
        top = 0
        cr = np.int64(count[r])
        riders = binomial(key, r, 0, cr, ride_chance[place[r]])
        if riders == cr:
            st_row[top], st_budget[top] = r, ride_km
            st_hop[top], st_decided[top] = 0, True
            st_riding[top] = True
            top += 1
        elif riders == 0:
            st_row[top], st_budget[top] = r, walk_km
            st_hop[top], st_decided[top] = 0, True
            st_riding[top] = False
            top += 1
        elif n >= cap:
            full = SHORT_OF_ROWS
        else:
            j = n
            n += 1
            copy_row(r, j, riders, place, link, travelled, state, group, prev_place, since,
                     timer, flags, countries, kinds, count)
            st_row[top], st_budget[top], st_hop[top], st_decided[top] = j, ride_km, 0, True
            st_riding[top] = True
            top += 1
            st_row[top], st_budget[top], st_hop[top], st_decided[top] = r, walk_km, 0, True
            st_riding[top] = False
            top += 1
        while top > 0 and not full:
            top -= 1
            row = st_row[top]
            budget = st_budget[top]
            hop = st_hop[top]
            decided = st_decided[top]
            riding = st_riding[top]
            ctr = 2 + hop * 64
            if link[row] < 0:
                p = place[row]
                if not decided:
                    if at_destination(p, goal):
                        continue
                    mc = move_chance[p]
                    cnt = np.int64(count[row])
                    if mc <= 0.0:
                        continue
                    k = cnt if mc >= 1.0 else binomial(key, row, ctr, cnt, mc)
                    if k == 0:
                        continue
                    if k < cnt:
                        if n >= cap:
                            full = SHORT_OF_ROWS
                            break
                        new = n
                        n += 1
                        copy_row(row, new, k, place, link, travelled, state, group,
                                 prev_place, since, timer, flags, countries, kinds, count)
                        row = new
                prev = prev_place[row]
                total = total_weight(grow, p, prev, out_ptr, out_links, link_to, link_weight,
                                     backtrack_weight)
                if total <= 0.0:
                    continue
                left = total
                j = 0
                for m in range(out_ptr[p], out_ptr[p + 1]):
                    lk = out_links[m]
                    w = choice_weight(grow, lk, prev, link_to, link_weight, backtrack_weight)
                    if w <= 0.0:
                        continue
                    remaining = np.int64(count[row])
                    if remaining == 0:
                        break
                    k = option_share(key, row, ctr + 1 + j, remaining, w, left)
                    j += 1
                    left -= w
                    if k == 0:
                        continue
                    target = row
                    if k < remaining:
                        if n >= cap:
                            full = SHORT_OF_ROWS
                            break
                        target = n
                        n += 1
                        copy_row(row, target, k, place, link, travelled, state, group,
                                 prev_place, since, timer, flags, countries, kinds, count)
                    link[target] = lk
                    travelled[target] = 0.0
                    st_row[top], st_budget[top] = target, budget
                    st_hop[top], st_decided[top] = hop + 1, True
                    st_riding[top] = riding
                    top += 1
                    if target == row:  # the whole remainder went this way
                        break
                continue
            lk = link[row]
            remaining = leg_cost(lk, link_km[lk] - travelled[row], riding, walk_factor,
                                 ride_factor)
            if budget >= remaining:
                budget -= remaining
                q = link_to[lk]
                prev_place[row] = place[row]
                place[row] = q
                link[row] = -1
                travelled[row] = 0.0
                nt = journal_add(flows, journal, nt, flow_base[g] + lk, np.int64(count[row]))
                mark_visit(q, place_country, place_kind, countries, kinds, row)
                if ends_day(q, lk, goal, stop_place, stop_link, goal_stop):
                    if n_stopped >= stopped.shape[0]:
                        full = SHORT_OF_STOPPED
                        break
                    stopped[n_stopped] = row
                    n_stopped += 1
                    continue
                if budget > 0.0:
                    st_row[top], st_budget[top] = row, budget
                    st_hop[top], st_decided[top] = hop + 1, False
                    st_riding[top] = riding
                    top += 1
            else:
                travelled[row] += leg_km(lk, budget, riding, walk_factor, ride_factor)
        if full:  # roll the row back; the caller grows the buffers and calls again
            nt = journal_undo(flows, journal, nt)
            place[i], link[i], travelled[i] = o_place, o_link, o_travelled
            prev_place[i], countries[i], kinds[i], count[i] = o_prev, o_countries, o_kinds, o_count
            return i, n0, s0, full
        nt = journal_forget(journal, nt)
        i += 1
    return i, n, n_stopped, 0
