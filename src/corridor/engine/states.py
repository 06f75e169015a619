"""The states a person can be counted in. Every agent is in exactly one, every day."""

from __future__ import annotations

from enum import IntEnum


class State(IntEnum):
    """States of a person; the text names appear in every output table."""

    IN_TRANSIT = 0
    WAITING = 1
    ARRIVED = 2
    DETAINED = 3
    SETTLED_SOUTH = 4
    ASYLUM_TRANSIT = 5
    REFUGEE_TRANSIT = 6
    RETURNED_AIR = 7
    RETURNED_LAND = 8
    RETURNED_VOLUNTARY = 9
    WAITING_METERING = 10
    WAITING_MPP = 11
    US_PROCEEDINGS = 12
    TRANSFERRED_ACA = 13
    APPREHENDED_US = 14
    ENTERED_US_IRREGULAR = 15
    GAVE_UP = 16
    IN_CAMP = 17  # the flee model: in a camp (they may still leave it)

    @property
    def label(self) -> str:
        """The state's name as written in output (`in_transit`, …)."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> State:
        """Return the state named by its output label."""
        return cls[text.upper()]


N_STATES = len(State)
STATE_LABELS: tuple[str, ...] = tuple(s.label for s in State)

# States from which the person has left the corridor for good (returned, in the U.S., transferred).
FINAL_STATES = frozenset({
    State.RETURNED_AIR, State.RETURNED_LAND, State.RETURNED_VOLUNTARY, State.US_PROCEEDINGS,
    State.TRANSFERRED_ACA, State.ENTERED_US_IRREGULAR, State.SETTLED_SOUTH, State.REFUGEE_TRANSIT,
    State.ARRIVED, State.GAVE_UP,
})

# State changes the movement model makes itself (not a rule of rules.toml), by the label under
# which transitions record them: `attrition` (giving up, going home on one's own).
ATTRITION = "attrition"
MODEL_CAUSES = (ATTRITION,)
