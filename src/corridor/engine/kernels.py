"""Numba kernels that advance and count agents. Pure functions of arrays; no Python objects."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from corridor.engine.legs import (
    LEFT_GROUP,
    at_destination,
    choose_link,
    ends_day,
    group_link,
    leaves_group,
    leg_cost,
    leg_km,
    mark_visit,
    ride_chance_of,
    sets_out,
    with_group,
)
from corridor.engine.random import uniform


@njit(cache=True)
def move_range(lo, hi, place, link, travelled, state, group, prev_place, countries, kinds,
               flags, movable, move_chance, link_weight, goals, net, gates, backtrack_weight,
               walk_km, ride_km, legs, key, flows, stopped):
    """Advance the movable agents lo..hi-1 by one day.

    An agent at a place leaves with the place's move chance (unless it is at its destination),
    along a link drawn by the weights of its destination's row. It then gets a day's travel
    budget (a ride with its place's ride chance, else walking) and travels along links, each
    leg costing budget by its mode, arriving at places and, with their move chance, going on
    while budget remains. Arriving where the day ends (see `legs.ends_day`) writes its index
    to `stopped`. Draw counters: 0 = ride, 1 = first decision to leave, then one per decision.

    The tuples: `goals` = (goal_row, goal_place) per group, goal_stop per place and
    flow_base per group (the group's cohort × the number of links); `net` =
    (out_ptr, out_links, link_to, link_km, place_country, place_kind); `gates` = (stop_place,
    stop_link); `legs`: see `engine/legs.py`.

    Returns:
        How many indices were written to `stopped` (from its start).
    """
    goal_row, goal_place, goal_stop, flow_base = goals
    out_ptr, out_links, link_to, link_km, place_country, place_kind = net
    stop_place, stop_link = gates
    (walk_factor, ride_factor, ride_chance, overnight, pace_cohesion, group_km, group_rides,
     breakaway, legal_ride, free_movement, pace_of_group) = legs
    n_links = max(link_to.shape[0], 1)
    n_stopped = 0
    for i in range(lo, hi):
        if not movable[state[i]]:
            continue
        g = group[i]
        row = goal_row[g]
        goal = goal_place[g]
        c = 2
        if link[i] < 0:
            if at_destination(place[i], goal):
                continue
            mc = move_chance[place[i]]
            if mc <= 0.0 or (mc < 1.0 and uniform(key, i, 1) >= mc):
                continue
        grouped = False
        if (flags[i] & LEFT_GROUP) == 0:
            if leaves_group(key, i, breakaway):
                flags[i] |= LEFT_GROUP
            else:
                grouped = with_group(key, i, pace_cohesion)
        if grouped:
            riding = group_rides[pace_of_group[g], place[i]]
            full = group_km[pace_of_group[g], place[i]]
        else:
            riding = uniform(key, i, 0) < ride_chance_of(flags[i], place[i], ride_chance,
                                                         legal_ride, free_movement)
            full = ride_km if riding else walk_km
        budget = full
        decided = True
        while budget > 0.0:
            lk = link[i]
            if lk < 0:
                p = place[i]
                if not decided:
                    if at_destination(p, goal):
                        break
                    mc = move_chance[p]
                    leave = mc > 0.0 and (mc >= 1.0 or uniform(key, i, c) < mc)
                    c += 1
                    if not leave:
                        break
                decided = False
                if grouped:
                    lk = group_link(flow_base[g] // n_links, row, p, key, prev_place[i],
                                    out_ptr, out_links, link_to, link_weight, backtrack_weight)
                else:
                    lk = choose_link(i, row, p, key, c, prev_place[i], out_ptr, out_links,
                                     link_to, link_weight, backtrack_weight)
                c += 1
                if lk < 0 or not sets_out(leg_cost(lk, link_km[lk], riding, walk_factor,
                                                   ride_factor), budget, full, overnight):
                    break
                link[i] = lk
                travelled[i] = 0.0
            decided = False
            remaining = leg_cost(lk, link_km[lk] - travelled[i], riding, walk_factor,
                                 ride_factor)
            if budget >= remaining:
                budget -= remaining
                q = link_to[lk]
                prev_place[i] = place[i]
                place[i] = q
                link[i] = -1
                travelled[i] = 0.0
                flows[flow_base[g] + lk] += 1
                mark_visit(q, place_country, place_kind, countries, kinds, i)
                if ends_day(q, lk, goal, stop_place, stop_link, goal_stop):
                    stopped[n_stopped] = i
                    n_stopped += 1
                    break
            else:
                travelled[i] += leg_km(lk, budget, riding, walk_factor, ride_factor)
                budget = 0.0
    return n_stopped


@njit(cache=True)
def move_agents(n, place, link, travelled, state, group, prev_place, countries, kinds, flags,
                movable, move_chance, link_weight, goals, net, gates, backtrack_weight,
                walk_km, ride_km, legs, key, flows, stopped):
    """Advance every movable agent by one day on one core (see `move_range`)."""
    return move_range(0, n, place, link, travelled, state, group, prev_place, countries, kinds,
                      flags, movable, move_chance, link_weight, goals, net, gates, backtrack_weight,
                      walk_km, ride_km, legs, key, flows, stopped)


@njit(cache=True, parallel=True)
def move_agents_parallel(n, place, link, travelled, state, group, prev_place, countries, kinds,
                         flags, movable, move_chance, link_weight, goals, net, gates,
                         backtrack_weight, walk_km, ride_km, legs, key, flows, stopped,
                         chunks):
    """Advance every movable agent by one day, `chunks` contiguous ranges in parallel.

    Each chunk has its own flow counts and its own segment of `stopped`; they are combined
    afterwards. Draws depend only on (key, agent, counter), so the result is the same as
    `move_agents` whatever the number of threads.
    """
    size = (n + chunks - 1) // chunks
    part_flows = np.zeros((chunks, flows.shape[0]), dtype=flows.dtype)
    found = np.zeros(chunks, dtype=np.int64)
    for c in prange(chunks):
        lo = c * size
        hi = min(n, lo + size)
        if lo < hi:
            found[c] = move_range(lo, hi, place, link, travelled, state, group, prev_place,
                                  countries, kinds, flags, movable, move_chance, link_weight,
                                  goals, net, gates, backtrack_weight, walk_km, ride_km, legs, key,
                                  part_flows[c], stopped[lo:hi])
    total = 0
    for c in range(chunks):
        lo = c * size
        for j in range(found[c]):
            stopped[total + j] = stopped[lo + j]
        total += found[c]
        for lk in range(flows.shape[0]):
            flows[lk] += part_flows[c, lk]
    return total


@njit(cache=True)
def count_positions(n, place, link, state, weight, group, cohort_of_group, n_places, counts):
    """Add each row's people to counts[cohort, position, state].

    position = place, or n_places + link; cohort = cohort_of_group[group of the row].
    """
    for i in range(n):
        lk = link[i]
        pos = place[i] if lk < 0 else n_places + lk
        counts[cohort_of_group[group[i]], pos, state[i]] += weight[i]


@njit(cache=True)
def first_come(n, state, place, link, flags, since, group, count, state_ok, place_ok, group_ok,
               flag_mask, k):
    """Return the rows of the first k people waiting (oldest `since`, then lowest row).

    A row qualifies when it is at a place (not on a link) with `place_ok`, its state has
    `state_ok`, its group has `group_ok` and all bits of `flag_mask` are set. Two passes, no
    sort: memory stays O(k + days) whatever the number of people.

    Returns:
        (rows, people taken from each row): the last row may be taken only in part.
    """
    lo = 1 << 30
    hi = -(1 << 30)
    for i in range(n):
        if (link[i] < 0 and state_ok[state[i]] and place_ok[place[i]] and group_ok[group[i]]
                and (flags[i] & flag_mask) == flag_mask):
            if since[i] < lo:
                lo = since[i]
            if since[i] > hi:
                hi = since[i]
    if hi < lo or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    hist = np.zeros(hi - lo + 1, dtype=np.int64)
    for i in range(n):
        if (link[i] < 0 and state_ok[state[i]] and place_ok[place[i]] and group_ok[group[i]]
                and (flags[i] & flag_mask) == flag_mask):
            hist[since[i] - lo] += count[i]
    rows = []
    parts = []
    need = k
    for d in range(hist.shape[0]):
        if need <= 0:
            break
        if hist[d] == 0:
            continue
        day = lo + d
        for i in range(n):
            if need <= 0:
                break
            if (since[i] == day and link[i] < 0 and state_ok[state[i]] and place_ok[place[i]]
                    and group_ok[group[i]] and (flags[i] & flag_mask) == flag_mask
                    and count[i] > 0):
                part = min(np.int64(count[i]), need)
                rows.append(np.int64(i))
                parts.append(part)
                need -= part
    out_rows = np.empty(len(rows), dtype=np.int64)
    out_parts = np.empty(len(rows), dtype=np.int64)
    for j in range(len(rows)):
        out_rows[j] = rows[j]
        out_parts[j] = parts[j]
    return out_rows, out_parts
