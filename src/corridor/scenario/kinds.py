"""Vocabularies of the scenario format: place kinds and route modes."""

from __future__ import annotations

PLACE_KINDS: tuple[str, ...] = (
    "origin",
    "town",
    "border_crossing",
    "checkpoint",
    "shelter",
    "migration_station",
    "camp",
    "idp_camp",
    "port_of_entry",
    "border_city",
    "destination",
    "conflict_zone",
    "marker",
    "forwarding_hub",
)

ROUTE_MODES: tuple[str, ...] = ("road", "foot", "river", "bridge", "rail", "air", "sea")

KIND_INDEX: dict[str, int] = {k: i for i, k in enumerate(PLACE_KINDS)}
