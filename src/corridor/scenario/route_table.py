"""Derive a scenario's `routes.csv` from its `places.csv` and a table of legs.

The build scripts of the built-in caravans (`scenarios/*/build_routes.py`) hold each network's
legs and the distances reported for them; this module turns such a table into the rows of
`routes.csv`. How a distance is chosen (the `how` of a leg; the `sources` column says which):

* ``"gc"``: great-circle distance times a road factor of 1.3 (facts.md §1: "a fair start").
* ``"symbolic"``: the step from a U.S. port or between-ports crossing to the abstract
  "U.S. interior" destination, which has no real position (1 km).
* ``("reported", km, sources)``: a road distance reported for exactly this leg.
* ``("chain", name)``: a share of a reported distance over a chain of legs (`chains[name]`),
  in proportion to the legs' great-circle distances.
* ``("via", stops, sources)``: a transfer whose road runs through places of the network, summed
  leg by leg (chain shares where a leg is on a chain, else gc × 1.3).

Distances are rounded to 0.1 km.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

EARTH_RADIUS_KM = 6371.0088
ROAD_FACTOR = 1.3
SYMBOLIC_KM = 1.0

Leg = tuple[str, str, str, bool, Any]  # from, to, mode, two-way, how
Chains = dict[str, tuple[float, str, list[tuple[str, str]]]]  # name -> (km, label, legs)

# Mexican border city -> (U.S. port, mode to the port, between-ports place, mode between ports)
BORDER = {
    "tijuana": ("san-ysidro", "road", "between-ports-san-diego", "foot"),
    "mexicali": ("calexico", "road", "between-ports-el-centro", "foot"),
    "nogales-sonora": ("nogales-arizona", "road", "between-ports-tucson", "foot"),
    "ciudad-juarez": ("el-paso", "bridge", "between-ports-el-paso", "river"),
    "piedras-negras": ("eagle-pass", "bridge", "between-ports-del-rio", "river"),
    "nuevo-laredo": ("laredo", "bridge", "between-ports-laredo", "river"),
    "matamoros": ("brownsville", "bridge", "between-ports-rio-grande-valley", "river"),
}


def border_legs(border: dict[str, tuple[str, str, str, str]] = BORDER) -> list[Leg]:
    """Return the legs from each border city to its port and crossing, and on to the U.S."""
    legs: list[Leg] = []
    for city, (port, port_mode, between, between_mode) in border.items():
        legs.append((city, port, port_mode, True, "gc"))
        legs.append((city, between, between_mode, True, "gc"))
        legs.append((port, "us-interior", "road", False, "symbolic"))
        legs.append((between, "us-interior", "foot", False, "symbolic"))
    return legs


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the haversine distance in km between two points given in decimal degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def load_places(path: Path) -> dict[str, tuple[float, float]]:
    """Return place id -> (lat, lon) from a places.csv file."""
    with path.open(newline="", encoding="utf-8") as f:
        return {row["id"]: (float(row["lat"]), float(row["lon"])) for row in csv.DictReader(f)}


def build_rows(places: dict[str, tuple[float, float]], legs: list[Leg],
          chains: Chains) -> list[dict[str, str]]:
    """Return the rows of routes.csv for the given place coordinates and legs."""

    def gc(a: str, b: str) -> float:
        return great_circle_km(*places[a], *places[b])

    rows = []
    for src, dst, mode, two_way, how in legs:
        if how == "gc":
            km, sources = gc(src, dst) * ROAD_FACTOR, "derived: gc×1.3"
        elif how == "symbolic":
            km, sources = SYMBOLIC_KM, "assumption: symbolic step to the abstract U.S. interior"
        elif how[0] == "reported":
            km, sources = how[1], how[2]
        elif how[0] == "chain":
            total, label, chain_legs = chains[how[1]]
            share = gc(src, dst) / sum(gc(a, b) for a, b in chain_legs)
            km, sources = total * share, f"derived: {label} apportioned by gc"
        elif how[0] == "via":
            stops, sources = how[1], how[2]
            km = 0.0
            for a, b in zip(stops, stops[1:], strict=False):
                chain = next((c for c in chains.values() if (a, b) in c[2]), None)
                if chain is not None:
                    km += chain[0] * gc(a, b) / sum(gc(x, y) for x, y in chain[2])
                else:
                    km += gc(a, b) * ROAD_FACTOR
        else:
            raise ValueError(f"unknown distance rule {how!r} for {src} -> {dst}")
        rows.append({"from": src, "to": dst, "distance_km": f"{km:.1f}", "mode": mode,
                     "two_way": "true" if two_way else "false", "sources": sources})
    return rows


def write(folder: Path, legs: list[Leg], chains: Chains) -> Path:
    """Read `folder/places.csv`, write `folder/routes.csv`; return its path."""
    rows = build_rows(load_places(folder / "places.csv"), legs, chains)
    path = folder / "routes.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path
