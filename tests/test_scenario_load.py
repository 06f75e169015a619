"""Scenario loading: valid folders load; every broken row is reported with file, row, field."""

from pathlib import Path

import pytest
from tiny_fixture import TINY_DEPARTURES, TINY_PLACES, TINY_ROUTES, write_scenario

from corridor.errors import ScenarioError
from corridor.scenario import load_scenario


def problems_of(folder: Path) -> list:
    with pytest.raises(ScenarioError) as info:
        load_scenario(folder)
    return info.value.problems


def test_valid_scenario_loads(tiny):
    sc = load_scenario(tiny)
    assert sc.name == "tiny"
    assert len(sc.places) == 5 and len(sc.routes) == 4
    assert sum(d.count for d in sc.departures) == 1500
    assert sc.parameters.walk_speed_km == 30
    assert sc.places[3].capacity == 100 and sc.places[4].capacity is None


def test_broken_row_names_file_row_and_field(tmp_path):
    bad = TINY_PLACES.replace("c,Charlie,GT,town,15.0,-90.0,", "c,Charlie,Guatemala,town,95,-90,")
    found = problems_of(write_scenario(tmp_path, places_csv=bad))
    assert {(p.file, p.row, p.field) for p in found} == {
        ("places.csv", 4, "country"), ("places.csv", 4, "lat")}
    assert "ISO 3166-1 alpha-2" in next(str(p) for p in found if p.field == "country")


def test_all_errors_reported_at_once(tmp_path):
    routes = TINY_ROUTES + "c,zulu,-5,road,true\n"
    departures = TINY_DEPARTURES + "2021-06-01,a,10,HN\n"
    places = TINY_PLACES + "a,Alpha2,HN,town,15,-88,\n"
    found = problems_of(write_scenario(tmp_path, routes_csv=routes, departures_csv=departures,
                                       places_csv=places))
    where = {(p.file, p.row, p.field) for p in found}
    assert ("routes.csv", 6, "distance_km") in where
    assert ("places.csv", 7, "id") in where
    assert ("departures.csv", 4, "date") in where


def test_unknown_place_in_route(tmp_path):
    found = problems_of(write_scenario(tmp_path, routes_csv=TINY_ROUTES + "c,zulu,5,road,true\n"))
    assert [(p.file, p.row, p.field) for p in found] == [("routes.csv", 6, "to")]
    assert "unknown place 'zulu'" in found[0].message


def test_origin_that_leads_nowhere(tmp_path):
    places = TINY_PLACES + "z,Zulu,HN,origin,15,-87,\n"
    found = problems_of(write_scenario(tmp_path, places_csv=places,
                                       departures_csv=TINY_DEPARTURES + "2020-01-02,z,5,HN\n"))
    assert [(p.file, p.row, p.field) for p in found] == [("departures.csv", 4, "origin")]


def test_unknown_column_and_kind(tmp_path):
    places = TINY_PLACES.replace("capacity", "capacty").replace("c,Charlie,GT,town",
                                                                "c,Charlie,GT,city")
    found = problems_of(write_scenario(tmp_path, places_csv=places))
    assert ("places.csv", 1, "capacty") in {(p.file, p.row, p.field) for p in found}


def test_bad_kind_lists_allowed_values(tmp_path):
    places = TINY_PLACES.replace("c,Charlie,GT,town", "c,Charlie,GT,city")
    found = problems_of(write_scenario(tmp_path, places_csv=places))
    assert found[0].field == "kind" and "'city' is not allowed" in found[0].message
    assert "border_crossing" in found[0].message


def test_duplicate_route(tmp_path):
    found = problems_of(write_scenario(tmp_path, routes_csv=TINY_ROUTES + "b,a,50,road,true\n"))
    assert found[0].row == 6 and "duplicate route" in found[0].message


def test_bad_toml_and_missing_files(tmp_path):
    found = problems_of(write_scenario(tmp_path, scenario_toml="name = [", routes_csv=None))
    files = {p.file for p in found}
    assert files == {"scenario.toml", "routes.csv"}


def test_unknown_parameter_is_an_error(tmp_path):
    toml = "name='t'\nstart_date='2020-01-01'\ndays=5\n[parameters]\nwalk_sped_km=3\n"
    found = problems_of(write_scenario(tmp_path, scenario_toml=toml))
    assert found[0].file == "scenario.toml" and "walk_sped_km" in found[0].field


def test_settings_override(tiny):
    sc = load_scenario(tiny, ["walk_speed_km=12", "days=7", "move_chance.town=0.5", "seed=9"])
    assert sc.parameters.walk_speed_km == 12
    assert sc.config.days == 7 and sc.config.seed == 9
    assert sc.parameters.move_chance["town"] == 0.5
    assert sc.parameters.move_chance["destination"] == 0.0  # defaults kept


def test_bad_setting_is_reported(tiny):
    with pytest.raises(ScenarioError) as info:
        load_scenario(tiny, ["days=-1", "nonsense"])
    fields = {p.field for p in info.value.problems}
    assert "nonsense" in fields and "days" in fields


def test_unknown_builtin_name():
    with pytest.raises(ScenarioError) as info:
        load_scenario("no-such-scenario")
    assert "built-in" in str(info.value)


def test_digest_changes_with_input(tiny, tmp_path):
    a = load_scenario(tiny)
    b = load_scenario(tiny, ["walk_speed_km=31"])
    assert a.digest() != b.digest()
    assert a.digest() == load_scenario(tiny).digest()
