"""What rules tell the movement kernel each day: which links are open, where people must stop."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Gates:
    """Per-day arrays the movement kernel reads.

    Attributes:
        link_open: bool per link; a closed link cannot be chosen.
        stop_place: bool per place; people arriving there stop for the day (rules then act).
        stop_link: bool per link; people completing that link stop at its end.
        goal_stop: bool per place; people without a destination, and those whose destination
            it is, stop there (a border city whose rules act on those who end their journey
            there); people heading elsewhere pass through.
        deterrence: float per place; what rules in force there add to the cost of choosing it
            as a destination (in the units of `destination_choice`: e.g. months on a waiting
            list, or exposure to Remain in Mexico).
        route_open: bool per link; the links travellers plan their way to a destination over.
            A closure they wait at (or turn back from) is closed in `link_open` but not here:
            they keep to their way and meet it; only closures that reroute close it here.
    """

    link_open: np.ndarray
    stop_place: np.ndarray
    stop_link: np.ndarray
    goal_stop: np.ndarray | None = None
    deterrence: np.ndarray | None = None
    route_open: np.ndarray | None = None

    def __post_init__(self):
        n_places = len(self.stop_place)
        if self.route_open is None:
            self.route_open = np.ones(len(self.link_open), dtype=np.bool_)
        if self.goal_stop is None:
            self.goal_stop = np.zeros(n_places, dtype=np.bool_)
        if self.deterrence is None:
            self.deterrence = np.zeros(n_places, dtype=np.float64)

    @classmethod
    def open(cls, n_places: int, n_links: int) -> Gates:
        """Return gates with every link open and no stops."""
        return cls(np.ones(n_links, dtype=np.bool_), np.zeros(n_places, dtype=np.bool_),
                   np.zeros(n_links, dtype=np.bool_))
