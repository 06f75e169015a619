"""A generated network for benchmarks: a grid-like corridor of towns leading to destinations."""

from __future__ import annotations

import datetime as dt

import numpy as np

from corridor.scenario.load import finalize
from corridor.scenario.model import DepartureRow, PlaceRow, RouteRow, Scenario, ScenarioConfig


def generated_scenario(agents: int, days: int = 100, width: int = 5, length: int = 20,
                       seed: int = 0, busy: bool = False, reach: int = 1) -> Scenario:
    """Return a corridor of `length` rows of `width` towns, origins at one end, destinations
    at the other, with `agents` people leaving over the first 10 days.

    The default workload is Flee-like (towns: move chance 0.3, no capacity). With `busy`, towns
    have capacities and a move chance of 0.7, so most people are on the move every day (the
    worst case for the movement kernel). `reach` is how many columns to each side a town's
    links reach in the row before it (1: a grid; `width`: every town of a row links to every
    town of the next, a dense network whose rows split into many rows a day).
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
                for dc in range(-reach, reach + 1):
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


def dense_scenario(people: int, width: int = 100, layers: int = 2, days: int = 10,
                   km: float = 10.0, seed: int = 0) -> Scenario:
    """Return a dense network: one origin, `layers` rows of `width` places, each place linked
    to every place of the next row (the last row: destinations), all links about `km` long.

    `people` leave the origin, a tenth a day over the first 10 days. A row of people splits
    over `width` links at every hop, so one row can make up to width**layers rows in a day
    (the worst case for the count representation's buffers).
    """
    rng = np.random.default_rng(seed)
    places = [PlaceRow(id="o", name="O", country="MX", kind="origin", lat=15.0, lon=-92.0)]
    routes = []
    prev = ["o"]
    for r in range(layers):
        kind = "destination" if r == layers - 1 else "town"
        row = [f"d{r}-{c}" for c in range(width)]
        for c, pid in enumerate(row):
            places.append(PlaceRow(id=pid, name=pid.upper(), country="MX", kind=kind,
                                   lat=15 + (r + 1) * 0.1, lon=-92 + c * 0.01))
            for src in prev:
                routes.append(RouteRow.model_validate({
                    "from": src, "to": pid, "distance_km": float(km * rng.uniform(0.8, 1.2)),
                    "two_way": False}))
        prev = row
    start = dt.date(2020, 1, 1)
    deps = [DepartureRow(date=start + dt.timedelta(days=d), origin="o",
                         count=people // 10 + (people % 10 if d == 9 else 0), nationality="HN")
            for d in range(10)]
    cfg = ScenarioConfig(name="dense", start_date=start, days=days, seed=seed,
                         drop_late_departures=days < 10,  # short runs keep the early days
                         parameters={"move_chance": {"town": 0.5, "destination": 0.0}})
    return finalize(Scenario(config=cfg, places=tuple(places), routes=tuple(routes),
                             departures=tuple(deps)))
