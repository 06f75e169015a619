"""Warnings for rules that can never act: a scope that matches nobody, a city nobody reaches.

These are not errors (a scenario may keep a rule for a what-if), so `corridor check` prints
them as warnings, naming the rule and what to change.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from corridor.engine.network import Network
    from corridor.scenario.model import Scenario


def scope_warnings(scenario: Scenario) -> list[str]:
    """Rules whose `who` matches no group of departures (nationality and attributes)."""
    groups = {(d.nationality, tuple(sorted(d.attributes.items()))) for d in scenario.departures}
    if not groups or scenario.config.model != "corridor":
        return []
    out = []
    for rule in scenario.rules:
        who = getattr(rule, "who", None)
        if who is None or (not who.nationality and not who.attributes):
            continue
        matched = any((not who.nationality or nat in who.nationality)
                      and all(dict(attrs).get(k) == v for k, v in who.attributes.items())
                      for nat, attrs in groups)
        if not matched:
            out.append(f"rules.toml: rule {rule.id!r} applies to {who.describe()}, which no "
                       f"row of departures.csv is: it can never act (check the nationality "
                       f"and attribute values against departures.csv)")
    return out


def reach_warnings(scenario: Scenario, net: Network) -> list[str]:
    """Border cities with rules that no traveller can reach without stopping at another first.

    Without destinations (`destination_kinds`), everybody reaching a city with port, crossing
    or Remain-in-Mexico rules stops there: a city whose every road from the origins runs
    through another such city is never reached, and its rules never act.
    """
    params = scenario.parameters
    if scenario.config.model != "corridor" or getattr(params, "destination_kinds", None):
        return []
    cities = {}
    for rule in scenario.rules:
        city = getattr(rule, "city", None)
        if city:
            cities.setdefault(city, []).append(rule.id)
    if not cities:
        return []
    stops = {net.index(c) for c in cities}
    origins = {net.index(d.origin) for d in scenario.departures}
    out = []
    for city, ids in sorted(cities.items()):
        target = net.index(city)
        if not _reachable(net, origins, target, stops - {target}):
            out.append(f"rules.toml: {', '.join(ids)} act at {city!r}, which no route from the "
                       f"departures' origins reaches without first passing another border "
                       f"city where everybody stops; set destination_kinds = "
                       f"[\"border_city\"] (travellers then pass cities they are not heading "
                       f"for) or add a road that reaches it")
    return out


def _reachable(net: Network, origins: set[int], target: int, blocked: set[int]) -> bool:
    seen = np.zeros(net.n_places, dtype=bool)
    queue = deque(o for o in origins if o not in blocked)
    for o in queue:
        seen[o] = True
    while queue:
        p = queue.popleft()
        if p == target:
            return True
        for k in range(net.out_ptr[p], net.out_ptr[p + 1]):
            q = int(net.link_to[net.out_links[k]])
            if not seen[q] and q not in blocked:
                seen[q] = True
                queue.append(q)
    return False
