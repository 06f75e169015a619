"""The per-place and per-leg decisions of the `corridor` model, written once for both kernels.

The individual kernel (`kernels.move_range`) and the count kernel (`count_kernels.move_rows`)
call these inline numba functions, so a traveller's choice of link, the time a leg takes and
whether arriving somewhere ends the day are the same decision in both representations.

Conventions shared by both kernels:
- `link_weight` has one row per destination (row 0: travellers without one); `goal_row[g]`
  and `goal_place[g]` give the row and the destination place of group g (-1: none).
- A day's travel budget is in km at the traveller's speed of the day (`walk_km` on foot,
  `ride_km` with a ride). A leg of mode m costs `km × factor[m]` of that budget, where the
  factor is the day's speed over the mode's speed (1 on roads, so a road leg costs its km).
- The `legs` tuple is (walk_factor, ride_factor per link; ride_chance per place;
  overnight_at_places; pace_cohesion; group_km, group_rides per pace and place;
  breakaway_chance; legal_ride_chance per place, -1 when not set; free movement per place;
  the pace row of every group): see `sets_out`, `with_group`, `leaves_group` and
  `ride_chance_of`. A group's travellers who go with it take the day's budget
  `group_km[pace_of_group[g], p]`: with `pace_by` unset there is one pace row, the mean of
  the travellers at each place; with it, one row per value of that group attribute (a
  caravan), the same at every place.
- A traveller who has left their group for good carries `Flag.LEFT_GROUP` (`engine/flags.py`)
  in the `flags` column of either representation.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from corridor.engine.flags import Flag
from corridor.engine.random import uniform

PACE_COUNTER = 1 << 40  # the draw counter of "travels with the group" (far from the others)
BREAK_COUNTER = 1 << 41  # the draw counter of "leaves the group for good"
LEFT_GROUP = Flag.LEFT_GROUP
PERMIT = Flag.PERMIT
GROUP_STREAM = 1 << 50  # draws of a cohort's way at a place use "agent" GROUP_STREAM + index


@njit(cache=True, inline="always")
def choice_weight(row, link, prev_place, link_to, link_weight, backtrack_weight):
    """Weight of taking a link for someone heading by row `row` who came from prev_place."""
    w = link_weight[row, link]
    if link_to[link] == prev_place:
        w *= backtrack_weight
    return w


@njit(cache=True, inline="always")
def total_weight(row, p, prev_place, out_ptr, out_links, link_to, link_weight,
                 backtrack_weight):
    """Sum of the choice weights of the links out of place p."""
    total = 0.0
    for k in range(out_ptr[p], out_ptr[p + 1]):
        total += choice_weight(row, out_links[k], prev_place, link_to, link_weight,
                               backtrack_weight)
    return total


@njit(cache=True, inline="always")
def choose_link(i, row, p, key, counter, prev_place, out_ptr, out_links, link_to, link_weight,
                backtrack_weight):
    """Draw an outgoing link of place p for traveller i, weighted; -1 when no link has weight."""
    total = total_weight(row, p, prev_place, out_ptr, out_links, link_to, link_weight,
                         backtrack_weight)
    if total <= 0.0:
        return -1
    r = uniform(key, i, counter) * total
    chosen = -1
    for k in range(out_ptr[p], out_ptr[p + 1]):
        lk = out_links[k]
        w = choice_weight(row, lk, prev_place, link_to, link_weight, backtrack_weight)
        if w > 0.0:
            chosen = lk
            r -= w
            if r < 0.0:
                break
    return chosen


@njit(cache=True, inline="always")
def group_link(cohort, row, p, key, prev_place, out_ptr, out_links, link_to, link_weight,
               backtrack_weight):
    """The link a cohort's travellers who go with the group take out of p today (-1: none).

    One draw per cohort, place and day (the same in both representations), mapped through
    the traveller's own weights: travellers of a cohort with the same destination take the
    same way.
    """
    n_places = out_ptr.shape[0] - 1
    return choose_link(GROUP_STREAM + cohort * n_places + p, row, p, key, 0, prev_place,
                       out_ptr, out_links, link_to, link_weight, backtrack_weight)


@njit(cache=True, inline="always")
def leg_cost(lk, km, riding, walk_factor, ride_factor):
    """Budget (km at the day's speed) that `km` of link lk costs a walker or a rider."""
    return km * (ride_factor[lk] if riding else walk_factor[lk])


@njit(cache=True, inline="always")
def leg_km(lk, budget, riding, walk_factor, ride_factor):
    """Km of link lk that a budget buys (the inverse of `leg_cost`)."""
    return budget / (ride_factor[lk] if riding else walk_factor[lk])


@njit(cache=True, inline="always")
def at_destination(p, goal):
    """True when a traveller with destination `goal` (-1: none) is at it and stays."""
    return goal >= 0 and p == goal


@njit(cache=True, inline="always")
def ends_day(q, lk, goal, stop_place, stop_link, goal_stop):
    """Whether arriving at q by link lk ends the traveller's day (rules then act).

    Everybody stops at a `stop_place` or after a `stop_link`; a traveller stops at their own
    destination; a `goal_stop` place (a border city with rules for those who end their
    journey there) stops only travellers without a destination.
    """
    if stop_place[q] or stop_link[lk] or q == goal:
        return True
    return goal_stop[q] and goal < 0


@njit(cache=True, inline="always")
def mark_visit(q, place_country, place_kind, countries, kinds, i):
    """Record that row i has been in q's country and at a place of q's kind."""
    country = place_country[q]
    if country < 16:
        countries[i] |= np.uint16(1 << country)
    kinds[i] |= np.uint16(1 << place_kind[q])


@njit(cache=True, inline="always")
def sets_out(cost, budget, full, overnight_at_places):
    """Whether a traveller with `budget` left today sets out on a leg that costs `cost`.

    With `overnight_at_places`, travellers spend the night at a place, not on the road: once
    they have travelled today they set out only on a leg they can finish today. A leg longer
    than a whole day is started in the morning (budget still full).
    """
    return (not overnight_at_places) or cost <= budget or budget >= full


@njit(cache=True, inline="always")
def with_group(key, i, pace_cohesion):
    """Whether traveller i, still in their group, travels with it today (chance `pace_cohesion`).

    Those who do go at the group's pace: the day's budget `group_km[k, p]` (k: the group's
    pace row), the group's mean (walking, plus the share who find a ride times the extra km
    of a ride, over the travellers at p, or with `pace_by` over the whole caravan wherever
    they are: the head of a caravan waits for its tail), with a ride's leg costs when most of
    it rides (`group_rides[k, p]`); and they take the group's way at every place
    (`group_link`).
    """
    return pace_cohesion > 0.0 and (pace_cohesion >= 1.0
                                    or uniform(key, i, PACE_COUNTER) < pace_cohesion)


@njit(cache=True, inline="always")
def leaves_group(key, i, breakaway):
    """Whether traveller i, still in their group, leaves it for good today.

    A caravan holds together while its members stay and thins as they break away: each day
    that they set out, a member leaves with chance `breakaway_chance` (one draw per traveller,
    or a binomial split of a row). From then on they carry `Flag.LEFT_GROUP` and travel at
    their own pace and by their own way (`with_group` is no longer drawn for them); they keep
    their destination.
    """
    return breakaway > 0.0 and (breakaway >= 1.0 or uniform(key, i, BREAK_COUNTER) < breakaway)


@njit(cache=True, inline="always")
def ride_chance_of(flags, p, ride_chance, legal_ride, free_movement):
    """A traveller's chance of a ride at p today, by where they are and what they carry.

    `ride_chance[p]` is the place's chance shared out over its seats. With `legal_ride_chance`
    set (`legal_ride[p]` >= 0: the chance shared out over `legal_ride_seats`, when set, among
    those with papers at p), a traveller who may travel legally at p (p is in a country of
    free movement for them, `free_movement[p]`, or they hold a permit) rides with that chance
    instead, not limited by `ride_seats`: buses sell them tickets (as many as
    `legal_ride_seats`), while those without papers depend on the rides a place offers.
    """
    if legal_ride[p] >= 0.0 and (free_movement[p] or (flags & PERMIT) != 0):
        return legal_ride[p]
    return ride_chance[p]
