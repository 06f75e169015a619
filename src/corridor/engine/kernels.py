"""Numba kernels that advance and count agents. Pure functions of arrays; no Python objects."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from corridor.engine.random import uniform


@njit(cache=True, inline="always")
def choice_weight(link, prev_place, link_to, link_weight, backtrack_weight):
    """Weight of taking a link for someone who came from prev_place (going back is damped)."""
    w = link_weight[link]
    if link_to[link] == prev_place:
        w *= backtrack_weight
    return w


@njit(cache=True, inline="always")
def total_weight(p, prev_place, out_ptr, out_links, link_to, link_weight, backtrack_weight):
    """Sum of the choice weights of the links out of place p."""
    total = 0.0
    for k in range(out_ptr[p], out_ptr[p + 1]):
        total += choice_weight(out_links[k], prev_place, link_to, link_weight, backtrack_weight)
    return total


@njit(cache=True, inline="always")
def choose_link(i, p, key, counter, prev_place, out_ptr, out_links, link_to, link_weight,
                backtrack_weight):
    """Draw an outgoing link of place p for agent i, weighted; -1 when no link has weight."""
    total = total_weight(p, prev_place, out_ptr, out_links, link_to, link_weight,
                         backtrack_weight)
    if total <= 0.0:
        return -1
    r = uniform(key, i, counter) * total
    chosen = -1
    for k in range(out_ptr[p], out_ptr[p + 1]):
        link = out_links[k]
        w = choice_weight(link, prev_place, link_to, link_weight, backtrack_weight)
        if w > 0.0:
            chosen = link
            r -= w
            if r < 0.0:
                break
    return chosen


@njit(cache=True)
def move_range(lo, hi, place, link, travelled, state, prev_place, countries, kinds,
                movable, move_chance, link_weight, out_ptr, out_links, link_to, link_km,
                place_country, place_kind, stop_place, stop_link, backtrack_weight,
                walk_km, ride_km, ride_chance, key, flows, stopped):
    """Advance the movable agents lo..hi-1 by one day.

    An agent at a place leaves with the place's move chance, along a link drawn by weight. It
    then gets a day's travel budget (a ride with chance `ride_chance`, else walking) and travels
    along links, arriving at places and, with their move chance, going on while budget remains.
    Arriving at a stop place (or by a stop link) ends its day there, and its index is written to
    `stopped`. Draw counters: 0 = ride, 1 = first decision to leave, then one per decision.
    An agent stops at most once (its day ends there), so at most hi - lo indices are written:
    `stopped` must hold that many (`CorridorModel.move` keeps it as long as the agents).

    Returns:
        How many indices were written to `stopped` (from its start).
    """
    n_stopped = 0
    for i in range(lo, hi):
        if not movable[state[i]]:
            continue
        c = 2
        if link[i] < 0:
            mc = move_chance[place[i]]
            if mc <= 0.0 or (mc < 1.0 and uniform(key, i, 1) >= mc):
                continue
        budget = ride_km if uniform(key, i, 0) < ride_chance else walk_km
        decided = True
        while budget > 0.0:
            lk = link[i]
            if lk < 0:
                p = place[i]
                if not decided:
                    mc = move_chance[p]
                    leave = mc > 0.0 and (mc >= 1.0 or uniform(key, i, c) < mc)
                    c += 1
                    if not leave:
                        break
                decided = False
                lk = choose_link(i, p, key, c, prev_place[i], out_ptr, out_links, link_to,
                                 link_weight, backtrack_weight)
                c += 1
                if lk < 0:
                    break
                link[i] = lk
                travelled[i] = 0.0
            decided = False
            remaining = link_km[lk] - travelled[i]
            if budget >= remaining:
                budget -= remaining
                q = link_to[lk]
                prev_place[i] = place[i]
                place[i] = q
                link[i] = -1
                travelled[i] = 0.0
                flows[lk] += 1
                country = place_country[q]
                if country < 16:
                    countries[i] |= np.uint16(1 << country)
                kinds[i] |= np.uint16(1 << place_kind[q])
                if stop_place[q] or stop_link[lk]:
                    stopped[n_stopped] = i
                    n_stopped += 1
                    break
            else:
                travelled[i] += budget
                budget = 0.0
    return n_stopped


@njit(cache=True)
def move_agents(n, place, link, travelled, state, prev_place, countries, kinds,
                movable, move_chance, link_weight, out_ptr, out_links, link_to, link_km,
                place_country, place_kind, stop_place, stop_link, backtrack_weight,
                walk_km, ride_km, ride_chance, key, flows, stopped):
    """Advance every movable agent by one day on one core (see `move_range`)."""
    return move_range(0, n, place, link, travelled, state, prev_place, countries, kinds,
                      movable, move_chance, link_weight, out_ptr, out_links, link_to, link_km,
                      place_country, place_kind, stop_place, stop_link, backtrack_weight,
                      walk_km, ride_km, ride_chance, key, flows, stopped)


@njit(cache=True, parallel=True)
def move_agents_parallel(n, place, link, travelled, state, prev_place, countries, kinds,
                         movable, move_chance, link_weight, out_ptr, out_links, link_to,
                         link_km, place_country, place_kind, stop_place, stop_link,
                         backtrack_weight, walk_km, ride_km, ride_chance, key, flows, stopped,
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
            found[c] = move_range(lo, hi, place, link, travelled, state, prev_place, countries,
                                  kinds, movable, move_chance, link_weight, out_ptr, out_links,
                                  link_to, link_km, place_country, place_kind, stop_place,
                                  stop_link, backtrack_weight, walk_km, ride_km, ride_chance,
                                  key, part_flows[c], stopped[lo:hi])
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
def count_positions(n, place, link, state, weight, n_places, counts):
    """Add each row's people to counts[position, state]; position = place, or n_places + link."""
    for i in range(n):
        lk = link[i]
        pos = place[i] if lk < 0 else n_places + lk
        counts[pos, state[i]] += weight[i]


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
