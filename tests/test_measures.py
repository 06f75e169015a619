"""Observations resolved to places and measures, checked at load, and measured on run tables."""

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tiny_fixture import TINY_PLACES, TINY_TOML, write_scenario

from corridor.analysis.measures import Catalog, RunTables, Unresolved, Where, fold
from corridor.errors import ScenarioError
from corridor.io.sinks import SCHEMAS
from corridor.scenario import load_scenario

PLACES = TINY_PLACES.replace("b,Bravo,GT,border_crossing,15.0,-89.0,",
                             "b,Tecún Umán,GT,border_crossing,15.0,-89.0,")
PLACES = PLACES.replace("capacity\n", "capacity,region\n", 1)
PLACES = "\n".join(
    line + ("" if i == 0 else ",Chiapas" if line.startswith(("d,", "e,")) else ",")
    for i, line in enumerate(PLACES.strip().splitlines())) + "\n"

MEASURES = """
[aggregates."the border"]
places = ["b", "Charlie"]

[aggregates."returns home"]
countries = ["Honduras"]
rules = ["go-*"]

[measures.entered]
crossed = "HN>GT"

[measures.over_the_bridge]
crossed = "b>c"

[measures.held]
to_states = ["detained"]

[measures.registered]
rules = ["reg"]

[measures.waiting_here]
present = true
states = ["waiting"]
statistic = "mean"

[measures.both]
sum = ["held", "registered"]

[measures.flown_home]
rules = ["go-*"]
anywhere = true
"""


RULES = """
[[rule]]
id = "reg"
kind = "border_control"
where = { border = "HN>GT" }
entry = "registered"

[[rule]]
id = "stop"
kind = "checkpoint"
where = { place = "c" }
on_intercept = "turn_back"

[[rule]]
id = "go-air"
kind = "assisted_return"
mode = "air"
from_places = ["c"]
to = "a"
daily_seats = 5
"""


def scenario_with(tmp_path, toml_extra="", observations=None, places=PLACES):
    files = {"places_csv": places, "scenario_toml": TINY_TOML + toml_extra,
             "rules_toml": RULES}
    if observations is not None:
        files["observations_csv"] = ("period_start,period_end,place,kind,value\n"
                                     + observations)
    return write_scenario(tmp_path / "sc", **files)


def catalog(tmp_path, toml_extra=MEASURES):
    return Catalog.from_scenario(load_scenario(scenario_with(tmp_path, toml_extra)))


def test_fold_ignores_accents_case_and_spacing():
    assert fold("Tecún  Umán") == fold("tecun uman") == "tecun uman"


def test_place_by_id_or_name_without_accents(tmp_path):
    cat = catalog(tmp_path)
    assert cat.where("Tecun Uman").places == {"b"}
    assert cat.where("TECÚN UMÁN").places == {"b"}
    assert cat.where("b").places == {"b"}
    assert cat.where("Charlie").what == "place"


def test_aggregate_country_and_region(tmp_path):
    cat = catalog(tmp_path)
    assert cat.where("The Border").places == {"b", "c"}
    assert cat.where("MX").places == {"d", "e"}
    assert cat.where("Guatemala").places == {"b", "c"}
    assert cat.where("Guatemala").what == "country"
    assert cat.where("chiapas").places == {"d", "e"}
    assert cat.where("chiapas").what == "region"
    assert cat.where("returns home").rules == ("go-*",)


def test_an_aggregate_may_say_what_a_place_name_means(tmp_path):
    cat = catalog(tmp_path, MEASURES + '[aggregates."Charlie"]\nplaces = ["c", "d"]\n'
                  'rules = ["stop"]\n')
    where = cat.where("charlie")
    assert where.what == "aggregate" and where.places == {"c", "d"}
    assert where.rules == ("stop",)
    assert cat.where("c").what == "place"


def test_unknown_place_or_kind_is_unresolved(tmp_path):
    cat = catalog(tmp_path)
    with pytest.raises(Unresolved, match="not an aggregate"):
        cat.where("Atlantis")
    with pytest.raises(Unresolved, match="not a state"):
        cat.measure("teleported")


def test_builtin_kinds(tmp_path):
    cat = catalog(tmp_path)
    assert cat.measure("detained").to_states == {"detained"}
    assert cat.measure("present").counts == "present"
    departed = cat.measure("departed")
    assert departed.from_states == {"not_departed"} and departed.keep_state


def test_observation_mapping_to_nothing_is_a_problem_at_load(tmp_path):
    folder = scenario_with(tmp_path, MEASURES, observations=(
        "2020-01-02,2020-01-02,Tecun Uman,present,10\n"
        "2020-01-02,2020-01-03,Nowhere,present,10\n"
        "2020-01-02,2020-01-03,Charlie,flown,10\n"))
    with pytest.raises(ScenarioError) as err:
        load_scenario(folder)
    where = {(p.file, p.row, p.field) for p in err.value.problems}
    assert where == {("observations.csv", 3, "place"), ("observations.csv", 4, "kind")}


def test_rule_restricted_aggregate_cannot_count_presence(tmp_path):
    folder = scenario_with(tmp_path, MEASURES.replace('rules = ["go-*"]', 'rules = ["reg"]'),
                           observations="2020-01-02,2020-01-02,returns home,present,10\n")
    with pytest.raises(ScenarioError, match="counts crossings or presence"):
        load_scenario(folder)


@pytest.mark.parametrize(("extra", "field"), [
    ('[aggregates.x]\nplaces = ["zz"]\n', "aggregates.x.places"),
    ('[aggregates.x]\nregions = ["Atlantis"]\n', "aggregates.x.regions"),
    ('[aggregates.x]\ncountries = ["FR"]\n', "aggregates.x.countries"),
    ('[aggregates.Bravo2]\nplaces = ["b"]\nrules = ["nope"]\n', "aggregates.Bravo2.rules"),
    ('[measures.m]\nto_states = ["flying"]\n', "measures.m.to_states"),
    ('[measures.m]\ncrossed = "a>d"\n', "measures.m.crossed"),
    ('[measures.m]\ncrossed = "HN>FR"\n', "measures.m.crossed"),
    ('[measures.m]\nsum = ["nothing"]\n', "measures.m.sum"),
    ('[measures.detained]\nto_states = ["detained"]\n', "measures.detained"),
])
def test_bad_definitions_are_problems_in_scenario_toml(tmp_path, extra, field):
    with pytest.raises(ScenarioError) as err:
        load_scenario(scenario_with(tmp_path, extra))
    assert [(p.file, p.field) for p in err.value.problems] == [("scenario.toml", field)]


@pytest.mark.parametrize("extra", [
    '[measures.m]\ncrossed = "HN>GT"\nto_states = ["detained"]\n',
    '[measures.m]\ndescription = "counts nothing"\n',
    '[measures.m]\nto_states = ["detained"]\nstatistic = "mean"\n',
    '[aggregates.x]\nrules = ["reg"]\n',
    '[measures.m]\nrules = ["reg"]\nanywhere = true\nplaces = ["a"]\n',
])
def test_a_measure_counts_one_way_and_an_aggregate_has_places(tmp_path, extra):
    with pytest.raises(ScenarioError) as err:
        load_scenario(scenario_with(tmp_path, extra))
    assert err.value.problems[0].file == "scenario.toml"


def test_sum_of_a_measure_with_itself_is_refused(tmp_path):
    with pytest.raises(ScenarioError, match="part of itself"):
        load_scenario(scenario_with(tmp_path, '[measures.m]\nsum = ["m"]\n'))


# --- values on run tables ----------------------------------------------------------------------
def write_table(folder, name, rows):
    schema = SCHEMAS[name]
    start = dt.date(2020, 1, 1)
    full = [{"run_id": "r", "date": start + dt.timedelta(days=r["day"]), **r} for r in rows]
    pq.write_table(pa.Table.from_pylist(full, schema=schema), folder / f"{name}.parquet")


@pytest.fixture
def tables(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    write_table(run, "flows", [
        {"day": 1, "from_place": "a", "to_place": "b", "count": 30},
        {"day": 2, "from_place": "a", "to_place": "b", "count": 20},
        {"day": 2, "from_place": "b", "to_place": "c", "count": 7},
        {"day": 3, "from_place": "c", "to_place": "d", "count": 5},
    ])
    write_table(run, "transitions", [
        {"day": 0, "place": "a", "from_state": "not_departed", "to_state": "in_transit",
         "rule": "departure", "count": 50},
        {"day": 2, "place": "b", "from_state": "in_transit", "to_state": "in_transit",
         "rule": "reg", "count": 12},
        {"day": 2, "place": "c", "from_state": "in_transit", "to_state": "detained",
         "rule": "reg", "count": 4},
        {"day": 3, "place": "c", "from_state": "in_transit", "to_state": "detained",
         "rule": "stop", "count": 6},
        {"day": 3, "place": "a", "from_state": "detained", "to_state": "returned_air",
         "rule": "go-air", "count": 3},
        {"day": 3, "place": "c>d", "from_state": "in_transit", "to_state": "detained",
         "rule": "stop", "count": 100},
    ])
    write_table(run, "daily", [
        {"day": 1, "place": "b", "state": "waiting", "count": 8},
        {"day": 1, "place": "b", "state": "in_transit", "count": 2},
        {"day": 2, "place": "b", "state": "waiting", "count": 4},
        {"day": 2, "place": "c", "state": "in_transit", "count": 30},
        {"day": 3, "place": "b>c", "state": "in_transit", "count": 99},
    ])
    countries = {"a": "HN", "b": "GT", "c": "GT", "d": "MX", "e": "MX"}
    return RunTables(run, countries, dt.date(2020, 1, 1), 10)


def value(tables, cat, kind, place, first=0, last=9):
    return tables.value(cat.measure(kind), cat.where(place), first, last)


def test_crossings_of_a_border_and_of_a_route(tmp_path, tables):
    cat = catalog(tmp_path)
    assert value(tables, cat, "entered", "the border") == 50
    assert value(tables, cat, "entered", "the border", 2, 2) == 20
    assert value(tables, cat, "entered", "Charlie") == 0  # entered Guatemala at b, not c
    assert value(tables, cat, "over_the_bridge", "Charlie") == 7
    assert value(tables, cat, "over_the_bridge", "MX") == 0


def test_entries_into_a_state_and_changes_caused_by_rules(tmp_path, tables):
    cat = catalog(tmp_path)
    assert value(tables, cat, "detained", "GT") == 10  # people on a link are at no place
    assert value(tables, cat, "held", "Charlie", 3, 3) == 6
    assert value(tables, cat, "registered", "the border") == 16  # keeps in_transit → in_transit
    assert value(tables, cat, "in_transit", "the border") == 0  # … which a state kind does not
    assert value(tables, cat, "departed", "a") == 50
    assert value(tables, cat, "both", "the border") == 26
    assert value(tables, cat, "returned_air", "returns home") == 3
    assert value(tables, cat, "returned_air", "Charlie") == 0  # recorded on arrival home …
    assert value(tables, cat, "flown_home", "Charlie") == 3  # … which a measure may count


def test_presence_is_the_largest_daily_count_or_another_statistic(tmp_path, tables):
    cat = catalog(tmp_path)
    assert value(tables, cat, "present", "Tecun Uman") == 10
    assert value(tables, cat, "present", "the border", 2, 2) == 34
    assert value(tables, cat, "present", "Tecun Uman", 5, 6) == 0
    assert value(tables, cat, "waiting_here", "b", 1, 4) == pytest.approx((8 + 4) / 4)


def test_periods_are_cut_to_the_run(tables):
    assert tables.days_of(dt.date(2020, 1, 2), dt.date(2020, 1, 3)) == (1, 2, 1.0)
    assert tables.days_of(dt.date(2019, 12, 31), dt.date(2020, 1, 1)) == (0, 0, 0.5)
    first, last, covered = tables.days_of(dt.date(2020, 2, 1), dt.date(2020, 2, 2))
    assert covered == 0 and last < first


def test_an_empty_place_set_counts_nothing(tables):
    from corridor.analysis.measures import Measure

    assert tables.value(Measure("present", "present"), Where("x", "place", frozenset()), 0,
                        9) == 0
