"""Where a rule acts: a place, a route, or a border between two countries, as link sets."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from corridor.engine.network import Network


class Where(BaseModel):
    """Where a rule acts: exactly one of `place`, `route`, `border`.

    `place` is a place id; `route` is "FROM>TO" (place ids); `border` is "GT>MX": every link
    from a place in the first country to a place in the second.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    place: str | None = None
    route: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9\-_.]*>[a-z0-9][a-z0-9\-_.]*$")
    border: str | None = Field(None, pattern=r"^[A-Z]{2}>[A-Z]{2}$")

    @model_validator(mode="after")
    def _exactly_one(self) -> Where:
        given = [x for x in (self.place, self.route, self.border) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of place, route or border")
        return self

    def place_ids(self) -> list[str]:
        """Place ids named (for checking against places.csv)."""
        if self.place:
            return [self.place]
        if self.route:
            return self.route.split(">")
        return []

    def describe(self) -> str:
        """Plain words."""
        if self.place:
            return f"at {self.place}"
        if self.route:
            return f"on the route {self.route.replace('>', ' → ')}"
        a, b = self.border.split(">")
        return f"on the {a}→{b} border"

    def entry_links(self, net: Network) -> np.ndarray:
        """Links by which one enters the scope: into the place, the route, or across the border."""
        if self.place:
            return np.flatnonzero(net.link_to == net.index(self.place))
        if self.route:
            a, b = (net.index(x) for x in self.route.split(">"))
            link = net.find_link(a, b)
            return np.array([link] if link >= 0 else [], dtype=np.int64)
        a, b = self.border.split(">")
        if a not in net.countries or b not in net.countries:
            return np.zeros(0, dtype=np.int64)
        ca, cb = net.countries.index(a), net.countries.index(b)
        return np.flatnonzero((net.country[net.link_from] == ca) & (net.country[net.link_to] == cb))
