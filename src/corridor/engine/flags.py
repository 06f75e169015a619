"""Bit flags on a person (`Agents.flags`): how they entered, what they hold, their group.

Rules set most of them; the movement kernels set `LEFT_GROUP`. They live below both engine and
rules, like the states. The values are `numpy.uint16`, so `agents.flags[idx] |= Flag.PERMIT`
keeps the column's type.
"""

from __future__ import annotations

import numpy as np


class Flag:
    """What a person carries from one rule to the next."""

    REGISTERED = np.uint16(1)         # entry registered by the authorities
    IRREGULAR = np.uint16(2)          # entered a country irregularly
    PERMIT = np.uint16(4)             # holds a permit to transit
    RETURN_ORDERED = np.uint16(8)     # waits (in detention) for a seat home
    REVIEWED = np.uint16(16)          # case reviewed once
    ACA_CLAIMED = np.uint16(32)       # made an asylum claim after an ACA transfer
    DECIDED_APPROACH = np.uint16(64)  # chose at the border city: port or between ports
    AT_PORT = np.uint16(128)          # chose to ask for asylum at a port of entry
    LEFT_GROUP = np.uint16(256)       # left their group for good (`breakaway_chance`)
