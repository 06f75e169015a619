"""Paths up to a few hops ahead, enumerated once per network, valued each day."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from corridor.engine.network import Network


@dataclass(frozen=True)
class Paths:
    """Every simple path of 1..H links, as arrays.

    Attributes:
        first: The first link of each path (the choice it stands for).
        end: The place each path ends at.
        km: Total length of each path.
        links: Links of each path, padded with -1 (shape: paths × H).
    """

    first: np.ndarray
    end: np.ndarray
    km: np.ndarray
    links: np.ndarray

    @classmethod
    def enumerate(cls, net: Network, hops: int) -> Paths:
        """Enumerate the simple paths of up to `hops` links from every place."""
        first: list[int] = []
        end: list[int] = []
        km: list[float] = []
        links: list[list[int]] = []

        def extend(start_link: int, place: int, dist: float, visited: list[int],
                   trail: list[int]) -> None:
            first.append(start_link)
            end.append(place)
            km.append(dist)
            links.append(trail + [-1] * (hops - len(trail)))
            if len(trail) == hops:
                return
            for k in range(net.out_ptr[place], net.out_ptr[place + 1]):
                link = int(net.out_links[k])
                nxt = int(net.link_to[link])
                if nxt in visited:
                    continue
                extend(start_link, nxt, dist + float(net.link_km[link]), visited + [nxt],
                       trail + [link])

        for p in range(net.n_places):
            for k in range(net.out_ptr[p], net.out_ptr[p + 1]):
                link = int(net.out_links[k])
                q = int(net.link_to[link])
                extend(link, q, float(net.link_km[link]), [p, q], [link])
        return cls(
            first=np.asarray(first, dtype=np.int32),
            end=np.asarray(end, dtype=np.int32),
            km=np.asarray(km, dtype=np.float64),
            links=np.asarray(links, dtype=np.int32).reshape(len(first), hops),
        )

    def open_mask(self, link_open: np.ndarray) -> np.ndarray:
        """Return which paths use only open links."""
        padded = np.append(link_open, True)  # index -1 → the padding entry, always open
        return padded[self.links].all(axis=1)

    def best_link_weights(self, value: np.ndarray, link_open: np.ndarray, n_links: int,
                          softening: float, power: float) -> np.ndarray:
        """Weight each link by the best path that starts with it.

        A path's value is `value[end] / (softening + km) ** power`; closed paths count zero.
        """
        score = value[self.end] / np.power(softening + self.km, power)
        score = np.where(self.open_mask(link_open), score, 0.0)
        weights = np.zeros(n_links, dtype=np.float64)
        np.maximum.at(weights, self.first, score)
        return weights


def distance_to(net: Network, targets: np.ndarray, link_open: np.ndarray | None = None,
                passable: np.ndarray | None = None,
                link_cost: np.ndarray | None = None) -> np.ndarray:
    """Shortest travel distance (km, along links) from every place to the nearest target place.

    Args:
        net: The network.
        targets: Place indices.
        link_open: bool per link; closed links are not used (default: all open).
        passable: bool per place; a path may not pass through a place that is not passable
            (it may start or end there). Default: all passable.
        link_cost: km each link weighs (default: its length).

    Returns:
        km per place; places that cannot reach any target get `inf`.
    """
    import heapq

    dist = np.full(net.n_places, np.inf)
    incoming: list[list[tuple[int, float]]] = [[] for _ in range(net.n_places)]
    for link in range(net.n_links):
        if link_open is not None and not link_open[link]:
            continue
        km = net.link_km[link] if link_cost is None else link_cost[link]
        incoming[int(net.link_to[link])].append((int(net.link_from[link]), float(km)))
    is_target = np.zeros(net.n_places, dtype=bool)
    is_target[np.asarray(targets, dtype=np.int64)] = True
    heap = [(0.0, int(t)) for t in targets]
    for _, t in heap:
        dist[t] = 0.0
    heapq.heapify(heap)
    while heap:
        d, place = heapq.heappop(heap)
        if d > dist[place]:
            continue
        if passable is not None and not passable[place] and not is_target[place]:
            continue  # reached, but no path runs through it
        for prev, km in incoming[place]:
            nd = d + km
            if nd < dist[prev]:
                dist[prev] = nd
                heapq.heappush(heap, (nd, prev))
    return dist
