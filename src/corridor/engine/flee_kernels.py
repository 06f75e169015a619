"""Numba kernels of the `flee` movement model (Flee 3.1's behaviour; see flee-compatibility.md).

People are processed one by one in creation order with live place counts, as in Flee: a person
deciding later sees the places filled by those who moved before them the same day.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from corridor.engine.random import uniform

# How route options are weighted (see `choose_route`).
WEIGHT_FULL, WEIGHT_DISTANCE, WEIGHT_UNIFORM = 0, 1, 2
PASS2_COUNTER = 2  # draw counters 0-1 are the first pass's, the second pass starts here


@njit(cache=True, inline="always")
def capacity_factor(p, count, capacity, buffer):
    """Return Flee's capacity multiplier of place p (capacity < 1 means unlimited)."""
    cap = capacity[p]
    if cap < 1.0:
        return 1.0
    occ = count[p]
    if occ <= buffer * cap:
        return 1.0
    if occ >= cap:
        return 0.0
    return 1.0 - (occ - buffer * cap) / (cap * (1.0 - buffer))


@njit(cache=True, inline="always")
def option_weights(p, ref, opt_ptr, opt_end, opt_inv, score, pop_weight, count, capacity,
                   buffer, weight_softening, weight_power, weight_mode, home_dist, home_power,
                   scratch):
    """Write the weight of each route option of place p to scratch; return their sum.

    Weight of an option ending in E: ((softening + score(E) × home(E) × pop(E)) × inv_dist ×
    capacity(E)) ^ weight_power, or 1 (uniform mode), or inv_dist (distance mode).
    """
    k0 = opt_ptr[p]
    total = 0.0
    for j in range(opt_ptr[p + 1] - k0):
        k = k0 + j
        if weight_mode == WEIGHT_UNIFORM:
            w = 1.0
        elif weight_mode == WEIGHT_DISTANCE:
            w = opt_inv[k]
        else:
            e = opt_end[k]
            base = score[e] * pop_weight[e]
            if home_dist.shape[0] > 1:
                base *= 1.0 / max(1.0, home_dist[e, ref]) ** home_power
            w = (weight_softening + base) * opt_inv[k] * capacity_factor(e, count, capacity,
                                                                        buffer)
            if weight_power != 1.0:
                w = w ** weight_power
        scratch[j] = w
        total += w
    return total


@njit(cache=True, _nrt=False)
def choose_route(i, p, ref, key, counter, opt_ptr, opt_end, opt_inv, score, pop_weight,
                 count, capacity, buffer, weight_softening, weight_power, weight_mode,
                 home_dist, home_power, scratch):
    """Draw one route option of place p for agent i; -1 when p has no options.

    Weight of an option ending in E: ((softening + score(E) × home(E) × pop(E)) × inv_dist ×
    capacity(E)) ^ weight_power; uniform when every weight is 0.
    """
    k0 = opt_ptr[p]
    n = opt_ptr[p + 1] - k0
    if n <= 0:
        return -1
    total = option_weights(p, ref, opt_ptr, opt_end, opt_inv, score, pop_weight, count,
                           capacity, buffer, weight_softening, weight_power, weight_mode,
                           home_dist, home_power, scratch)
    u = uniform(key, i, counter)
    if not total > 0.0:
        return k0 + min(int(u * n), n - 1)
    r = u * total
    last = 0
    for j in range(n):
        if scratch[j] > 0.0:
            last = j
            r -= scratch[j]
            if r < 0.0:
                return k0 + j
    return k0 + last


@njit(cache=True, inline="always")
def follow_route(i, p, r_start, r_len, r_pos, route_nodes, out_ptr, out_links, link_to,
                 link_open, is_camp, count, capacity, buffer):
    """Take the next step of i's planned route from place p; return the link, or -1 to stay.

    The route is dropped (start -1, length and position 0) when its next link is closed, when
    its last place is a camp whose capacity factor is below 0.5, or once it is done.
    """
    nxt = route_nodes[r_start[i] + r_pos[i]]
    lk = -1
    for m in range(out_ptr[p], out_ptr[p + 1]):
        cand = out_links[m]
        if link_to[cand] == nxt and link_open[cand]:
            lk = cand
            break
    dest = route_nodes[r_start[i] + r_len[i] - 1]
    if lk < 0 or (is_camp[dest] and capacity_factor(dest, count, capacity, buffer) < 0.5):
        lk = -1
    else:
        r_pos[i] += 1
    if lk < 0 or r_pos[i] >= r_len[i]:
        r_start[i] = -1
        r_len[i] = 0
        r_pos[i] = 0
    return lk


@njit(cache=True, _nrt=False)
def step_out(i, p, key, counter, r_start, r_len, r_pos, route_nodes, opt_ptr, opt_end,
             opt_inv, opt_route, opt_rlen, out_ptr, out_links, link_to, link_open, forced_link,
             is_camp, score, pop_weight, count, capacity, buffer, weight_softening,
             weight_power, weight_mode, home_dist, home_power, home, home_is_current, scratch):
    """Plan (if needed) and take the next step of agent i from place p; return the link or -1.

    A forced redirection out of p wins over any route. A route is planned when the agent has
    none; it is dropped (and the agent stays) when its next link is closed or its last place
    is a camp whose capacity factor is below 0.5.
    """
    f = forced_link[p]
    if f >= 0 and link_open[f]:
        r_start[i] = -1
        return f
    if r_start[i] < 0 or r_pos[i] >= r_len[i]:
        ref = p if home_is_current else home[i]
        k = choose_route(i, p, ref, key, counter, opt_ptr, opt_end, opt_inv, score,
                         pop_weight, count, capacity, buffer, weight_softening, weight_power,
                         weight_mode, home_dist, home_power, scratch)
        if k < 0:
            r_start[i] = -1
            return -1
        r_start[i] = opt_route[k]
        r_len[i] = opt_rlen[k]
        r_pos[i] = 0
    return follow_route(i, p, r_start, r_len, r_pos, route_nodes, out_ptr, out_links, link_to,
                        link_open, is_camp, count, capacity, buffer)


@njit(cache=True, _nrt=False)
def flee_day(n, place, link, travelled, prev_place, countries, kinds, active, r_start, r_len,
             r_pos, entry_gen, recent, home, route_nodes, opt_ptr, opt_end, opt_inv, opt_route,
             opt_rlen, out_ptr, out_links, link_from, link_to, link_km, link_speed, walk_prob,
             link_open, link_gen, forced_link, movechance, is_town, is_camp, score, pop_weight,
             count, capacity, place_country, place_kind, buffer, weight_softening,
             weight_power, weight_mode, home_dist, home_power, home_is_current, max_move,
             walk_speed, start_on_foot, avoid_short_stints, key, flows, scratch, state, held,
             camp_kind, in_transit, in_camp):
    """Run one day of Flee movement: departures (first pass), then travel (second pass).

    Before: `count` is set to the number of people at each place (not on links), then updated
    as people move; people a rule holds (active, in another state than `in_transit` or
    `in_camp`) are made inactive for the day (listed in `held`, at least n long) and active
    again at the end. In the second pass each person's state, once they are done for the day,
    becomes `in_camp` when they stand in a camp (`camp_kind`), else `in_transit` (states a rule
    gave stay). `recent` (the moving average of the distance travelled per day) is only kept
    with avoid_short_stints, its only reader.

    Compiled without numba's reference counting (`_nrt=False`; nothing is allocated): with it,
    every call of `step_out` counted its ~30 arrays in and out with atomic operations (three
    quarters of the day on Mali).
    """
    for p in range(count.shape[0]):
        count[p] = 0
    n_held = 0
    for i in range(n):
        if link[i] < 0:
            count[place[i]] += 1
        s = state[i]
        if active[i] and s != in_transit and s != in_camp:
            active[i] = False
            held[n_held] = i
            n_held += 1
    # First pass: people at a place draw against its move chance and step onto a link.
    for i in range(n):
        if not active[i] or link[i] >= 0:
            continue
        p = place[i]
        if movechance[p] > 0.0 and uniform(key, i, 0) < movechance[p]:
            lk = step_out(i, p, key, 1, r_start, r_len, r_pos, route_nodes, opt_ptr, opt_end,
                          opt_inv, opt_route, opt_rlen, out_ptr, out_links, link_to, link_open,
                          forced_link, is_camp, score, pop_weight, count, capacity, buffer,
                          weight_softening, weight_power, weight_mode, home_dist, home_power,
                          home, home_is_current, scratch)
            if lk >= 0:
                count[p] -= 1
                link[i] = lk
                travelled[i] = 0.0
                entry_gen[i] = link_gen[lk]
    # Second pass: people on links advance, arrive, and may leave again the same day.
    inv_max = 1.0 / max(max_move, 1e-12)
    for i in range(n):
        moved = 0.0
        if active[i] and link[i] >= 0:
            c = PASS2_COUNTER
            while True:
                lk = link[i]
                speed = link_speed[lk]
                if start_on_foot and prev_place[i] < 0:
                    speed = walk_speed
                if walk_prob[lk] > 0.0:
                    if uniform(key, i, c) < walk_prob[lk]:
                        speed = walk_speed
                    c += 1
                travelled[i] += speed
                moved += speed
                if not travelled[i] > link_km[lk]:
                    break
                moved += link_km[lk] - travelled[i]
                a = link_from[lk]
                link[i] = -1
                travelled[i] = 0.0
                prev_place[i] = a
                if entry_gen[i] != link_gen[lk]:
                    # the link closed while the person was on it: back to its start
                    place[i] = a
                    count[a] += 1
                    break
                q = link_to[lk]
                place[i] = q
                count[q] += 1
                flows[lk] += 1
                ctry = place_country[q]
                if ctry < 16:
                    countries[i] |= np.uint16(1 << ctry)
                kinds[i] |= np.uint16(1 << place_kind[q])
                if not moved < speed:
                    break
                mc = movechance[q]
                if avoid_short_stints and is_town[q]:
                    if (recent[i] + moved * inv_max) / 2.0 < 0.5:
                        mc = 1.0
                u = uniform(key, i, c)
                c += 1
                if not u < mc:
                    break
                nl = step_out(i, q, key, c, r_start, r_len, r_pos, route_nodes, opt_ptr,
                              opt_end, opt_inv, opt_route, opt_rlen, out_ptr, out_links,
                              link_to, link_open, forced_link, is_camp, score, pop_weight, count,
                              capacity, buffer, weight_softening, weight_power, weight_mode,
                              home_dist, home_power, home, home_is_current, scratch)
                c += 1
                if nl < 0:
                    break
                count[q] -= 1
                link[i] = nl
                travelled[i] = 0.0
                entry_gen[i] = link_gen[nl]
        if avoid_short_stints:
            recent[i] = (recent[i] + moved * inv_max) / 2.0
        s = state[i]
        if s == in_transit or s == in_camp:
            state[i] = in_camp if link[i] < 0 and camp_kind[place[i]] else in_transit
    for h in range(n_held):
        active[held[h]] = True
