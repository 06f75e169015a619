"""Invariants of the data files of the built-in scenario caravan-2020.

Read with the csv module only, so that a broken file is caught here even when the loader or
the engine changes. Reported distances and ranges are those of facts.md (keys in comments).
"""

from __future__ import annotations

import csv
import heapq
import math
import re
import tomllib
import unicodedata
from collections import Counter, deque
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parents[1] / "src" / "corridor" / "scenarios" / "caravan-2020"
ORIGIN = "san-pedro-sula"

# The corridor from Honduras to the U.S. border, with a margin (lat, lon).
LAT_RANGE = (13.0, 35.0)
LON_RANGE = (-118.0, -86.0)

BORDER_PORTS = {
    "tijuana": "san-ysidro",
    "mexicali": "calexico",
    "ciudad-juarez": "el-paso",
    "nuevo-laredo": "laredo",
    "matamoros": "brownsville",
    "piedras-negras": "eagle-pass",
    "nogales-sonora": "nogales-arizona",
}

# Road distances reported in facts.md §1: (from, to, low km, high km, source).
REPORTED = [
    ("san-pedro-sula", "agua-caliente", 300, 300, "R6"),
    ("agua-caliente", "tecun-uman", 537, 537, "R4"),
    ("san-pedro-sula", "tecun-uman", 650, 650, "R13"),
    ("guatemala-city", "tecun-uman", 300, 300, "R3"),
    ("guatemala-city", "el-ceibo", 600, 600, "R3"),
    ("guatemala-city", "esquipulas", 222, 222, "G9"),
    ("el-naranjo", "el-ceibo", 22, 22, "G8"),
    ("el-ceibo", "tenosique", 60, 64, "G7"),
    ("ciudad-hidalgo", "tapachula", 38, 43, "G11"),
    ("tapachula", "arriaga", 247, 247, "G10"),
    ("tapachula", "mexico-city", 900, 900, "G17"),
    ("mexico-city", "tijuana", 2800, 2800, "G5"),
    ("guanajuato", "nuevo-laredo", 1132, 1132, "G4"),
    ("guanajuato", "ciudad-juarez", 1719, 1719, "G4"),
    ("guanajuato", "tijuana", 2664, 2664, "G4"),
]
# G17's ~900 km is about the great-circle distance (886 km); the road through Arriaga,
# Juchitán, Oaxaca and Puebla is ~1,150 km. Documented in the scenario README.
TOLERANCE = {("tapachula", "mexico-city"): 0.30}
DEFAULT_TOLERANCE = 0.25

COUNTRY_NAMES = {"Honduras": "HN", "Guatemala": "GT", "Mexico": "MX", "United States": "US"}


def aggregates() -> set[str]:
    """Observation places defined as aggregates in scenario.toml (README)."""
    config = tomllib.loads((FOLDER / "scenario.toml").read_text(encoding="utf-8"))
    return set(config.get("aggregates", {}))


def read(name: str) -> list[dict[str, str]]:
    with (FOLDER / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def fold(text: str) -> str:
    """Lower-case text without accents, for matching names written with or without them."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
                   ).casefold()


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


@pytest.fixture(scope="module")
def places() -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in read("places.csv")}


@pytest.fixture(scope="module")
def routes() -> list[dict[str, str]]:
    return read("routes.csv")


def adjacency(routes: list[dict[str, str]]) -> dict[str, list[tuple[str, float]]]:
    out: dict[str, list[tuple[str, float]]] = {}
    for r in routes:
        km = float(r["distance_km"])
        out.setdefault(r["from"], []).append((r["to"], km))
        if r["two_way"] == "true":
            out.setdefault(r["to"], []).append((r["from"], km))
    return out


def reachable(start: str, out: dict[str, list[tuple[str, float]]]) -> set[str]:
    seen, queue = {start}, deque([start])
    while queue:
        for nxt, _ in out.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def shortest_km(a: str, b: str, out: dict[str, list[tuple[str, float]]]) -> float:
    best, heap = {a: 0.0}, [(0.0, a)]
    while heap:
        d, u = heapq.heappop(heap)
        if u == b:
            return d
        if d > best[u]:
            continue
        for v, w in out.get(u, ()):
            if d + w < best.get(v, math.inf):
                best[v] = d + w
                heapq.heappush(heap, (d + w, v))
    return math.inf


def test_place_ids_and_names_are_unique_slugs():
    """Ids and names are unique; ids are slugs other files can name."""
    rows = read("places.csv")
    ids = Counter(r["id"] for r in rows)
    names = Counter(r["name"] for r in rows)
    assert [i for i, n in ids.items() if n > 1] == []
    assert [i for i, n in names.items() if n > 1] == []
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9\-_.]*", i) for i in ids)


def test_every_place_has_a_region_except_abstract_ones_and_sources(places):
    """Every real place names its first-level region; every place says where it comes from."""
    for pid, p in places.items():
        assert p["sources"].strip(), pid
        if "abstract" not in p["sources"]:
            assert p["region"].strip(), pid


def test_crossing_places_take_the_country_of_the_side_entered(places):
    """HN→GT crossings are in GT, GT→MX crossings in MX, crossings into the U.S. in the US."""
    crossings = {pid: p["country"] for pid, p in places.items() if p["kind"] == "border_crossing"}
    for pid in ("corinto", "agua-caliente", "el-florido"):
        assert crossings[pid] == "GT"
    for pid in ("rodolfo-robles-bridge", "suchiate-river-crossing", "el-ceibo"):
        assert crossings[pid] == "MX"
    assert {c for pid, c in crossings.items() if pid.startswith("between-ports-")} == {"US"}


def test_coordinates_lie_in_the_corridor(places):
    for pid, p in places.items():
        lat, lon = float(p["lat"]), float(p["lon"])
        assert LAT_RANGE[0] <= lat <= LAT_RANGE[1], pid
        assert LON_RANGE[0] <= lon <= LON_RANGE[1], pid


def test_route_endpoints_exist_and_routes_are_not_repeated(places, routes):
    seen = set()
    for r in routes:
        assert r["from"] in places, r
        assert r["to"] in places, r
        assert r["from"] != r["to"], r
        ends = (r["from"], r["to"])
        key = tuple(sorted(ends)) if r["two_way"] == "true" else ends
        assert key not in seen, r
        seen.add(key)
        assert r["two_way"] in ("true", "false"), r
        assert r["sources"].strip(), r


def test_every_place_is_reachable_from_the_origin(places, routes):
    assert reachable(ORIGIN, adjacency(routes)) == set(places)


def test_every_border_city_connects_to_its_port_and_every_port_leads_into_the_us(places, routes):
    """Each of the 7 cities has a direct route to its U.S. port; from each port the U.S. interior
    is reachable, and from the interior nobody walks back."""
    pairs = {(r["from"], r["to"]) for r in routes} | {
        (r["to"], r["from"]) for r in routes if r["two_way"] == "true"}
    assert {p for p, row in places.items() if row["kind"] == "border_city"} == set(BORDER_PORTS)
    assert {p for p, row in places.items() if row["kind"] == "port_of_entry"} == set(
        BORDER_PORTS.values())
    out = adjacency(routes)
    for city, port in BORDER_PORTS.items():
        assert (city, port) in pairs and (port, city) in pairs, city
        assert places[port]["country"] == "US"
        assert "us-interior" in reachable(port, out), port
    assert reachable("us-interior", out) == {"us-interior"}


def test_return_hubs_are_dead_ends_that_free_movement_cannot_use(places, routes):
    """Stations and airports lead only to return hubs, and no route leaves a hub: free
    travellers cannot fly home; returns are rules."""
    out = adjacency(routes)
    hubs = {p for p, row in places.items() if row["kind"] == "forwarding_hub"}
    assert hubs == {"tuxtla-airport", "villahermosa-airport", "toluca-airport"}
    for hub in hubs:
        assert out.get(hub, []) == [], hub
    assert not any(r["mode"] == "air" for r in routes)


def test_route_distances_agree_with_great_circle_distances(places, routes):
    """No road is shorter than the straight line or absurdly longer; gc×1.3 rows match it."""

    def gc(a: str, b: str) -> float:
        pa, pb = places[a], places[b]
        return great_circle_km(float(pa["lat"]), float(pa["lon"]), float(pb["lat"]),
                               float(pb["lon"]))

    for r in routes:
        km = float(r["distance_km"])
        assert km > 0, r
        if "symbolic" in r["sources"]:
            continue
        straight = gc(r["from"], r["to"])
        assert km >= straight - 0.5, r
        assert km <= 2.5 * straight + 1.0, r
        if "gc×1.3" in r["sources"] and "via" not in r["sources"]:
            assert km == pytest.approx(1.3 * straight, rel=DEFAULT_TOLERANCE, abs=0.2), r


@pytest.mark.parametrize(("a", "b", "low", "high", "source"), REPORTED)
def test_network_distance_matches_reported_road_distance(routes, a, b, low, high, source):
    """The shortest path between two places is within 25 % of the reported road distance."""
    tolerance = TOLERANCE.get((a, b), DEFAULT_TOLERANCE)
    km = shortest_km(a, b, adjacency(routes))
    assert low * (1 - tolerance) <= km <= high * (1 + tolerance), (source, km)


def test_departures_match_the_reported_entries(places):
    """The caravan: 3,500–4,000 entered Guatemala 15–17 Jan (R3, R6); all leave 14–17 Jan from
    Honduras. Every other row is a background flow (README, "Background flows")."""
    every = read("departures.csv")
    assert {r["cohort"] for r in every} == {"caravan", "background"}
    rows = [r for r in every if r["cohort"] == "caravan"]
    total = sum(int(r["count"]) for r in rows)
    assert 3500 <= total <= 4000
    for r in rows:
        assert "2020-01-14" <= r["date"] <= "2020-01-17", r
        assert places[r["origin"]]["country"] == "HN", r
        assert int(r["count"]) > 0, r
        assert r["nationality"] == "HN", r
        assert r["sources"].strip(), r
    main = [r for r in rows if r["date"] == "2020-01-15" and r["origin"] == ORIGIN]
    assert sum(int(r["count"]) for r in main) == 1000  # R1: close to 1,000 at the terminal
    assert any(r["date"] == "2020-01-14" for r in rows)  # R10, R29: first groups the night before


def test_background_rows_are_those_build_background_writes():
    """Background rows are generated (build_background.py), not edited by hand: they match the
    script's streams, and none leaves from Honduras or after January."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_background",
                                                  FOLDER / "build_background.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = [r for r in read("departures.csv") if r["cohort"] == "background"]
    assert rows == module.background_rows()
    for r in rows:
        assert "2019-11-21" <= r["date"] <= "2020-01-31", r
        assert r["stream"] in ("through", "asylum", "north"), r
        assert read_places()[r["origin"]]["country"] in ("GT", "MX"), r
        assert r["sources"].strip(), r


def read_places() -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in read("places.csv")}


def test_observations_are_the_shared_file(shared_dir):
    """The shared file's rows, unchanged in its columns, then the transit times of facts.md; the
    columns `cohort` and `fitted` are added (README, "Observations and what they map to")."""
    with (shared_dir / "corridor" / "observations-2020-01.csv").open(encoding="utf-8") as f:
        theirs = list(csv.DictReader(f))
    mine = read("observations.csv")
    kept = [k for k in theirs[0] if k != "note"]  # notes say which input a fitted row sized
    assert [{k: r[k] for k in kept} for r in mine[:len(theirs)]] == [
        {k: r[k] for k in kept} for r in theirs]
    assert all(r["note"].startswith(t["note"]) for r, t in zip(mine, theirs, strict=False))
    assert {r["kind"] for r in mine[len(theirs):]} <= {"first_arrival_days", "median_arrival_days"}


def test_every_observation_names_a_place_region_country_or_aggregate(places):
    names = {fold(p["name"]) for p in places.values()} | {fold(p) for p in places}
    regions = {fold(p["region"]) for p in places.values() if p["region"]}
    countries = {p["country"] for p in places.values()}
    for obs in read("observations.csv"):
        place = obs["place"]
        assert (fold(place) in names or fold(place) in regions or place in countries
                or COUNTRY_NAMES.get(place) in countries or place in aggregates()), place
        assert obs["period_start"] <= obs["period_end"], obs


def test_scenario_settings_and_a_source_for_every_number():
    """The run covers every observed period (from 21 Nov 2019, the first ACA transfer, P13) to
    12 Apr 2020 and lasts ≥ 60 days; each number has a source or "assumption"."""
    import datetime as dt

    text = (FOLDER / "scenario.toml").read_text(encoding="utf-8")
    config = tomllib.loads(text)
    assert config["name"] == "caravan-2020"
    start = dt.date.fromisoformat(str(config["start_date"]))
    assert start == dt.date(2019, 11, 21)
    assert config["days"] >= 60
    assert start + dt.timedelta(days=config["days"] - 1) == dt.date(2020, 4, 12)
    observed = [dt.date.fromisoformat(o["period_start"]) for o in read("observations.csv")]
    assert min(observed) >= start
    assert config["model"] == "corridor"
    assert 30 <= config["parameters"]["walk_speed_km"] <= 40  # E2, E22
    assert 150 <= config["parameters"]["ride_speed_km"] <= 300  # E2, E22
    for line in text.splitlines():
        value = line.split("#", 1)[0]
        if re.search(r"=\s*-?\d", value):
            comment = line.split("#", 1)[1] if "#" in line else ""
            assert re.search(r"assumption|\b[REGP]\d+\b", comment), line
