"""The route network as arrays: places, directed links, and outgoing links per place (CSR)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from corridor.scenario.kinds import KIND_INDEX, PLACE_KINDS
from corridor.scenario.model import Scenario


@dataclass(frozen=True)
class Network:
    """Places and directed links of a scenario, indexed by integers.

    Attributes:
        place_ids: Place ids in file order; index = place number.
        names: Display names.
        kind: Place kind index into `PLACE_KINDS` (int8).
        country: Country index into `countries` (int16).
        countries: Country codes in order of first appearance.
        region: Region index into `regions` (int16).
        regions: Region names in order of first appearance ("" for none).
        capacity: Capacity per place (inf = unlimited).
        lat, lon: Coordinates.
        link_from, link_to: Ends of each directed link (int32).
        link_km: Length of each link.
        link_route: Index of the `routes.csv` row each link comes from.
        out_ptr, out_links: Outgoing links of place p are `out_links[out_ptr[p]:out_ptr[p+1]]`.
    """

    place_ids: tuple[str, ...]
    names: tuple[str, ...]
    kind: np.ndarray
    country: np.ndarray
    countries: tuple[str, ...]
    region: np.ndarray
    regions: tuple[str, ...]
    capacity: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    link_from: np.ndarray
    link_to: np.ndarray
    link_km: np.ndarray
    link_route: np.ndarray
    out_ptr: np.ndarray
    out_links: np.ndarray

    @property
    def n_places(self) -> int:
        """Number of places."""
        return len(self.place_ids)

    @property
    def n_links(self) -> int:
        """Number of directed links."""
        return len(self.link_from)

    @property
    def n_positions(self) -> int:
        """Places plus links: every position a person can be in."""
        return self.n_places + self.n_links

    def index(self, place_id: str) -> int:
        """Return the index of a place id."""
        return self._index[place_id]

    def link_label(self, link: int) -> str:
        """Return `FROM>TO` for a link."""
        return f"{self.place_ids[self.link_from[link]]}>{self.place_ids[self.link_to[link]]}"

    def position_labels(self) -> list[str]:
        """Return labels of all positions: place ids, then `FROM>TO` for links."""
        return list(self.place_ids) + [self.link_label(i) for i in range(self.n_links)]

    def find_link(self, a: int, b: int) -> int:
        """Return the link from place a to place b, or -1."""
        for k in range(self.out_ptr[a], self.out_ptr[a + 1]):
            link = self.out_links[k]
            if self.link_to[link] == b:
                return int(link)
        return -1

    def kind_name(self, place: int) -> str:
        """Return the kind of a place as text."""
        return PLACE_KINDS[self.kind[place]]

    @property
    def _index(self) -> dict[str, int]:
        cache = self.__dict__.get("_index_cache")
        if cache is None:
            cache = {pid: i for i, pid in enumerate(self.place_ids)}
            object.__setattr__(self, "_index_cache", cache)
        return cache

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Network:
        """Build the network of a validated scenario."""
        places = scenario.places
        ids = tuple(p.id for p in places)
        index = {pid: i for i, pid in enumerate(ids)}
        countries: list[str] = []
        regions: list[str] = []
        for p in places:
            if p.country not in countries:
                countries.append(p.country)
            if p.region not in regions:
                regions.append(p.region)
        src, dst, km, route = [], [], [], []
        for r, row in enumerate(scenario.routes):
            a, b = index[row.from_], index[row.to]
            src.append(a)
            dst.append(b)
            km.append(row.distance_km)
            route.append(r)
            if row.two_way:
                src.append(b)
                dst.append(a)
                km.append(row.distance_km)
                route.append(r)
        link_from = np.asarray(src, dtype=np.int32)
        order = np.argsort(link_from, kind="stable")
        out_ptr = np.zeros(len(ids) + 1, dtype=np.int64)
        np.add.at(out_ptr, link_from + 1, 1)
        out_ptr = np.cumsum(out_ptr)
        return cls(
            place_ids=ids,
            names=tuple(p.name for p in places),
            kind=np.array([KIND_INDEX[p.kind] for p in places], dtype=np.int8),
            country=np.array([countries.index(p.country) for p in places], dtype=np.int16),
            countries=tuple(countries),
            region=np.array([regions.index(p.region) for p in places], dtype=np.int16),
            regions=tuple(regions),
            capacity=np.array([np.inf if p.capacity is None else p.capacity for p in places],
                              dtype=np.float64),
            lat=np.array([p.lat for p in places]),
            lon=np.array([p.lon for p in places]),
            link_from=link_from,
            link_to=np.asarray(dst, dtype=np.int32),
            link_km=np.asarray(km, dtype=np.float64),
            link_route=np.asarray(route, dtype=np.int32),
            out_ptr=out_ptr,
            out_links=order.astype(np.int32),
        )
