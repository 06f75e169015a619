"""Invariants of the data of the three built-in caravans (caravan-2020, -2018-10, -2021-01).

Read with csv and tomllib only, so that these run without the model and a broken file is caught
even while the loader and the engine change. The last test loads the two new scenarios with
today's loader once the columns and observation kinds it does not know yet are taken out.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import tomllib
import unicodedata
from collections import deque
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "src" / "corridor" / "scenarios"
CARAVANS = ["caravan-2020", "caravan-2018-10", "caravan-2021-01"]
NEW = ["caravan-2018-10", "caravan-2021-01"]
ORIGIN = "san-pedro-sula"
# Observation kinds and columns added for issue #11 (README.md of each scenario, "Observations").
NEW_KINDS = {"arrived", "first_arrival_days", "median_arrival_days"}
TRANSIT_KINDS = {"first_arrival_days", "median_arrival_days"}
NEW_COLUMNS = ("cohort", "fitted")
COUNTRY_NAMES = {"Honduras": "HN", "Guatemala": "GT", "Mexico": "MX", "United States": "US"}
SOURCED = re.compile(r"assumption|derived|\b[A-Z]{1,2}\d+\b")
# The caravans' main departure days: the period_start of every transit-time observation.
MAIN_DEPARTURE = {"caravan-2020": "2020-01-15", "caravan-2018-10": "2018-10-13",
                  "caravan-2021-01": "2021-01-15"}
# Rule kinds that did not exist in a period, with the first day they could be in force.
NOT_BEFORE = {"mpp": dt.date(2019, 1, 29),  # P10: MPP from 29 Jan 2019
              "aca": dt.date(2019, 11, 21)}  # P13: first ACA transfer
ACA_PAUSED = dt.date(2020, 3, 16)  # P16, P17: transfers paused; J30: all suspended 6 Feb 2021
MPP_SUSPENDED = dt.date(2021, 1, 21)  # J27: new enrolments suspended 21 Jan 2021
NATIONAL_GUARD = dt.date(2019, 6, 12)  # P20


def read(name: str, file: str) -> list[dict[str, str]]:
    with (ROOT / name / file).open(newline="", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if not r[next(iter(r))].startswith("#")]


def config(name: str) -> dict:
    return tomllib.loads((ROOT / name / "scenario.toml").read_text(encoding="utf-8"))


def rules(name: str) -> list[dict]:
    """The rules, with their dates (quoted in rules.toml) as dates."""
    out = tomllib.loads((ROOT / name / "rules.toml").read_text(encoding="utf-8"))["rule"]
    for rule in out:
        for key in ("start", "end", "signed"):
            if key in rule:
                rule[key] = dt.date.fromisoformat(str(rule[key]))
    return out


def run_days(name: str) -> tuple[dt.date, dt.date]:
    c = config(name)
    start = dt.date.fromisoformat(str(c["start_date"]))
    return start, start + dt.timedelta(days=c["days"] - 1)


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c)).casefold()


def adjacency(name: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in read(name, "routes.csv"):
        out.setdefault(r["from"], set()).add(r["to"])
        if r["two_way"] == "true":
            out.setdefault(r["to"], set()).add(r["from"])
    return out


def reachable(start: str, out: dict[str, set[str]], avoid: frozenset[str] = frozenset()
              ) -> set[str]:
    seen, queue = {start}, deque([start])
    while queue:
        for nxt in out.get(queue.popleft(), ()):
            if nxt not in seen and nxt not in avoid:
                seen.add(nxt)
                queue.append(nxt)
    return seen


@pytest.mark.parametrize("name", CARAVANS)
def test_every_row_says_where_it_comes_from(name):
    """Places, routes, departures and observations each name a source or an assumption."""
    for file, column in (("places.csv", "sources"), ("routes.csv", "sources"),
                         ("departures.csv", "sources"), ("observations.csv", "source")):
        for number, row in enumerate(read(name, file), start=2):
            assert row[column].strip(), (file, number)
            if file != "observations.csv":
                assert SOURCED.search(row[column]) or "general geography" in row[column], (
                    file, number, row[column])


@pytest.mark.parametrize("name", NEW)
def test_every_number_in_the_toml_files_has_a_source_or_an_assumption(name):
    """Each line of scenario.toml and rules.toml that sets a number says where it comes from."""
    for file in ("scenario.toml", "rules.toml"):
        for line in (ROOT / name / file).read_text(encoding="utf-8").splitlines():
            value = line.split("#", 1)[0]
            if re.search(r"=\s*-?\d|=\s*\"\d{4}-\d\d-\d\d\"|=\s*\{\s*min", value):
                comment = line.split("#", 1)[1] if "#" in line else ""
                assert SOURCED.search(comment), (file, line)


@pytest.mark.parametrize("name", NEW)
def test_every_source_key_is_listed_in_the_readme(name):
    """Keys cited in the files (O12, J8, P6, …) appear in the README's source list."""
    readme = (ROOT / name / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"\b([A-Z]{1,2}\d+)\b", readme.split("## Sources", 1)[1]))
    cited: set[str] = set()
    for file in ("places.csv", "routes.csv", "departures.csv", "observations.csv",
                 "scenario.toml", "rules.toml"):
        text = (ROOT / name / file).read_text(encoding="utf-8")
        cited |= set(re.findall(r"\b([ROJPGE]\d+)\b", text))
    assert cited - listed == set()


@pytest.mark.parametrize("name", CARAVANS)
def test_observations_are_positive_ranged_dated_inside_the_run_and_marked(name):
    """Counts > 0 (transit days ≥ 0), low ≤ value ≤ high, the period inside the run, and the
    cohort and fitted columns filled as README.md says."""
    first, last = run_days(name)
    rows = read(name, "observations.csv")
    assert rows
    for number, r in enumerate(rows, start=2):
        value, low, high = float(r["value"]), float(r["low"]), float(r["high"])
        assert low <= value <= high, number
        if r["kind"] in TRANSIT_KINDS:
            assert value >= 0, number
            assert r["period_start"] == MAIN_DEPARTURE[name], number
            assert r["cohort"] == "caravan", number
        else:
            assert low > 0, number
        start = dt.date.fromisoformat(r["period_start"])
        end = dt.date.fromisoformat(r["period_end"])
        assert first <= start <= end <= last, number
        assert r["cohort"] in ("caravan", ""), number
        assert r["fitted"] in ("true", "false"), number
        if r["fitted"] == "true":
            assert re.search(r"\bsiz(e|es|ed)\b", r["note"]), (number, "say which input")


@pytest.mark.parametrize("name", NEW)
def test_transit_times_are_there_and_ordered_along_the_road(name):
    """Transit-time observations exist, and median arrival days grow with distance from the
    origin (a caravan reaches Tapachula after Tecún Umán)."""
    rows = [r for r in read(name, "observations.csv") if r["kind"] == "median_arrival_days"]
    assert len(rows) >= 2
    places = {fold(p["name"]): p["id"] for p in read(name, "places.csv")}
    order = [places[fold(r["place"])] for r in sorted(rows, key=lambda r: float(r["value"]))]
    out = adjacency(name)
    for a, b in zip(order, order[1:], strict=False):  # b is reached from a without going back home
        assert b in reachable(a, out, frozenset({ORIGIN})), (a, b)


@pytest.mark.parametrize("name", CARAVANS)
def test_every_observation_names_a_place_region_country_or_aggregate(name):
    places = read(name, "places.csv")
    names = {fold(p["name"]) for p in places} | {p["id"] for p in places}
    regions = {fold(p["region"]) for p in places if p["region"]}
    countries = {p["country"] for p in places}
    aggregates = set(config(name).get("aggregates", {}))
    for r in read(name, "observations.csv"):
        place = r["place"]
        assert (fold(place) in names or fold(place) in regions or place in countries
                or COUNTRY_NAMES.get(place) in countries or place in aggregates), place


@pytest.mark.parametrize("name", NEW)
def test_places_routes_departures_and_rules_name_places_that_exist(name):
    ids = {p["id"] for p in read(name, "places.csv")}
    assert len(ids) == len(read(name, "places.csv"))
    for r in read(name, "routes.csv"):
        assert r["from"] in ids and r["to"] in ids, r
        assert float(r["distance_km"]) > 0, r
        assert r["mode"] in ("road", "foot", "river", "bridge", "rail"), r
    for r in read(name, "departures.csv"):
        assert r["origin"] in ids, r
    named: list[str] = []
    for rule in rules(name):
        where = rule.get("where", {})
        named += [where.get("place")] if "place" in where else []
        named += where.get("route", "").split(">") if "route" in where else []
        for key in ("place", "detain_at", "return_to", "to", "settle_at", "city", "port",
                    "us_place", "home", "crossing", "transfer_to"):
            if key in rule:
                named.append(rule[key])
        named += rule.get("from_places", []) + rule.get("places", [])
    assert set(named) - ids == set()


@pytest.mark.parametrize("name", NEW)
def test_routes_are_those_build_routes_writes(name):
    """routes.csv is generated from places.csv by caravan-2018-10's build_routes.py (one
    script for both networks)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_routes_2018",
                                                  ROOT / "caravan-2018-10" / "build_routes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built = module.build(module.load_places(ROOT / name / "places.csv"))
    assert read(name, "routes.csv") == built


@pytest.mark.parametrize("name", CARAVANS)
def test_every_us_port_is_reached_from_san_pedro_sula(name):
    out = adjacency(name)
    places = read(name, "places.csv")
    ports = {p["id"] for p in places if p["kind"] == "port_of_entry"}
    assert len(ports) == 7
    assert ports <= reachable(ORIGIN, out)
    assert {p["id"] for p in places} <= reachable(ORIGIN, out)


@pytest.mark.parametrize("name", NEW)
def test_tijuana_is_reached_without_entering_mexicali(name):
    """A road from Sonora to Tijuana that does not go into Mexicali (Highway 2 past its southern
    edge and up La Rumorosa); in caravan-2020 the only road runs through Mexicali."""
    out = adjacency(name)
    assert "tijuana" in reachable(ORIGIN, out, frozenset({"mexicali"}))
    assert "tijuana" not in reachable(ORIGIN, adjacency("caravan-2020"), frozenset({"mexicali"}))


def test_vado_hondo_is_the_junction_of_the_el_florido_and_esquipulas_roads():
    """J10, J11: the January 2021 roadblock at Vado Hondo held everyone who entered by El
    Florido or Agua Caliente: past it, Chiquimula is not reached from those crossings."""
    out = adjacency("caravan-2021-01")
    for crossing in ("el-florido", "agua-caliente"):
        assert "chiquimula" not in reachable(crossing, out,
                                             frozenset({"vado-hondo", "la-entrada"}))


@pytest.mark.parametrize("name", NEW)
def test_departures_are_the_caravan_inside_the_run(name):
    first, last = run_days(name)
    rows = read(name, "departures.csv")
    assert {r["cohort"] for r in rows} == {"caravan"}
    for r in rows:
        assert first <= dt.date.fromisoformat(r["date"]) <= last, r
        assert int(r["count"]) > 0, r
    departed = [r for r in read(name, "observations.csv") if r["kind"] == "departed"]
    for obs in departed:  # each departure count sizes the departure of its day (fitted)
        day = [int(r["count"]) for r in rows if r["date"] == obs["period_start"]
               and r["origin"] == ORIGIN]
        assert obs["fitted"] == "true"
        assert float(obs["low"]) <= sum(day) <= float(obs["high"]), obs


@pytest.mark.parametrize("name", CARAVANS)
def test_rules_in_force_during_the_run_belong_to_the_period(name):
    """No rule is in force before its policy existed: MPP not before 29 Jan 2019, ACAs not
    before 21 Nov 2019, no National Guard before 12 Jun 2019; ACA transfers paused from 16 Mar
    2020; no MPP enrolment from 21 Jan 2021."""
    first, last = run_days(name)

    def in_force(rule: dict) -> bool:
        if rule.get("applied", True) is False or rule.get("enabled", True) is False:
            return False
        start, end = rule.get("start"), rule.get("end")
        return (start is None or start <= last) and (end is None or end >= first)

    for rule in rules(name):
        if not in_force(rule):
            continue
        kind = rule["kind"]
        if kind in NOT_BEFORE:
            assert rule["start"] >= NOT_BEFORE[kind], rule["id"]
            assert last >= NOT_BEFORE[kind], rule["id"]
        if kind == "aca":
            assert first <= ACA_PAUSED, rule["id"]
        if kind == "mpp":
            assert first < MPP_SUSPENDED and rule.get("end", last) < MPP_SUSPENDED, rule["id"]
        if "national-guard" in rule["id"]:
            assert last >= NATIONAL_GUARD, rule["id"]
    kinds = {r["kind"] for r in rules(name) if in_force(r)}
    if name == "caravan-2018-10":
        assert {"mpp", "aca", "transit_permit"} & kinds == set()
        assert not any("national-guard" in r["id"] for r in rules(name))


def test_the_title_42_modelling_choice_is_a_closed_port_and_expulsion_between_ports():
    """caravan-2021-01: no port processes anyone (daily quota 0) and nearly everyone
    apprehended between ports is removed, at all 7 cities."""
    rs = rules("caravan-2021-01")
    ports = [r for r in rs if r["kind"] == "port_of_entry"]
    between = [r for r in rs if r["kind"] == "crossing_between_ports"]
    assert len(ports) == len(between) == 7
    assert {r["daily_quota"] for r in ports} == {0}
    assert min(r["removal_chance"] for r in between) >= 0.9


@pytest.mark.parametrize("name", NEW)
def test_loads_with_todays_loader_without_the_new_columns_and_kinds(name, tmp_path):
    """Everything but the columns and kinds of issue #11 is valid for the current loader:
    rules, places, routes, measures and aggregates all check."""
    from corridor.scenario.load import load_scenario

    folder = tmp_path / name
    shutil.copytree(ROOT / name, folder)
    rows = read(name, "observations.csv")
    kept = [{k: v for k, v in r.items() if k not in NEW_COLUMNS}
            for r in rows if r["kind"] not in NEW_KINDS]
    with (folder / "observations.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, list(kept[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept)
    scenario = load_scenario(folder)
    assert len(scenario.observations) == len(kept)
