"""A generated network for benchmarks: a grid-like corridor of towns leading to destinations."""

from __future__ import annotations

import datetime as dt

import numpy as np

from corridor.scenario.load import finalize
from corridor.scenario.model import DepartureRow, PlaceRow, RouteRow, Scenario, ScenarioConfig


def generated_scenario(agents: int, days: int = 100, width: int = 5, length: int = 20,
                       seed: int = 0, busy: bool = False) -> Scenario:
    """Return a corridor of `length` rows of `width` towns, origins at one end, destinations
    at the other, with `agents` people leaving over the first 10 days.

    The default workload is Flee-like (towns: move chance 0.3, no capacity). With `busy`, towns
    have capacities and a move chance of 0.7, so most people are on the move every day (the
    worst case for the movement kernel).
    """
    rng = np.random.default_rng(seed)
    places, routes = [], []

    def pid(r: int, c: int) -> str:
        return f"t{r}-{c}"

    for r in range(length):
        for c in range(width):
            kind = "origin" if r == 0 else "destination" if r == length - 1 else "town"
            places.append(PlaceRow(id=pid(r, c), name=f"T{r}-{c}", country="MX", kind=kind,
                                   lat=15 + r * 0.2, lon=-92 + c * 0.2,
                                   capacity=(int(agents / 20) + 10
                                             if busy and kind == "town" else None)))
            if r > 0:
                for dc in (-1, 0, 1):
                    if 0 <= c + dc < width:
                        routes.append(RouteRow.model_validate({
                            "from": pid(r - 1, c + dc), "to": pid(r, c),
                            "distance_km": float(rng.uniform(20, 120)), "two_way": True}))
    start = dt.date(2020, 1, 1)
    per = agents // (10 * width)
    deps = []
    for d in range(10):
        for c in range(width):
            n = per if (d, c) != (9, width - 1) else agents - per * (10 * width - 1)
            deps.append(DepartureRow(date=start + dt.timedelta(days=d), origin=pid(0, c),
                                     count=n, nationality="HN"))
    cfg = ScenarioConfig(name="generated", start_date=start, days=days, seed=seed,
                         parameters={"move_chance": {"town": 0.7 if busy else 0.3,
                                                     "destination": 0.0},
                                     "attractiveness": {"destination": 5.0}})
    return finalize(Scenario(config=cfg, places=tuple(places), routes=tuple(routes),
                             departures=tuple(deps)))
