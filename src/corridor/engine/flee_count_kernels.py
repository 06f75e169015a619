"""Numba kernels of the `flee` model's count representation (rows of interchangeable people).

Each decision of the individual kernel (`flee_kernels.flee_day`) becomes a split of a row: the
people who leave a place are Binomial(count, move chance); the choice among route options is a
multinomial (successive binomials) over the option weights at the time the row is processed;
the walkers on a link with a walking chance are Binomial(count, chance). A row's people share
their position, route and route position, km travelled, entry generation, history and
activity, so a following step along a planned route is the same for all of them and needs no
draw. The day keeps Flee's two passes (departures from places, then travel) and live place
counts; rows, not people, are the unit of order (see `docs/flee-compatibility.md`).
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

from corridor.engine.count_kernels import copy_row, option_share
from corridor.engine.flee_kernels import follow_route, option_weights
from corridor.engine.merge_kernels import drop_empty_groups
from corridor.engine.random import binomial, mix64

ROOM = 4096  # free rows reserved before a pass (fewer calls; not needed for safety)
RECENT_SCALE = 4096.0  # `recent` on rows: units of 1/4096 of a day at max_move_speed
PASS2_COUNTER = 1 << 20  # binomial counters of the second pass start here
SLICE_COUNTER = PASS2_COUNTER - 4096  # and those cutting rows into slices, here
_FOLD = uint64(0x9E3779B97F4A7C15)  # odd: `merge_day_rows` folds columns into a hash with it


@njit(cache=True, inline="always")
def _copy(src, dst, k, rows):
    """Move k people of row src into row dst, a copy of src (`rows` is the column tuple)."""
    (place, link, travelled, state, group, prev_place, since, timer, flags, countries, kinds,
     count, active, r_start, r_len, r_pos, entry_gen, home, recent, moved) = rows
    copy_row(src, dst, k, place, link, travelled, state, group, prev_place, since, timer,
             flags, countries, kinds, count)
    active[dst] = active[src]
    r_start[dst] = r_start[src]
    r_len[dst] = r_len[src]
    r_pos[dst] = r_pos[src]
    entry_gen[dst] = entry_gen[src]
    home[dst] = home[src]
    recent[dst] = recent[src]
    moved[dst] = moved[src]


@njit(cache=True, inline="always")
def _part(r, k, rem, n, rows):
    """Return (the row that holds k of row r's rem people, rows in use).

    That is r itself when k == rem, else a new row n that takes k of them.
    """
    if k < rem:
        _copy(r, n, k, rows)
        return n, n + 1
    return r, n


@njit(cache=True, inline="always")
def _clear_route(r, r_start, r_len, r_pos):
    r_start[r] = -1
    r_len[r] = 0
    r_pos[r] = 0


@njit(cache=True, inline="always")
def _enter(r, p, lk, rows, occ, link_gen):
    link, travelled, count, entry_gen = rows[1], rows[2], rows[11], rows[16]
    occ[p] -= count[r]
    link[r] = lk
    travelled[r] = 0.0
    entry_gen[r] = link_gen[lk]


@njit(cache=True, inline="always")
def pass1_slices(n_orig, rounds, rows, movechance, key, slices):
    """Draw the leavers of each row at a place and cut them into `rounds` slices.

    The leavers are Binomial(count, move chance), the slices successive binomials, written to
    slices[:n_orig] (the caller's buffer, at least n_orig rows).
    """
    place, link, count, active = rows[0], rows[1], rows[11], rows[12]
    for i in range(n_orig):
        for j in range(rounds):
            slices[i, j] = 0
        if not active[i] or link[i] >= 0 or count[i] == 0:
            continue
        mc = movechance[place[i]]
        if mc <= 0.0:
            continue
        c = np.int64(count[i])
        k = c if mc >= 1.0 else binomial(key, i, 0, c, mc)
        for j in range(rounds):
            if k == 0:
                break
            kj = k if j == rounds - 1 else binomial(key, i, 1 + j, k, 1.0 / (rounds - j))
            slices[i, j] = kj
            k -= kj


@njit(cache=True, inline="always")
def pass2_slices(n_orig, rounds, rows, key, slices):
    """Cut the people of each row on a link into `rounds` slices (successive binomials).

    Written to slices[:n_orig] (the caller's buffer, at least n_orig rows).
    """
    link, count, active = rows[1], rows[11], rows[12]
    for i in range(n_orig):
        for j in range(rounds):
            slices[i, j] = 0
        if not active[i] or link[i] < 0 or count[i] == 0:
            continue
        k = np.int64(count[i])
        for j in range(rounds):
            if k == 0:
                break
            kj = k if j == rounds - 1 else binomial(key, i, SLICE_COUNTER + j, k,
                                                     1.0 / (rounds - j))
            slices[i, j] = kj
            k -= kj


@njit(cache=True, _nrt=False)
def flee_count_pass(phase, j0, start, n_orig, n, cap, slices, rows, paths, link_from,
                    link_to, link_km, link_speed, walk_prob, link_open, link_gen, forced_link,
                    movechance, is_camp, score, pop_weight, occ, capacity, place_country,
                    place_kind, weights, travel, key, flows, scratch, stack, top, entered):
    """One of Flee's two passes over rows 0..n_orig-1, with live place counts `occ`.

    Rows are processed in their stored order, which is the order they were made (new rows
    are appended; `Agents.merge(keep_order=True)` keeps merged rows where the oldest was).

    Phase 1 (departures): the leavers of each row at a place (`slices`, from `pass1_slices`)
    leave onto links, the rows taking turns, a slice each per round, so that the counts a
    decision sees fall gradually over the pass, as when Flee interleaves people of many
    places.

    Phase 2 (travel): rows on links (`slices` from `pass2_slices`) advance, arrive, and may
    leave again, hop by hop, from round j0 and row `start` on.

    Room: every split makes a non-empty row (k of the count people, 0 < k < count), so a slice
    of k people can make up to k - 1 rows: more than any fixed margin. The pass checks the room
    where a bounded number of rows can follow: before a phase-1 slice at place p (one part,
    then one per route option of p: 1 + options), before a phase-2 slice starts (1) and
    before a phase-2 stack entry is taken (walkers, leavers, then one per option: 2 + the
    most options of a place). When it is short, the pass returns (suspends) with the slice
    being processed still on the `stack` (phase 2); the caller grows the rows and calls again
    with that stack to go on exactly where it stopped, so the result does not depend on the
    buffer sizes. The stack holds distinct rows (a popped row is pushed again at most once),
    all of them row `start` or rows made for its slice, so top <= 1 + cap - (rows in use when
    the slice started): the caller keeps it at least cap - n + 2 long for the `n` of the
    call that starts the pass.

    `paths` is (route_nodes, opt_ptr, opt_end, opt_inv, opt_route, opt_rlen, out_ptr,
    out_links), `weights` is (capacity buffer, weight softening, weight power, weight mode,
    home distances, home distance power, home is the current place) and `travel` is (walking
    speed, start_on_foot, avoid_short_stints, 1 / max_move_speed, is_town). With
    avoid_short_stints each row keeps `recent` (the moving average of the distance its people
    travelled per day, in 1/`RECENT_SCALE` of `max_move_speed`; `fold_recent` updates it at the
    end of the day) and `moved` (the km they travelled today, written here): people arriving
    in a town with distance to spare leave it for sure when (recent + moved today / max) / 2 <
    0.5, as in the individual kernel; all of a row's people have the same values, so the rule
    needs no draw and makes no rows (the room bounds above are unchanged). Both passes share one
    `leave` (an inner function, which numba inlines with the arrays unpacked once here: a
    separate function taking the tuples cost twice the time of the second pass). `entered`
    (at least `scratch` + 1 long) receives the rows that one `leave` set onto links.

    Compiled without numba's reference counting (`_nrt=False`; it allocates nothing): with it,
    every array taken from a tuple or handed to an inlined helper is counted in and out with
    atomic operations, about half of the pass's time on Mali.

    Returns:
        (round, row, rows in use, stack entries): where to go on when the rows ran short
        (grow them and call again), or (number of rounds, 0, rows in use, 0) when the pass
        is done.
    """
    (place, link, travelled, _, _, prev_place, _, _, _, countries, kinds, count, active,
     r_start, r_len, r_pos, entry_gen, home, recent, moved_today) = rows
    walk_speed, start_on_foot, avoid_short_stints, inv_max, is_town = travel
    route_nodes, opt_ptr, opt_end, opt_inv, opt_route, opt_rlen, out_ptr, out_links = paths
    (buffer, weight_softening, weight_power, weight_mode, home_dist, home_power,
     home_is_current) = weights
    most = 0  # the most route options of a place (<= scratch.shape[0])
    for p in range(opt_ptr.shape[0] - 1):
        most = max(most, opt_ptr[p + 1] - opt_ptr[p])

    def leave(r, p, n, ctr):
        """Row r's people, all leaving place p: forced link, planned route, or a new route each.

        The parts that step onto a link are written to `entered`; returns (rows in use, parts).
        """
        f = forced_link[p]
        if f >= 0 and link_open[f]:
            _clear_route(r, r_start, r_len, r_pos)
            _enter(r, p, f, rows, occ, link_gen)
            entered[0] = r
            return n, 1
        if r_start[r] >= 0:
            lk = follow_route(r, p, r_start, r_len, r_pos, route_nodes, out_ptr, out_links,
                              link_to, link_open, is_camp, occ, capacity, buffer)
            if lk >= 0:
                _enter(r, p, lk, rows, occ, link_gen)
                entered[0] = r
                return n, 1
            return n, 0
        k0 = opt_ptr[p]
        no = opt_ptr[p + 1] - k0
        if no <= 0:
            return n, 0
        ref = p if home_is_current else home[r]
        total = option_weights(p, ref, opt_ptr, opt_end, opt_inv, score, pop_weight, occ,
                               capacity, buffer, weight_softening, weight_power, weight_mode,
                               home_dist, home_power, scratch)
        if not total > 0.0:
            for j in range(no):
                scratch[j] = 1.0
            total = float(no)
        n_in = 0
        left = total
        for j in range(no):
            w = scratch[j]
            if w <= 0.0:
                continue
            rem = np.int64(count[r])
            if rem == 0:
                break
            kk = option_share(key, r, ctr + j, rem, w, left)
            left -= w
            if kk == 0:
                continue
            t, n = _part(r, kk, rem, n, rows)
            k = k0 + j
            r_start[t] = opt_route[k]
            r_len[t] = opt_rlen[k]
            r_pos[t] = 0
            lk = follow_route(t, p, r_start, r_len, r_pos, route_nodes, out_ptr, out_links,
                              link_to, link_open, is_camp, occ, capacity, buffer)
            if lk >= 0:
                _enter(t, p, lk, rows, occ, link_gen)
                entered[n_in] = t
                n_in += 1
            if t == r:
                break
        return n, n_in

    rounds = slices.shape[1]
    j = j0
    idx = start
    if phase == 1:
        base = 1 + rounds
        while j < rounds:
            if idx >= n_orig:
                j += 1
                idx = 0
                continue
            i = idx
            kj = slices[i, j]
            if kj == 0:
                idx += 1
                continue
            p = place[i]
            if cap - n < 1 + opt_ptr[p + 1] - opt_ptr[p]:
                return j, idx, n, 0
            r, n = _part(i, kj, np.int64(count[i]), n, rows)
            n, _ = leave(r, p, n, base + j * (scratch.shape[0] + 1))
            idx += 1
        return rounds, 0, n, 0

    st_row, st_moved, st_ctr, st_speed = stack
    while j < rounds:
        if top == 0:  # start slice (idx, j) (else go on with the slice on the stack)
            if idx >= n_orig:
                j += 1
                idx = 0
                continue
            i = idx
            kj = slices[i, j]
            if kj == 0:
                idx += 1
                continue
            if cap - n < 1:
                return j, idx, n, 0
            r0, n = _part(i, kj, np.int64(count[i]), n, rows)
            top = 1
            st_row[0], st_moved[0], st_ctr[0], st_speed[0] = r0, 0.0, PASS2_COUNTER, -1.0
        while top > 0:
            if cap - n < 2 + most:
                return j, idx, n, top
            top -= 1
            row, moved, c, speed = st_row[top], st_moved[top], st_ctr[top], st_speed[top]
            lk = link[row]
            if speed < 0.0:  # the speed on this link: a ride, or walking
                speed = link_speed[lk]
                if start_on_foot and prev_place[row] < 0:
                    speed = walk_speed
                if walk_prob[lk] > 0.0:
                    cnt = np.int64(count[row])
                    kw = binomial(key, row, c, cnt, walk_prob[lk])
                    c += 1
                    if kw == cnt:
                        speed = walk_speed
                    elif kw > 0:
                        w = n
                        n += 1
                        _copy(row, w, kw, rows)
                        st_row[top], st_moved[top], st_ctr[top] = w, moved, c
                        st_speed[top] = walk_speed
                        top += 1
            travelled[row] += speed
            moved += speed
            if avoid_short_stints:  # else `moved` stays 0 (it is part of the merge key)
                moved_today[row] = moved
            if not travelled[row] > link_km[lk]:
                continue
            moved += link_km[lk] - travelled[row]
            if avoid_short_stints:
                moved_today[row] = moved
            a = link_from[lk]
            cnt = np.int64(count[row])
            link[row] = -1
            travelled[row] = 0.0
            prev_place[row] = a if start_on_foot else 0  # only read by start_on_foot
            if entry_gen[row] != link_gen[lk]:  # the link closed while they were on it
                entry_gen[row] = 0
                place[row] = a
                occ[a] += cnt
                continue
            entry_gen[row] = 0
            q = link_to[lk]
            place[row] = q
            occ[q] += cnt
            flows[lk] += cnt
            ctry = place_country[q]
            if ctry < 16:
                countries[row] |= np.uint16(1 << ctry)
            kinds[row] |= np.uint16(1 << place_kind[q])
            if not moved < speed:
                continue
            mc = movechance[q]
            if avoid_short_stints and is_town[q]:
                if (recent[row] / RECENT_SCALE + moved * inv_max) / 2.0 < 0.5:
                    mc = 1.0
            if mc <= 0.0:
                continue
            kk = cnt if mc >= 1.0 else binomial(key, row, c, cnt, mc)
            c += 1
            if kk == 0:
                continue
            r, n = _part(row, kk, cnt, n, rows)
            n, n_in = leave(r, q, n, c)
            c += scratch.shape[0] + 1
            for m in range(n_in):
                st_row[top], st_moved[top], st_ctr[top] = entered[m], moved, c
                st_speed[top] = -1.0
                top += 1
        idx += 1
    return rounds, 0, n, 0


@njit(cache=True, inline="always")
def fold_recent(n, recent, moved, inv_max):
    """End of day: recent = (recent + moved today / max_move_speed) / 2 for rows 0..n-1.

    `recent` is kept in whole units of 1/`RECENT_SCALE` (rounded), so that rows whose people
    travelled alike merge, and a row that stays put reaches 0 within about 13 days; `moved` is
    reset for the next day.
    """
    for i in range(n):
        recent[i] = np.int32(np.rint((recent[i] + moved[i] * inv_max * RECENT_SCALE) / 2.0))
        moved[i] = 0.0


@njit(cache=True, inline="always")
def _same_row(x, y, rows):
    """Whether rows x and y are equal in every column but `count`."""
    (place, link, travelled, state, group, prev_place, since, timer, flags, countries, kinds,
     _, active, r_start, r_len, r_pos, entry_gen, home, recent, moved) = rows
    return (place[x] == place[y] and link[x] == link[y] and travelled[x] == travelled[y]
            and state[x] == state[y] and group[x] == group[y]
            and prev_place[x] == prev_place[y] and since[x] == since[y]
            and timer[x] == timer[y] and flags[x] == flags[y]
            and countries[x] == countries[y] and kinds[x] == kinds[y]
            and active[x] == active[y] and r_start[x] == r_start[y]
            and r_len[x] == r_len[y] and r_pos[x] == r_pos[y]
            and entry_gen[x] == entry_gen[y] and home[x] == home[y]
            and recent[x] == recent[y] and moved[x] == moved[y])


@njit(cache=True, inline="always")
def merge_day_rows(n, rows, table, first, total):
    """Merge rows 0..n-1 equal in every column but `count`; return the rows kept.

    The same result as `Agents.merge(keep_order=True)`: merged rows keep the order of their
    first row, their counts add up, rows left with nobody are dropped. One hashed pass (a hash
    of every column, then an equality test of all of them, so that a shared hash only costs a
    longer probe, never a wrong merge). Bounds: `table` holds at least the power of two >=
    max(2n, 16) slots (a probe always finds a free one: at most n are taken), `first` and
    `total` at least n.
    """
    (place, link, travelled, state, group, prev_place, since, timer, flags, countries, kinds,
     count, active, r_start, r_len, r_pos, entry_gen, home, recent, moved) = rows
    size = 16
    while size < 2 * n:
        size <<= 1
    for k in range(size):
        table[k] = -1
    mask = uint64(size - 1)
    m = 0
    for i in range(n):
        # every column, packed into 64-bit words, folded by xor-multiply (one multiply each,
        # a short dependency chain), then one splitmix64 finaliser
        h = uint64(0x2545F4914F6CDD1D)
        h = (h ^ (uint64(np.int64(place[i]) + 1)
                  ^ (uint64(np.int64(link[i]) + 1) << uint64(32)))) * _FOLD
        h = (h ^ uint64(np.int64(travelled[i] * 4096))) * _FOLD
        h = (h ^ (uint64(state[i]) ^ (uint64(group[i]) << uint64(8))
                  ^ (uint64(np.int64(prev_place[i]) + 1) << uint64(24)))) * _FOLD
        h = (h ^ (uint64(np.int64(since[i]) + 32768)
                  ^ (uint64(np.int64(timer[i]) + 32768) << uint64(16))
                  ^ (uint64(flags[i]) << uint64(32))
                  ^ (uint64(countries[i]) << uint64(48)))) * _FOLD
        h = (h ^ (uint64(kinds[i]) ^ (uint64(active[i]) << uint64(16))
                  ^ (uint64(np.int64(r_start[i]) + 1) << uint64(17)))) * _FOLD
        h = (h ^ (uint64(np.int64(r_len[i]) + 32768)
                  ^ (uint64(np.int64(r_pos[i]) + 32768) << uint64(16))
                  ^ (uint64(np.int64(entry_gen[i])) << uint64(32)))) * _FOLD
        h = (h ^ (uint64(np.int64(home[i]))
                  ^ (uint64(np.int64(recent[i])) << uint64(32)))) * _FOLD
        h = mix64(h ^ uint64(np.int64(moved[i] * 4096)))
        slot = h & mask
        while True:
            g = table[slot]
            if g < 0:
                table[slot] = m
                first[m] = i
                total[m] = 0
                g = m
                m += 1
                break
            if _same_row(first[g], i, rows):
                break
            slot = (slot + uint64(1)) & mask
        total[g] += count[i]
    kept = drop_empty_groups(first, total, m)
    for g in range(kept):  # first[g] >= g: a row is read before any write reaches it
        src = first[g]
        if src != g:
            _copy(src, g, 0, rows)
        count[g] = total[g]
    return kept


# `flee_count_day`'s progress (`prog`): what it did, and where to go on after a suspension
STAGE, ROUND, ROW, TOP, N_ORIG, N_HELD = range(6)
STAGE_START, STAGE_PASS1, STAGE_PASS2, STAGE_DONE = 0, 1, 2, 3


@njit(cache=True, _nrt=False)
def flee_count_day(prog, n, cap, rows, slices, held, occ, paths, link_from, link_to, link_km,
                   link_speed, walk_prob, link_open, link_gen, forced_link, movechance, is_camp,
                   score, pop_weight, capacity, place_country, place_kind, weights, travel,
                   key, flows, scratch, stack, entered, camp_kind, in_transit, in_camp,
                   merge, table, first, total):
    """One day of the flee model on rows, in one call: everything `flee_count_pass` needs around it.

    In order: `occ` = the people at each place (not on links); rows a rule holds (active, in
    another state than `in_transit` or `in_camp`) are made inactive for the day and listed in
    `held`; the leavers of each row are drawn (`pass1_slices`); the first pass; the slices of
    the rows on links (`pass2_slices`); the second pass; with avoid_short_stints
    `fold_recent`; the held rows active again; the state of the rows moving as Flee moves them
    set to `in_camp` when standing in a camp (`camp_kind`), else `in_transit`; with `merge`,
    the rows merged (`merge_day_rows`, on `table`, `first` and `total`; see its bounds).

    `prog` (int64, 6 long: STAGE, ROUND, ROW, TOP, N_ORIG, N_HELD) says where the day is: the
    caller sets it to 0 and calls until prog[STAGE] is `STAGE_DONE`. When a pass runs short of
    rows it returns with its place in `prog`; the caller grows the rows (to capacity `cap`),
    `slices` (keeping its rows) and `stack` (keeping its prog[TOP] entries) and calls again.

    Bounds: `held` at least n long when the day starts (at most every row is held); `slices`
    (rows × rounds) and `stack` at least `cap` and `cap` + 2 long at every call (a pass's
    slices cover the rows in use when it starts, <= cap; see `flee_count_pass` for the stack);
    `occ` one per place; `entered` at least `scratch` + 1 long; `merge_day_rows`'s buffers for
    the rows in use at the end. Allocates nothing (no
    reference counting, as `flee_count_pass`).

    Returns:
        The rows in use.
    """
    place, link, state, count, active = rows[0], rows[1], rows[3], rows[11], rows[12]
    rounds = slices.shape[1]
    if prog[STAGE] == STAGE_START:
        for p in range(occ.shape[0]):
            occ[p] = 0
        for i in range(n):
            if link[i] < 0:
                occ[place[i]] += count[i]
        n_held = 0
        for i in range(n):
            s = state[i]
            if active[i] and s != in_transit and s != in_camp:
                active[i] = False
                held[n_held] = i
                n_held += 1
        prog[N_HELD] = n_held
        pass1_slices(n, rounds, rows, movechance, key, slices)
        prog[STAGE], prog[ROUND], prog[ROW], prog[TOP], prog[N_ORIG] = STAGE_PASS1, 0, 0, 0, n
    for phase in (1, 2):
        if prog[STAGE] != phase:
            continue
        j, i, n, top = flee_count_pass(phase, prog[ROUND], prog[ROW], prog[N_ORIG], n, cap,
                                       slices, rows, paths, link_from, link_to, link_km,
                                       link_speed, walk_prob, link_open, link_gen, forced_link,
                                       movechance, is_camp, score, pop_weight, occ, capacity,
                                       place_country, place_kind, weights, travel, key, flows,
                                       scratch, stack, prog[TOP], entered)
        if j < rounds:  # short of rows: the caller grows them and calls again
            prog[ROUND], prog[ROW], prog[TOP] = j, i, top
            return n
        if phase == 1:
            pass2_slices(n, rounds, rows, key, slices)
            prog[STAGE], prog[ROUND], prog[ROW], prog[TOP], prog[N_ORIG] = (STAGE_PASS2, 0, 0,
                                                                           0, n)
    avoid_short_stints, inv_max = travel[2], travel[3]
    if avoid_short_stints:
        fold_recent(n, rows[18], rows[19], inv_max)
    for h in range(prog[N_HELD]):
        active[held[h]] = True
    for i in range(n):
        s = state[i]
        if s == in_transit or s == in_camp:
            state[i] = in_camp if link[i] < 0 and camp_kind[place[i]] else in_transit
    if merge:
        n = merge_day_rows(n, rows, table, first, total)
    prog[STAGE] = STAGE_DONE
    return n


def new_stack(size: int, stack: tuple | None = None, top: int = 0) -> tuple:
    """Return the second pass's stack (row, km moved, counter, speed), `size` long.

    The first `top` entries of `stack` (when given) are kept.
    """
    grown = (np.empty(size, dtype=np.int64), np.empty(size, dtype=np.float64),
             np.empty(size, dtype=np.int64), np.empty(size, dtype=np.float64))
    if stack is not None:
        for new, old in zip(grown, stack, strict=True):
            new[:top] = old[:top]
    return grown
