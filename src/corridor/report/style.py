"""Colours, labels and number formats shared by the interactive and the PNG figures."""

from __future__ import annotations

import math

# Fonts the reader's system already has: the report loads no web font.
FONT_STACK = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'

# Place kinds (docs/scenario-format.md), grouped by meaning: origins warm, borders red/orange,
# holding places purple, ends green/blue, everything else grey.
KIND_COLOURS: dict[str, str] = {
    "origin": "#d62728",
    "conflict_zone": "#8c1c13",
    "town": "#7f7f7f",
    "marker": "#bcbcbc",
    "forwarding_hub": "#9e9e9e",
    "border_crossing": "#ff7f0e",
    "checkpoint": "#e377c2",
    "shelter": "#17becf",
    "migration_station": "#9467bd",
    "camp": "#2ca02c",
    "idp_camp": "#98df8a",
    "border_city": "#8c564b",
    "port_of_entry": "#1f77b4",
    "destination": "#393b79",
}
KIND_LABELS: dict[str, str] = {
    "origin": "origin",
    "conflict_zone": "conflict zone",
    "town": "town",
    "marker": "marker",
    "forwarding_hub": "forwarding hub",
    "border_crossing": "border crossing",
    "checkpoint": "checkpoint",
    "shelter": "shelter",
    "migration_station": "migration station",
    "camp": "camp",
    "idp_camp": "IDP camp",
    "border_city": "border city",
    "port_of_entry": "port of entry",
    "destination": "destination",
}

# States (docs/design/outputs.md) with a plain-language label and a colour by family:
# moving grey/blue, held purple, returned red, stayed in the transit country green,
# at the U.S. border brown/orange, inside the U.S. blue.
STATE_LABELS: dict[str, str] = {
    "in_transit": "on the move",
    "waiting": "held, waiting to move on",
    "arrived": "arrived at a destination",
    "detained": "detained",
    "settled_south": "stayed to work in the south",
    "asylum_transit": "asylum applicant in the transit country",
    "refugee_transit": "refugee in the transit country",
    "returned_air": "returned by plane",
    "returned_land": "returned by bus",
    "returned_voluntary": "went back on their own",
    "waiting_metering": "on a port's waiting list",
    "waiting_mpp": "sent back to wait (Remain in Mexico)",
    "us_proceedings": "in U.S. asylum proceedings",
    "transferred_aca": "transferred to a third country (ACA)",
    "apprehended_us": "apprehended between ports",
    "entered_us_irregular": "crossed between ports undetected",
    "gave_up": "gave up and stayed",
    "in_camp": "in a camp",
}
STATE_COLOURS: dict[str, str] = {
    "in_transit": "#7f7f7f",
    "waiting": "#c7c7c7",
    "arrived": "#17becf",
    "detained": "#9467bd",
    "settled_south": "#2ca02c",
    "asylum_transit": "#98df8a",
    "refugee_transit": "#1b7837",
    "returned_air": "#d62728",
    "returned_land": "#ff9896",
    "returned_voluntary": "#e377c2",
    "waiting_metering": "#ff7f0e",
    "waiting_mpp": "#8c564b",
    "us_proceedings": "#1f77b4",
    "transferred_aca": "#bcbd22",
    "apprehended_us": "#393b79",
    "entered_us_irregular": "#6baed6",
    "gave_up": "#525252",
    "in_camp": "#2ca02c",
}
EXTRA_COLOURS = ("#637939", "#e7969c", "#7b4173", "#a55194", "#ce6dbd", "#843c39", "#d6616b")

RUN_DASHES = ("solid", "dash")  # plotly dash styles for run A and run B in compare mode
RUN_MPL_DASHES = ("-", "--")


def kind_colour(kind: str) -> str:
    """Colour of a place kind (grey for a kind the report does not know)."""
    return KIND_COLOURS.get(kind, "#7f7f7f")


def state_colour(state: str) -> str:
    """Colour of a state; unknown states get a stable colour from a spare palette."""
    if state in STATE_COLOURS:
        return STATE_COLOURS[state]
    return EXTRA_COLOURS[sum(map(ord, state)) % len(EXTRA_COLOURS)]


def state_label(state: str) -> str:
    """Plain-language label of a state."""
    return STATE_LABELS.get(state, state.replace("_", " "))


def fmt(n: float) -> str:
    """Format a count for people: thousands separators, no decimals."""
    return f"{round(n):,}"


def fmt_value(n: float | None) -> str:
    """Format a measured value: counts as `fmt`, small values (errors, shares) to 3 digits.

    A mean error of 0.213 is "0.213", not "0"; 12,345.6 people are "12,346".
    """
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return "–"
    if math.isinf(n):
        return "∞"
    if abs(n) >= 100 or float(n).is_integer():
        return fmt(n)
    return f"{n:.3g}"


def pct(part: float, whole: float) -> str:
    """Format a share of a whole as a percentage ("–" when the whole is zero)."""
    if whole <= 0:
        return "–"
    share = 100.0 * part / whole
    return f"{share:.0f}%" if share >= 1 or share == 0 else "<1%"
