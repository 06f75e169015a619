"""The stages of the outcomes Sankey diagram, from `outcomes.parquet`.

This is the one place that says which countries, place kinds and states make which stage.

A person's path through the diagram is built from their outcome row (`countries`, `kinds`,
`state`, `place`), left to right:

1. **Departed** from the country of the person's origin place (`origin`; without it, the first
   country of `countries`).
2. **Entered <country>** for each later country, in scenario order (countries before the
   origin's are where people were returned to, and are left out), up to the country of the
   border cities (`BORDER_KINDS`); countries beyond that border are told by steps 3–4.
3. **Reached the border**, if the person reached a border city or port of entry, or is in a state
   that only happens there (`APPROACH` is not None).
4. **How they met the border**: at a port of entry, between ports, or not (yet) crossed.
5. **Outcome**: a plain-language group of the final state (`OUTCOMES`); for the generic states of
   a Flee-style run (`in_transit`, `arrived`, `waiting`) at a camp or destination, the place's name.

Nodes are keyed by (column, label), so "Returned" after Guatemala and "Returned" after Mexico are
different nodes — the diagram shows where people were turned back.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from corridor.report.data import RunData
from corridor.report.geo import country_name
from corridor.report.style import fmt, kind_colour, state_colour

# Kinds of the places where a corridor meets the final border (the border cities in Mexico).
BORDER_KINDS = frozenset({"border_city", "port_of_entry"})
PORT = "Went to a port of entry"
BETWEEN = "Crossed between ports"
NOT_CROSSED = "Not (yet) crossed"

# Final state -> (how the person met the border, or None if the state says nothing about it;
#                 the outcome label). "asked asylum" states take PORT unless the person never
#                 reached a port of entry (then they asked after crossing between ports). For the
#                 other states, the path decides: a port of entry among the kinds reached means
#                 PORT; a country beyond the border cities without a port means BETWEEN.
OUTCOMES: dict[str, tuple[str | None, str]] = {
    "in_transit": (None, "Still on the move"),
    "waiting": (None, "Held, waiting to move on"),
    "arrived": (None, "Arrived at a destination"),
    "gave_up": (None, "Gave up and stayed"),
    "in_camp": (None, "In a camp"),
    "detained": (None, "Detained"),
    "settled_south": (None, "Stayed to work in the south"),
    "asylum_transit": (None, "Asylum in the transit country"),
    "refugee_transit": (None, "Asylum in the transit country"),
    "returned_air": (None, "Returned to origin"),
    "returned_land": (None, "Returned to origin"),
    "returned_voluntary": (None, "Went back on their own"),
    "waiting_metering": (PORT, "On a port's waiting list"),
    "waiting_mpp": (PORT, "Remain in Mexico (MPP)"),
    "us_proceedings": (PORT, "In U.S. asylum proceedings"),
    "transferred_aca": (PORT, "Sent to a third country (ACA)"),
    "apprehended_us": (BETWEEN, "Apprehended by U.S. Border Patrol"),
    "entered_us_irregular": (BETWEEN, "Entered the U.S. undetected"),
}
APPROACH_COLOURS = {PORT: "#1f77b4", BETWEEN: "#393b79", NOT_CROSSED: "#bdbdbd"}
ASKED_ASYLUM = frozenset({"waiting_mpp", "us_proceedings", "transferred_aca"})
# Generic states whose outcome is better told by the place the person ended at (Flee runs).
GENERIC_STATES = frozenset({"in_transit", "arrived", "waiting"})
END_PLACE_KINDS = frozenset({"camp", "idp_camp", "destination"})
MAX_END_PLACES = 12  # more camps than this are grouped as "Other camps"

DEPARTED = "Departed"


@dataclass(frozen=True)
class Node:
    """One box of the diagram."""

    column: int
    label: str


@dataclass
class SankeyData:
    """Nodes and links of the outcomes diagram, with totals per node.

    Attributes:
        links: (source node, target node) -> people.
        totals: node -> people who passed through it.
        columns: header of each column, left to right.
        departed: people who departed (the first node's total).
        border: people who reached the border, by (how they met it, outcome).
        border_label: the border stage's label ("Reached the U.S. border" or "Reached the border").
        colours: node -> colour (by what the node means, see `node_colour`).
    """

    links: dict[tuple[Node, Node], int] = field(default_factory=dict)
    totals: dict[Node, int] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)
    departed: int = 0
    border: dict[tuple[str, str], int] = field(default_factory=dict)
    border_label: str = ""
    colours: dict[Node, str] = field(default_factory=dict)

    def label(self, node: Node) -> str:
        """Node label with its count, e.g. "Entered Mexico · 2,310"."""
        return f"{node.label} · {fmt(self.totals.get(node, 0))}"


def border_label(run: RunData) -> str:
    """Label of the border stage: the U.S. border when the scenario has U.S. places."""
    if any(p.country == "US" for p in run.places.values()):
        return "Reached the U.S. border"
    return "Reached the border"


def _border_countries(run: RunData) -> set[str]:
    return {p.country for p in run.places.values() if p.kind == "border_city"}


def _end_place_label(run: RunData, place_id: str, kept: set[str]) -> str:
    place = run.places.get(place_id)
    if place is None:
        return "Elsewhere"
    if place_id in kept:
        return place.name
    return "Other camps" if place.kind in ("camp", "idp_camp") else "Other destinations"


def path_of(
    run: RunData,
    state: str,
    place: str,
    countries: list[str],
    kinds: set[str],
    kept: set[str],
    origin: str = "",
) -> list[str]:
    """Return the labels of one outcome row's path, one per column (see the module docstring).

    `origin` is the place people departed from (`outcomes.parquet`'s origin column). Countries
    before the origin's country in the scenario's order are where people were sent back to,
    not countries they departed from or entered on the way north: they are left out of the path
    (the outcome says they were returned). Without an origin (older run folders), the first
    country of the path stands for it.
    """
    border_countries = _border_countries(run)
    approach, outcome = OUTCOMES.get(state, (None, state.replace("_", " ").capitalize()))
    at_border = bool(kinds & BORDER_KINDS) or approach is not None
    last_border = max((i for i, c in enumerate(countries) if c in border_countries), default=None)
    beyond = countries[last_border + 1 :] if at_border and last_border is not None else []
    if state in ASKED_ASYLUM and "port_of_entry" not in kinds:
        approach = BETWEEN  # asked for asylum after crossing between ports
    elif at_border and approach is None:
        approach = PORT if "port_of_entry" in kinds else BETWEEN if beyond else NOT_CROSSED
    start = run.places.get(origin)
    if start is not None and start.country in countries:
        countries = countries[countries.index(start.country) :]
    elif start is not None:
        countries = [start.country, *countries]
    home = countries[0] if countries else ""
    path = [f"{DEPARTED} ({country_name(home)})" if home else DEPARTED]
    for code in countries[1:]:
        path.append(f"Entered {country_name(code)}")
        if at_border and code in border_countries:
            break  # what happens beyond the border is told by the approach and outcome
    if at_border:
        path += [border_label(run), approach]
    end = run.places.get(place.split(">", 1)[0])
    if state in GENERIC_STATES and end is not None:
        if end.kind in END_PLACE_KINDS:
            outcome = _end_place_label(run, end.id, kept)
        elif approach == NOT_CROSSED and end.country in border_countries:
            outcome = (
                "Still in a border city" if state == "in_transit" else f"{outcome} at the border"
            )
        else:
            outcome = f"{outcome} in {country_name(end.country)}"
    path.append(outcome)
    return path


def _step_colour(label: str) -> str:
    if label.startswith(DEPARTED):
        return kind_colour("origin")
    if label.startswith("Entered"):
        return "#6b8fb3"
    return APPROACH_COLOURS.get(label, kind_colour("border_city"))


def _outcome_colour(run: RunData, state: str, place_id: str) -> str:
    place = run.places.get(place_id)
    if state in GENERIC_STATES and place and place.kind in END_PLACE_KINDS:
        return kind_colour(place.kind)
    return state_colour(state)


def _kept_end_places(run: RunData, rows: list[dict]) -> set[str]:
    """The end places (camps, destinations) big enough to get their own box."""
    by_place: dict[str, int] = defaultdict(int)
    for row in rows:
        place = run.places.get(row["place"])
        if row["state"] in GENERIC_STATES and place and place.kind in END_PLACE_KINDS:
            by_place[row["place"]] += int(row["count"])
    ranked = sorted(by_place, key=by_place.__getitem__, reverse=True)
    return set(ranked[:MAX_END_PLACES])


def build(run: RunData) -> SankeyData:
    """Aggregate a run's outcome rows into Sankey nodes and links."""
    columns = ["state", "place", "countries", "kinds", "count"]
    if "origin" in run.outcomes.column_names:
        columns.append("origin")
    rows = run.outcomes.select(columns).to_pylist()
    kept = _kept_end_places(run, rows)
    data = SankeyData(border_label=border_label(run))
    n_columns = 0
    for row in rows:
        count = int(row["count"])
        if count <= 0:
            continue
        countries = [c.strip().upper() for c in (row["countries"] or "").split(",") if c.strip()]
        countries = list(dict.fromkeys(countries))
        kinds = {k.strip() for k in (row["kinds"] or "").split(",") if k.strip()}
        labels = path_of(
            run, row["state"], row["place"], countries, kinds, kept, row.get("origin") or ""
        )
        nodes = [Node(i, label) for i, label in enumerate(labels)]
        n_columns = max(n_columns, len(nodes))
        for node in nodes:
            data.totals[node] = data.totals.get(node, 0) + count
        if nodes[-1] not in data.colours:
            data.colours[nodes[-1]] = _outcome_colour(run, row["state"], row["place"])
        for node in nodes[:-1]:
            data.colours.setdefault(node, _step_colour(node.label))
        for a, b in zip(nodes, nodes[1:], strict=False):
            data.links[(a, b)] = data.links.get((a, b), 0) + count
        data.departed += count
        if data.border_label in labels:
            key = (labels[labels.index(data.border_label) + 1], labels[-1])
            data.border[key] = data.border.get(key, 0) + count
    data.columns = [f"step {i + 1}" for i in range(n_columns)]
    return data
