"""Reading Flee scenario folders: the shared scenarios, and clear errors for broken input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from corridor.errors import ScenarioError
from corridor.flee.countries import country_code
from corridor.flee.files import flee_kind
from corridor.flee.scenario import read_flee_scenario
from corridor.flee.settings import parse_settings
from corridor.flee.validation import CountSeries, sum_series

TINY = {
    "input/locations.csv": (
        "#name,region,country,lat,lon,location_type,conflict_date,population\n"
        "A,R,Homeland,1.0,1.0,conflict_zone,0,1000\n"
        "B,R,Homeland,1.0,2.0,town,,500\n"
        "C,R,Homeland,1.0,3.0,conflict_zone,2,2000\n"
        "M,R,Homeland,1.0,3.5,marker,,\n"
        "Z,R,Neighbour,1.0,4.0,camp,,300\n"
    ),
    "input/routes.csv": (
        "#name1,name2,distance,forced_redirection\nA,B,100,0\nB,C,50,\nC,M,20,0\nM,Z,60,0\n"
    ),
    "input/closures.csv": "#closure_type,name1,name2,closure_start,closure_end\n"
                          "country,Homeland,Neighbour,0,3\n",
    "input/conflicts.csv": "#Day,A,C\n0,1,0\n1,1,0\n2,1,1\n3,1,1\n4,1,1\n5,1,1\n",
    "input/conflict_period.csv": "StartDate,2020-01-01\nLength,6\n",
    "input/registration_corrections.csv": "",
    "validation/data_layout.csv": "total,refugees.csv\nZ,z.csv\n",
    "validation/refugees.csv": "Date,count\n2020-01-01,100\n2020-01-05,300\n",
    "validation/z.csv": "2020-01-01,10\n2020-01-05,50\n",
    "simsetting.yml": "spawn_rules:\n  insert_day0: True\nmove_rules:\n  camp_weight: 2.0\n",
}


def write_tiny(root: Path, changes: dict[str, str] | None = None) -> Path:
    """Write a five-place Flee scenario under `root` (optionally with files replaced)."""
    for name, text in {**TINY, **(changes or {})}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def read_tiny(root: Path, changes: dict[str, str] | None = None):
    write_tiny(root, changes)
    return read_flee_scenario(root / "input", root / "validation", root / "simsetting.yml")


def problems_of(root: Path, changes: dict[str, str]):
    with pytest.raises(ScenarioError) as err:
        read_tiny(root, changes)
    return err.value.problems


@pytest.mark.parametrize("name", ["mali2012", "burundi2015"])
def test_shared_scenarios_read(shared_dir, name):
    base = shared_dir / "flee-scenarios" / name
    sc = read_flee_scenario(base / "input", base / "validation", base / "simsetting.yml")
    assert sc.period.length == sc.conflicts.days
    assert all(loc.name in sc.validation.series for loc in sc.camps)
    assert len(sc.routes) > 20 and len(sc.closures) == 2
    assert sc.validation.total.at(0)[0] > 0


def test_mali_day0_counts_match_flee_reference(shared_dir):
    """Day-0 camp counts (after registration corrections) equal Flee's `data` column."""
    base = shared_dir / "flee-scenarios" / "mali2012"
    sc = read_flee_scenario(base / "input", base / "validation", base / "simsetting.yml")
    ref = (shared_dir / "flee-scenarios" / "reference" / "mali-flee31-rep1.csv").read_text()
    header, *rows = [line.split(",") for line in ref.splitlines()]
    for camp in sc.camps:
        col = header.index(f"{camp.name} data")
        observed = np.array([int(r[col]) for r in rows])
        np.testing.assert_array_equal(sc.validation.series[camp.name].daily(len(rows)), observed)


def test_burundi_notes_name_what_is_ignored(shared_dir):
    base = shared_dir / "flee-scenarios" / "burundi2015"
    sc = read_flee_scenario(base / "input", base / "validation", base / "simsetting.yml")
    text = "\n".join(sc.notes)
    assert "sum_from_camps" in text and "Isale" in text and "Lusenda" in text


def test_tiny_scenario_reads(tmp_path):
    sc = read_tiny(tmp_path)
    assert [loc.initial_kind for loc in sc.locations] == [
        "conflict_zone", "town", "town", "marker", "camp"]
    assert sc.home_country == "Homeland"
    assert sc.settings.camp_weight == 2.0 and sc.settings.max_move_speed == 360.0
    assert sc.validation.total.daily(6).tolist() == [100, 150, 200, 250, 300, 300]
    assert sc.period.start_date == dt.date(2020, 1, 1)


def test_unknown_route_end_names_file_row_field(tmp_path):
    problems = problems_of(tmp_path, {"input/routes.csv": "#h\nA,B,100,0\nB,Q,5,0\n"})
    assert [(p.file, p.row, p.field) for p in problems] == [("routes.csv", 3, "name2")]
    assert "'Q'" in problems[0].message


def test_malformed_values_are_all_reported(tmp_path):
    problems = problems_of(tmp_path, {
        "input/locations.csv": TINY["input/locations.csv"].replace("town,,500", "twn,,500")
        .replace("1.0,4.0,camp,,300", "1.0,4.0,camp,,lots"),
        "input/routes.csv": "#h\nA,B,far,0\nB,C,50,7\n",
    })
    where = {(p.file, p.row, p.field) for p in problems}
    assert ("locations.csv", 3, "location_type") in where
    assert ("locations.csv", 6, "population") in where
    assert ("routes.csv", 2, "distance") in where
    assert ("routes.csv", 3, "forced_redirection") in where


def test_conflicts_must_count_days_and_cover_the_period(tmp_path):
    problems = problems_of(tmp_path, {"input/conflicts.csv": "#Day,A\n0,1\n2,1\n"})
    assert ("conflicts.csv", 3, "Day") in {(p.file, p.row, p.field) for p in problems}
    assert any("covers 2 days" in p.message for p in problems)


def test_conflict_column_for_unknown_place(tmp_path):
    problems = problems_of(tmp_path, {"input/conflicts.csv": "#Day,A,Nowhere\n" +
                                      "".join(f"{d},1,1\n" for d in range(6))})
    assert [(p.file, p.field) for p in problems] == [("conflicts.csv", "Nowhere")]


def test_closures_are_checked(tmp_path):
    problems = problems_of(tmp_path, {"input/closures.csv": (
        "#h\nborder,A,B,0,1\ncountry,Homeland,Atlantis,0,-1\nlink,A,C,1,2\nlocation,B,,x,3\n")})
    where = {(p.row, p.field) for p in problems}
    assert where == {(2, "closure_type"), (3, "name2"), (4, "name2"), (5, "closure_start")}


def test_camp_without_validation_series(tmp_path):
    problems = problems_of(tmp_path, {"validation/data_layout.csv": "total,refugees.csv\n"})
    assert [(p.file, p.row, p.field) for p in problems] == [("locations.csv", 6, "name")]


def test_validation_file_errors(tmp_path):
    problems = problems_of(tmp_path, {"validation/z.csv": "2020-01-05,10\n2020-01-01,x\n"
                                                          "2020-01-03,5\n"})
    where = [(p.file, p.row, p.field) for p in problems]
    assert ("z.csv", 2, "count") in where and ("z.csv", 3, "date") in where


def test_missing_file_is_a_problem_not_a_crash(tmp_path):
    write_tiny(tmp_path)
    (tmp_path / "input" / "routes.csv").unlink()
    with pytest.raises(ScenarioError) as err:
        read_flee_scenario(tmp_path / "input", tmp_path / "validation")
    assert err.value.problems[0].file == "routes.csv"


def test_registration_correction_scales_earlier_counts(tmp_path):
    sc = read_tiny(tmp_path, {
        "validation/z.csv": "2020-01-01,10\n2020-01-03,20\n2020-01-05,50\n",
        "input/registration_corrections.csv": "Z,2020-01-05\n"})
    # counts before 2020-01-05 are scaled by 50 / 20
    np.testing.assert_allclose(sc.validation.series["Z"].counts, [25.0, 50.0, 50.0])


def test_registration_correction_needs_a_data_date(tmp_path):
    problems = problems_of(tmp_path, {"input/registration_corrections.csv": "Z,2020-01-04\n"})
    assert [(p.file, p.row, p.field) for p in problems] == [
        ("registration_corrections.csv", 1, "date")]


def test_summed_files_in_data_layout(tmp_path):
    changes = {"validation/z1.csv": "2020-01-01,10\n2020-01-05,50\n",
               "validation/z2.csv": "2020-01-03,4\n"}
    for summed in ("z1.csv+z2.csv", "z1.csv,z2.csv"):
        layout = f"total,refugees.csv\nZ,{summed}\n"
        sc = read_tiny(tmp_path, {**changes, "validation/data_layout.csv": layout})
        assert sc.validation.series["Z"].files == ("z1.csv", "z2.csv")
        assert sc.validation.series["Z"].daily(6).tolist() == [14, 24, 34, 44, 54, 54]


def test_interpolation_is_flee_like():
    s = CountSeries("x", ("x.csv",), np.array([-3, 2, 6]), np.array([5.0, 10.0, 19.0]))
    assert s.daily(8).tolist() == [8, 9, 10, 12, 14, 16, 19, 19]
    days, counts = sum_series([(np.array([0, 4]), np.array([0.0, 4.0])),
                               (np.array([2]), np.array([1.0]))])
    assert days.tolist() == [0, 2, 4] and counts.tolist() == [1.0, 3.0, 5.0]


def test_settings_typos_and_misspelt_sinks():
    problems = []
    s, _ = parse_settings({"move_rules": {"camp_wieght": 2},
                           "spawn_rules": {"camps_are_sicks": True}}, problems)
    assert s.sinks is True and s.model_copy(update={"compat": "flee-3.1"}).sinks is True
    s, _ = parse_settings({"spawn_rules": {"camps_are_sinks": True}}, [])
    assert s.sinks is True and s.model_copy(update={"compat": "flee-3.1"}).sinks is False
    assert [(p.field) for p in problems] == ["move_rules.camp_wieght"]


def test_settings_bad_values():
    problems = []
    parse_settings({"move_rules": {"default_movechance": 1.5, "awareness_level": "two",
                                   "start_on_foot": "maybe"}}, problems)
    assert {p.field for p in problems} == {"default_movechance", "awareness_level",
                                           "start_on_foot"}


def test_v1_rules_override():
    s = parse_settings({"move_rules": {"use_v1_rules": True, "camp_weight": 9}}, [])[0].effective()
    assert (s.camp_weight, s.max_move_speed, s.conflict_weight) == (2.0, 200.0, 0.25)


def test_kinds_and_countries():
    assert [flee_kind(t) for t in ("conflict_zone", "idpcamp", "Camp", "forwarding_hub",
                                   "marker", "default", "town", "city")] == [
        "conflict_zone", "idp_camp", "camp", "forwarding_hub", "marker", "town", "town", None]
    assert country_code("Burkina_Faso") == "BF" and country_code("DRC") == "CD"
    assert country_code("Atlantis") is None
    assert country_code("Atlantis", {"atlantis": "XA"}) == "XA"


def test_settings_without_effect_are_noted(tmp_path):
    sc = read_tiny(tmp_path, {"simsetting.yml": "spawn_rules:\n  conflict_zone_spawning_only: "
                                                "false\nmove_rules:\n  max_crossing_speed: 10\n"})
    text = "\n".join(sc.notes)
    assert "conflict_zone_spawning_only" in text and "max_crossing_speed" in text
