"""Country outlines and names shipped with the package (Natural Earth 1:110m, see `assets/`)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

# Shorter or more usual names than Natural Earth's, for labels a reader scans quickly.
NAME_OVERRIDES = {"US": "the U.S.", "CD": "DR Congo", "CF": "Central African Rep."}


@dataclass(frozen=True)
class Country:
    """One country outline.

    Attributes:
        iso_a2: ISO 3166-1 alpha-2 code, or "" when Natural Earth's unit has none.
        name: Natural Earth's short name.
        rings: Polygon rings as lists of (lon, lat); holes are drawn as separate rings.
        bbox: (lon_min, lat_min, lon_max, lat_max).
    """

    iso_a2: str
    name: str
    rings: tuple[tuple[tuple[float, float], ...], ...]
    bbox: tuple[float, float, float, float]


@cache
def countries() -> tuple[Country, ...]:
    """Return every country outline in the shipped asset."""
    text = (
        resources.files("corridor.report")
        .joinpath("assets/countries-110m.geojson")
        .read_text(encoding="utf-8")
    )
    out = []
    for feature in json.loads(text)["features"]:
        props = feature["properties"]
        rings = tuple(
            tuple((float(x), float(y)) for x, y in ring)
            for polygon in feature["geometry"]["coordinates"]
            for ring in polygon
        )
        xs = [x for ring in rings for x, _ in ring]
        ys = [y for ring in rings for _, y in ring]
        out.append(
            Country(
                iso_a2=props.get("iso_a2") or "",
                name=props["name"],
                rings=rings,
                bbox=(min(xs), min(ys), max(xs), max(ys)),
            )
        )
    return tuple(out)


def country_name(iso_a2: str) -> str:
    """Return a readable country name for an ISO alpha-2 code (the code itself if unknown)."""
    code = iso_a2.upper()
    if code in NAME_OVERRIDES:
        return NAME_OVERRIDES[code]
    for country in countries():
        if country.iso_a2 == code:
            return country.name
    return code


def extent(
    lons: list[float], lats: list[float], margin: float = 0.12, min_span: float = 4.0
) -> tuple[float, float, float, float]:
    """Return a map window around points: (lon_min, lat_min, lon_max, lat_max).

    Args:
        lons: Longitudes of the points.
        lats: Latitudes of the points.
        margin: Fraction of the span added on each side.
        min_span: Smallest span in degrees, so that a single town still shows its country.
    """
    lon0, lon1, lat0, lat1 = min(lons), max(lons), min(lats), max(lats)
    pad_lon = max((lon1 - lon0) * margin, (min_span - (lon1 - lon0)) / 2, 0.5)
    pad_lat = max((lat1 - lat0) * margin, (min_span - (lat1 - lat0)) / 2, 0.5)
    return (
        max(lon0 - pad_lon, -180.0),
        max(lat0 - pad_lat, -90.0),
        min(lon1 + pad_lon, 180.0),
        min(lat1 + pad_lat, 90.0),
    )


def aspect(lat_min: float, lat_max: float) -> float:
    """Return the y/x scale ratio that makes a lon/lat plot look right at these latitudes."""
    return 1.0 / max(math.cos(math.radians((lat_min + lat_max) / 2)), 0.2)


def visible(window: tuple[float, float, float, float]) -> list[Country]:
    """Return the countries whose bounding box meets the window."""
    x0, y0, x1, y1 = window
    return [
        c
        for c in countries()
        if c.bbox[0] <= x1 and c.bbox[2] >= x0 and c.bbox[1] <= y1 and c.bbox[3] >= y0
    ]
