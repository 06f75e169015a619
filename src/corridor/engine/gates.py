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
    """

    link_open: np.ndarray
    stop_place: np.ndarray
    stop_link: np.ndarray

    @classmethod
    def open(cls, n_places: int, n_links: int) -> Gates:
        """Return gates with every link open and no stops."""
        return cls(np.ones(n_links, dtype=np.bool_), np.zeros(n_places, dtype=np.bool_),
                   np.zeros(n_links, dtype=np.bool_))
