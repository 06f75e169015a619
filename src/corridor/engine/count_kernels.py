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
    BREAK_COUNTER,
    LEFT_GROUP,
    PACE_COUNTER,
    at_destination,
    choice_weight,
    ends_day,
    group_link,
    leg_cost,
    leg_km,
    mark_visit,
    ride_chance_of,
    sets_out,
    total_weight,
)
from corridor.engine.random import binomial

ROOM = 4096  # free rows reserved before a day's movement (fewer calls; not needed for safety)
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


@njit(cache=True, inline="always")
def push_leg(stack, top, row, lk, budget, hop, riding, grouped, full, link, travelled):
    """Set row out on link lk and push it on the stack (decided, with today's budget left).

    Returns:
        The new top of the stack.
    """
    st_row, st_budget, st_hop, st_decided, st_riding, st_group, st_full = stack
    link[row] = lk
    travelled[row] = 0.0
    st_row[top], st_budget[top], st_hop[top], st_decided[top] = row, budget, hop, True
    st_riding[top], st_group[top], st_full[top] = riding, grouped, full
    return top + 1


@njit(cache=True, inline="always")
def set_off(r, key, legs, walk_km, ride_km, stack, top, n, place, link, travelled, state, group,
            prev_place, since, timer, flags, countries, kinds, count):
    """Push row r, whose people set out today, on the stack with their day's budgets.

    Those still in their group travel with it with chance `pace_cohesion` (one binomial; see
    `legs.with_group`); the others ride with the place's ride chance or walk. Makes at most 2
    new rows and pushes at most 3 stack entries.

    Returns:
        (the new top of the stack, rows in use).
    """
    st_row, st_budget, st_hop, st_decided, st_riding, st_group, st_full = stack
    (_, _, ride_chance, _, pace_cohesion, group_km, group_rides, _, legal_ride, free,
     pace_of_group) = legs
    pr = place[r]
    pace = pace_of_group[group[r]]
    cr = np.int64(count[r])
    paced = 0  # those who travel with the group today (see `legs.with_group`)
    if pace_cohesion > 0.0 and (flags[r] & LEFT_GROUP) == 0:
        paced = cr if pace_cohesion >= 1.0 else binomial(key, r, PACE_COUNTER, cr,
                                                         pace_cohesion)
    if paced > 0:
        pg = r
        if paced < cr:
            pg = n
            n += 1
            copy_row(r, pg, paced, place, link, travelled, state, group, prev_place,
                     since, timer, flags, countries, kinds, count)
        if group_km[pace, pr] <= 0.0:  # the group waits today (`gather_km`): row pg stays
            if paced == cr:
                return top, n
        else:
            st_row[top], st_budget[top] = pg, group_km[pace, pr]
            st_hop[top], st_decided[top], st_riding[top] = 0, True, group_rides[pace, pr]
            st_group[top], st_full[top] = True, group_km[pace, pr]
            top += 1
            if paced == cr:
                return top, n
    cr = np.int64(count[r])
    riders = binomial(key, r, 0, cr, ride_chance_of(flags[r], pr, ride_chance, legal_ride,
                                                    free))
    if riders == cr or riders == 0:
        budget = ride_km if riders == cr else walk_km
        st_row[top], st_budget[top] = r, budget
        st_hop[top], st_decided[top], st_riding[top] = 0, True, riders == cr
        st_group[top], st_full[top] = False, budget
        return top + 1, n
    j = n
    n += 1
    copy_row(r, j, riders, place, link, travelled, state, group, prev_place, since, timer,
             flags, countries, kinds, count)
    st_row[top], st_budget[top], st_hop[top], st_decided[top] = j, ride_km, 0, True
    st_riding[top], st_group[top], st_full[top] = True, False, ride_km
    top += 1
    st_row[top], st_budget[top], st_hop[top], st_decided[top] = r, walk_km, 0, True
    st_riding[top], st_group[top], st_full[top] = False, False, walk_km
    return top + 1, n


@njit(cache=True, _nrt=False)
def move_rows(start, n_orig, n, cap, place, link, travelled, state, group, prev_place, since,
              timer, flags, countries, kinds, count, movable, move_chance, link_weight, goals,
              net, gates, backtrack_weight, walk_km, ride_km, legs, key, flows, stopped,
              n_stopped, stack, top):
    """Advance rows start..n_orig-1 by one day, appending the rows their people split into.

    The decisions are those of `kernels.move_range` (see `engine/legs.py`), drawn for a row's
    people at once: `goals`, `net`, `gates` and `legs` are the same tuples.

    The columns hold `cap` rows, `n` in use; `stopped` receives the rows that stop at a gate.
    A row of c people can make up to c - 1 new rows in a day (every split moves k people,
    0 < k < count, into a new row, so every row stays non-empty): more than any fixed margin.
    So the kernel checks the room at the points where a bounded number of rows can follow:

    * before a row starts: at most 6 new rows (those who leave, those who leave their group
      for good, and for each of these two parts those who travel with the group and those
      who ride: `set_off`);
    * before a stack entry is taken: at most 1 + the largest out-degree new rows (those who
      leave, then one per link) and 1 entry of `stopped`.

    When the room is short it returns (suspends) with the row being processed still on the
    `stack`; the caller grows the buffers and calls again with the same stack to go on exactly
    where it stopped, so the result does not depend on the buffer sizes.

    Bounds of the other buffers: a row stops at most once a day (it is not pushed again), so
    the entries of `stopped` are distinct rows below `n`: it never needs more than `cap`. The
    stack holds distinct rows (a popped row is pushed again at most once), all of them row
    `start` or rows made for it, so top <= 1 + cap - (rows in use when the row started): the
    caller keeps it at least cap - n + 2 long for the `n` of the call that starts a row.

    Compiled without numba's reference counting (`_nrt=False`: it allocates nothing; the
    increfs of the arrays in the `legs`, `stack` and other tuples cost more than the day's
    work, as in the Flee kernels).

    Returns:
        (next row, rows in use, rows written to `stopped`, stack entries, what ran short: 0
        when done, else `SHORT_OF_ROWS` or `SHORT_OF_STOPPED`: grow that buffer and call again
        with the returned row, stack and counts).
    """
    st_row, st_budget, st_hop, st_decided, st_riding, st_group, st_full = stack
    goal_row, goal_place, goal_stop, flow_base = goals
    out_ptr, out_links, link_to, link_km, place_country, place_kind = net
    n_links = max(link_to.shape[0], 1)
    stop_place, stop_link = gates
    walk_factor, ride_factor, _, overnight, _, _, _, breakaway, _, _, _ = legs
    step = 1  # rows a stack entry can make: 1 + the largest out-degree
    for p in range(out_ptr.shape[0] - 1):
        step = max(step, 1 + out_ptr[p + 1] - out_ptr[p])
    i = start
    while i < n_orig:
        g = group[i]  # the rows on the stack are parts of row i: the same group
        grow = goal_row[g]
        goal = goal_place[g]
        if top == 0:  # start row i (else go on with the row on the stack)
            if cap - n < 6:
                return i, n, n_stopped, 0, SHORT_OF_ROWS
            if not movable[state[i]] or count[i] == 0:
                i += 1
                continue
            r = i
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
                    r = n
                    n += 1
                    copy_row(i, r, k, place, link, travelled, state, group, prev_place, since,
                             timer, flags, countries, kinds, count)
            lone = -1  # the part of row r that leaves its group for good today
            if (flags[r] & LEFT_GROUP) == 0 and breakaway > 0.0:
                cr = np.int64(count[r])
                k = cr if breakaway >= 1.0 else binomial(key, r, BREAK_COUNTER, cr, breakaway)
                if k == cr:
                    flags[r] |= LEFT_GROUP
                elif k > 0:
                    lone = n
                    n += 1
                    copy_row(r, lone, k, place, link, travelled, state, group, prev_place,
                             since, timer, flags, countries, kinds, count)
                    flags[lone] |= LEFT_GROUP
            top, n = set_off(r, key, legs, walk_km, ride_km, stack, top, n, place, link,
                             travelled, state, group, prev_place, since, timer, flags,
                             countries, kinds, count)
            if lone >= 0:
                top, n = set_off(lone, key, legs, walk_km, ride_km, stack, top, n, place, link,
                                 travelled, state, group, prev_place, since, timer, flags,
                                 countries, kinds, count)
        while top > 0:
            if cap - n < step:
                return i, n, n_stopped, top, SHORT_OF_ROWS
            if n_stopped >= stopped.shape[0]:
                return i, n, n_stopped, top, SHORT_OF_STOPPED
            top -= 1
            row = st_row[top]
            budget = st_budget[top]
            hop = st_hop[top]
            decided = st_decided[top]
            riding = st_riding[top]
            grouped = st_group[top]
            full = st_full[top]
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
                        new = n
                        n += 1
                        copy_row(row, new, k, place, link, travelled, state, group,
                                 prev_place, since, timer, flags, countries, kinds, count)
                        row = new
                prev = prev_place[row]
                if grouped:  # the whole row takes the group's way (see `legs.group_link`)
                    lk = group_link(flow_base[g] // n_links, grow, p, key, prev, out_ptr,
                                    out_links, link_to, link_weight, backtrack_weight)
                    if lk < 0 or not sets_out(leg_cost(lk, link_km[lk], riding, walk_factor,
                                                       ride_factor), budget, full,
                                              overnight):
                        continue
                    top = push_leg(stack, top, row, lk, budget, hop + 1, riding, True, full,
                                   link, travelled)
                    continue
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
                        target = n
                        n += 1
                        copy_row(row, target, k, place, link, travelled, state, group,
                                 prev_place, since, timer, flags, countries, kinds, count)
                    if not sets_out(leg_cost(lk, link_km[lk], riding, walk_factor,
                                             ride_factor), budget, full, overnight):
                        if target == row:  # they stay the night here
                            break
                        continue
                    top = push_leg(stack, top, target, lk, budget, hop + 1, riding, grouped,
                                   full, link, travelled)
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
                flows[flow_base[g] + lk] += count[row]
                mark_visit(q, place_country, place_kind, countries, kinds, row)
                if ends_day(q, lk, goal, stop_place, stop_link, goal_stop):
                    stopped[n_stopped] = row
                    n_stopped += 1
                    continue
                if budget > 0.0:
                    st_row[top], st_budget[top] = row, budget
                    st_hop[top], st_decided[top], st_riding[top] = hop + 1, False, riding
                    st_group[top], st_full[top] = grouped, full
                    top += 1
            else:
                travelled[row] += leg_km(lk, budget, riding, walk_factor, ride_factor)
        i += 1
    return i, n, n_stopped, 0, 0


def new_stack(size: int, stack: tuple | None = None, top: int = 0) -> tuple:
    """Return `move_rows`' stack (row, budget, hop, decided, riding, grouped, day's budget).

    The arrays are `size` long.

    The first `top` entries of `stack` (when given) are kept.
    """
    grown = (np.empty(size, dtype=np.int64), np.empty(size, dtype=np.float64),
             np.empty(size, dtype=np.int64), np.empty(size, dtype=np.bool_),
             np.empty(size, dtype=np.bool_), np.empty(size, dtype=np.bool_),
             np.empty(size, dtype=np.float64))
    if stack is not None:
        for new, old in zip(grown, stack, strict=True):
            new[:top] = old[:top]
    return grown
