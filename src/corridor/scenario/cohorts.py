"""Cohorts: the groups of people that outputs and scores keep apart (the `cohort` attribute).

A person's cohort is the `cohort` column of the `departures.csv` row they left with (e.g.
`caravan` and `background`). People without one (an empty cell, no such column, or a model
without departures such as `flee`) belong to the cohort labelled `other` when some departure
names a cohort, and to the single cohort `all` when none does. Cohorts are numbered in the
order they first appear in `departures.csv`, the unnamed cohort (when there is one) last; the
numbering is what `Simulation.cohort_of_group` and the recorder's arrays use.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

COHORT = "cohort"  # the departures.csv column (group attribute) naming a person's cohort
OTHER = "other"  # label of people without a cohort when some departure names one
ALL = "all"  # label of everybody when no departure names a cohort


def cohort_labels(departures: Iterable[Any]) -> tuple[str, ...]:
    """Return the cohort labels of a scenario's departures, in their numbering order.

    Args:
        departures: `DepartureRow`s (anything with an `attributes` dict).

    Returns:
        The named cohorts in order of first appearance, then `other` if some departure has
        no cohort; `("all",)` when no departure names a cohort.
    """
    named: dict[str, None] = {}
    unnamed = False
    for dep in departures:
        value = dep.attributes.get(COHORT, "").strip()
        if value:
            named.setdefault(value, None)
        else:
            unnamed = True
    if not named:
        return (ALL,)
    labels = list(named)
    if unnamed and OTHER not in named:
        labels.append(OTHER)
    return tuple(labels)


def label_of(value: str, labels: tuple[str, ...]) -> str:
    """Return the label of a group's `cohort` attribute (`other`/`all` when it is empty)."""
    value = value.strip()
    if value:
        return value
    return ALL if labels == (ALL,) else OTHER
