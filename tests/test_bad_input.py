"""Bad input exits 2 naming file, row and field; nonsense is refused; the environment is no bug.

Each test is one case of issue #12 that used to end in "internal error" (exit 1) or in a run
that made no sense.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from test_flee_files import TINY, write_tiny
from tiny_fixture import TINY_DEPARTURES, TINY_PLACES, TINY_ROUTES, TINY_TOML, write_scenario
from typer.testing import CliRunner

import corridor
from corridor.cli.main import app
from corridor.cli.register import all_commands
from corridor.errors import ScenarioError
from corridor.flee.convert import import_flee, load_flee
from corridor.scenario import load_scenario

all_commands(app)
SRC = Path(corridor.__file__).resolve().parents[1]

FLEE = {**TINY, "validation/refugees.csv": "Date,count\n2020-01-01,100\n2020-01-06,1100\n",
        "validation/z.csv": "2020-01-01,10\n2020-01-06,400\n"}
COUNTRIES = {"Homeland": "XH", "Neighbour": "XN"}


def invoke(*args: str):
    res = CliRunner().invoke(app, [str(a) for a in args])
    assert "internal error" not in res.output and "Traceback" not in res.output, res.output
    return res


def problems_of(folder: Path, settings: list[str] | None = None) -> list:
    with pytest.raises(ScenarioError) as info:
        load_scenario(folder, settings)
    return info.value.problems


def where(found: list) -> set[tuple]:
    return {(p.file, p.row, p.field) for p in found}


# --- exit 1 before: now exit 2 with a message -----------------------------------------------

def test_a_cell_over_the_csv_limit_names_the_file_and_row(tmp_path):
    places = TINY_PLACES.replace("c,Charlie,", f'c,"{"x" * 140_000}",')
    res = invoke("check", write_scenario(tmp_path, places_csv=places))
    assert res.exit_code == 2
    assert "places.csv, row 4" in res.output and "131,072" in res.output


def test_a_cell_over_the_csv_limit_in_a_flee_file(tmp_path):
    write_tiny(tmp_path, {**FLEE, "input/routes.csv": TINY["input/routes.csv"]
                          + f'A,"{"y" * 140_000}",5,0\n'})
    with pytest.raises(ScenarioError) as info:
        load_flee(tmp_path / "input", countries=COUNTRIES)
    assert info.value.problems[0].file == "routes.csv" and info.value.problems[0].row == 6


@pytest.mark.parametrize("kind", ['["closure"]', '{ a = 1 }'])
def test_a_rule_kind_that_is_a_list_or_table(tiny, kind):
    (tiny / "rules.toml").write_text(f'[[rule]]\nid = "x"\nkind = {kind}\n')
    found = problems_of(tiny)
    assert where(found) == {("rules.toml", None, "rule 1 (x).kind")}
    assert "unknown kind" in found[0].message


@pytest.fixture
def flee_folder(tmp_path) -> Path:
    write_tiny(tmp_path, FLEE)
    folder, _ = import_flee(tmp_path / "input", tmp_path / "validation", tmp_path / "imported",
                            countries=COUNTRIES)
    return folder


@pytest.mark.parametrize("count", ["inf", "1e30", "NaN", "-5"])
def test_flee_totals_out_of_range_are_refused_by_check(flee_folder, count):
    text = (flee_folder / "totals.csv").read_text().splitlines()
    text[2] = text[2].split(",")[0] + "," + count
    (flee_folder / "totals.csv").write_text("\n".join(text) + "\n")
    res = invoke("check", flee_folder)
    assert res.exit_code == 2
    assert "totals.csv, row 3, field 'count'" in res.output


@pytest.mark.parametrize("value", ["NaN", "inf", "-inf", "Infinity"])
def test_non_finite_observations_are_refused(tiny, value):
    (tiny / "observations.csv").write_text(
        "period_start,period_end,place,kind,value\n2020-01-02,2020-01-05,Delta,present,"
        f"{value}\n")
    assert where(problems_of(tiny)) == {("observations.csv", 2, "value")}


def test_seed_below_zero_is_a_usage_error(tiny, tmp_path):
    res = invoke("run", tiny, "--seed", "-1", "--out", tmp_path / "o", "--no-report", "-q")
    assert res.exit_code == 2 and "--seed" in res.output
    with pytest.raises(ScenarioError, match="not a seed"):
        corridor.run(load_scenario(tiny), seed=-1)


@pytest.mark.parametrize("setting", ["rules.guard.id.x=1", "rules.guard.title.x=1",
                                     "rules.guard.id=other"])
def test_set_into_a_rule_field_that_is_not_a_table(tiny, setting):
    (tiny / "rules.toml").write_text('[[rule]]\nid = "guard"\nkind = "closure"\n'
                                     'where = { route = "b>c" }\naction = "wait"\n')
    res = invoke("check", tiny, "--set", setting)
    assert res.exit_code == 2 and "--set" in res.output


def test_params_file_that_is_not_utf8_or_is_a_folder(tiny, tmp_path):
    bad = tmp_path / "params.toml"
    bad.write_bytes(b"walk_speed_km = 3\n# \xff\xfe caf\xe9\n")
    for params in (bad, tmp_path):
        res = invoke("run", tiny, "--params", params, "--out", tmp_path / "o", "-q")
        assert res.exit_code == 2, res.output
    assert "UTF-8" in invoke("run", tiny, "--params", bad).output


@pytest.mark.parametrize("command", ["check", "run", "rules"])
def test_a_5000_character_scenario_name(command):
    res = invoke(command, "a" * 5000)
    assert res.exit_code == 2
    assert len(res.output) < 1000  # the name is not echoed in full


def test_output_piped_into_a_closed_pipe_exits_quietly():
    proc = subprocess.Popen([sys.executable, "-m", "corridor.cli.main", "scenarios"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(SRC)})
    proc.stdout.close()  # the reader (`head`) is gone before anything is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert err == ""


def _run_as_unprivileged(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: cannot make a folder unwritable")
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_no_writable_home_or_cache_folder_still_runs():
    base = Path(tempfile.mkdtemp(prefix="corridor-nocache-"))  # readable by another user
    try:
        _run_without_writable_cache(base)
    finally:
        for root, dirs, _ in os.walk(base):
            for name in dirs:
                Path(root, name).chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


def _run_without_writable_cache(base: Path) -> None:
    base.chmod(0o755)
    src = base / "src"
    shutil.copytree(SRC / "corridor", src / "corridor",
                    ignore=shutil.ignore_patterns("__pycache__"))
    scenario = write_scenario(base / "tiny")
    tmp = base / "tmp"
    tmp.mkdir()
    for path in (scenario, tmp):
        path.chmod(0o777)
    for root, dirs, files in os.walk(src):
        for name in dirs:
            Path(root, name).chmod(0o555)
        for name in files:
            Path(root, name).chmod(0o444)
    src.chmod(0o555)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA", "XDG"))}
    env.update(HOME="/nonexistent", PYTHONPATH=str(src), TMPDIR=str(tmp))
    res = _run_as_unprivileged([sys.executable, "-c", "import corridor; print(corridor.__file__)"],
                               env)
    assert res.stdout.startswith(str(src)), res.stdout + res.stderr
    res = _run_as_unprivileged([sys.executable, "-m", "corridor.cli.main", "run", str(scenario),
                                "--days", "3", "--engine", "agents", "--no-report", "-q",
                                "--out", str(tmp / "out")], env)
    assert res.returncode == 0, res.stderr
    assert "numba" in res.stderr  # says where the cache went
    assert (tmp / "out" / "summary.json").is_file()


# --- nonsense accepted before: now refused with file, row and field --------------------------

@pytest.mark.parametrize("value", ["inf", "NaN", "1e300"])
def test_route_distance_must_be_finite_and_earthly(tmp_path, value):
    routes = TINY_ROUTES.replace("b,c,100,", f"b,c,{value},")
    assert where(problems_of(write_scenario(tmp_path, routes_csv=routes))) == {
        ("routes.csv", 3, "distance_km")}


@pytest.mark.parametrize("setting", ["distance_power=Infinity", "walk_speed_km=NaN",
                                     "move_chance.town=NaN", "ride_chance=1.5"])
def test_parameters_must_be_finite(tiny, setting):
    res = invoke("check", tiny, "--set", setting)
    assert res.exit_code == 2
    assert "parameters." + setting.split("=")[0] in res.output


def test_start_date_after_every_departure_names_them(tiny):
    found = problems_of(tiny, ["start_date=2021-01-01"])
    assert where(found) == {("departures.csv", 2, "date")}
    assert "2 departures" in found[0].message and "rows 2, 3" in found[0].message
    assert "1,500 people" in found[0].message and "before the start" in found[0].message


def test_days_that_drop_departures_is_an_error_unless_asked(tiny, tmp_path):
    found = problems_of(tiny, ["days=2"])
    assert where(found) == {("departures.csv", 3, "date")}
    assert "after the end of the run (2020-01-02)" in found[0].message
    assert "--days" in found[0].message
    res = invoke("run", tiny, "--days", "2", "--out", tmp_path / "o", "--no-report", "-q")
    assert res.exit_code == 0, res.output
    assert "1 departure (departures.csv row 3; 500 people, 2020-01-03)" in res.output


@pytest.mark.parametrize("column", ["Nationality", "nationalty", "Count2"])
def test_a_header_typo_in_departures_is_refused(tmp_path, column):
    departures = TINY_DEPARTURES.replace("nationality", column, 1)
    found = problems_of(write_scenario(tmp_path, departures_csv=departures))
    assert ("departures.csv", 1, column) in where(found)
    message = next(p.message for p in found if p.field == column)
    assert f"unknown column '{column}'" in message and "nationality" in message


def test_group_attribute_columns_are_still_allowed(tmp_path):
    departures = "date,origin,count,nationality,asylum_intent\n2020-01-01,a,10,HN,yes\n"
    sc = load_scenario(write_scenario(tmp_path, departures_csv=departures))
    assert sc.departures[0].attributes == {"asylum_intent": "yes"}


def test_a_flee_scenario_without_routes(tmp_path):
    write_tiny(tmp_path, {**FLEE, "input/routes.csv": "#name1,name2,distance\n"})
    with pytest.raises(ScenarioError) as info:
        load_flee(tmp_path / "input", countries=COUNTRIES)
    assert where(info.value.problems) == {("routes.csv", None, None)}


def test_a_scenario_without_routes(tmp_path):
    found = problems_of(write_scenario(tmp_path, routes_csv="from,to,distance_km\n",
                                       departures_csv=None))
    assert ("routes.csv", None, None) in where(found)


def test_rule_ids_with_a_dot_are_refused(tiny):
    (tiny / "rules.toml").write_text('[[rule]]\nid = "mx.closure"\nkind = "closure"\n'
                                     'where = { route = "b>c" }\naction = "wait"\n')
    found = problems_of(tiny)
    assert where(found) == {("rules.toml", None, "rule 1 (mx.closure).id")}
    assert "'.'" in found[0].message


# --- schema: ranges, encodings, symlinks, formula cells --------------------------------------

def test_counts_beyond_the_engines_integer_width(tmp_path):
    departures = TINY_DEPARTURES.replace("1000", str(2**31))
    assert where(problems_of(write_scenario(tmp_path, departures_csv=departures))) == {
        ("departures.csv", 2, "count")}
    many = "date,origin,count\n" + "2020-01-01,a,2000000000\n" * 2
    assert ("departures.csv", None, "count") in where(
        problems_of(write_scenario(tmp_path / "b", departures_csv=many)))


def test_a_start_date_whose_run_ends_after_year_9999(tiny):
    res = invoke("check", tiny, "--set", "start_date=9999-12-30")
    assert res.exit_code == 2 and "9999-12-31" in res.output


def test_byte_order_mark_and_crlf_are_accepted(tmp_path):
    plain = load_scenario(write_scenario(tmp_path / "plain"))
    folder = write_scenario(tmp_path / "bom")
    for name in ("places.csv", "routes.csv", "departures.csv", "scenario.toml"):
        text = (folder / name).read_text()
        (folder / name).write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    sc = load_scenario(folder)
    assert sc.places == plain.places and sc.routes == plain.routes
    assert sc.departures == plain.departures and sc.config == plain.config


@pytest.mark.parametrize(("data", "says"), [("caf\xe9".encode("latin-1"), "not UTF-8"),
                                            ("x".encode("utf-16"), "UTF-16")])
def test_other_encodings_are_named(tmp_path, data, says):
    folder = write_scenario(tmp_path)
    (folder / "places.csv").write_bytes(TINY_PLACES.encode() + data + b"\n")
    found = problems_of(folder) if says != "UTF-16" else None
    if found is None:
        (folder / "places.csv").write_bytes(TINY_PLACES.encode("utf-16"))
        found = problems_of(folder)
    assert [p.file for p in found] == ["places.csv"] and says in found[0].message


def test_symlinks_out_of_the_folder_are_refused_without_echo(tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("root:x:0:0:TOP-SECRET\n")
    folder = write_scenario(tmp_path / "s")
    (folder / "places.csv").unlink()
    (folder / "places.csv").symlink_to(secret)
    res = invoke("check", folder)
    assert res.exit_code == 2 and "places.csv" in res.output and "outside" in res.output
    assert "TOP-SECRET" not in res.output and "root:x" not in res.output
    inside = folder / "real-routes.csv"
    (folder / "routes.csv").rename(inside)
    (folder / "routes.csv").symlink_to(inside.name)
    assert "routes.csv" not in {p.file for p in problems_of(folder)}  # a link inside is fine


def test_import_flee_neutralises_formula_cells(tmp_path):
    locations = TINY["input/locations.csv"].replace("B,R,", '"=HYPERLINK(""http://x"")",@R,')
    routes = TINY["input/routes.csv"].replace("A,B,", 'A,"=HYPERLINK(""http://x"")",')
    routes = routes.replace("B,C,", '"=HYPERLINK(""http://x"")",C,')
    write_tiny(tmp_path, {**FLEE, "input/locations.csv": locations, "input/routes.csv": routes})
    folder, _ = import_flee(tmp_path / "input", tmp_path / "validation", tmp_path / "out",
                            countries=COUNTRIES)
    for name in ("places.csv", "routes.csv", "observations.csv", "conflicts.csv"):
        for line in (folder / name).read_text().splitlines():
            for cell in line.split(","):
                assert not cell.lstrip('"').startswith(("=", "@", "+")), (name, line)
    sc = load_scenario(folder)
    assert "'=HYPERLINK(\"http://x\")" in {p.name for p in sc.places}
    assert "'@R" in {p.region for p in sc.places}


def test_score_json_of_a_run_is_strict_json(tiny, tmp_path):
    (tiny / "observations.csv").write_text(
        "period_start,period_end,place,kind,value,low,high\n"
        "2020-01-02,2020-01-05,Delta,present,50,40,60\n"
        "2020-01-02,2020-01-03,Charlie,detained,5,5,5\n")
    out = tmp_path / "run"
    assert invoke("run", tiny, "--days", "4", "--out", out, "--no-report", "-q").exit_code == 0
    res = invoke("score", out, "--json")
    assert res.exit_code == 0, res.output
    json.loads(res.output, parse_constant=lambda c: pytest.fail(f"{c} in score --json"))
    assert '"inf"' not in res.output


def test_toml_text_of_a_scenario_toml_header(tmp_path):
    toml = TINY_TOML.replace('name = "tiny"', 'name = "tiny"\nnme = "typo"')
    assert where(problems_of(write_scenario(tmp_path, scenario_toml=toml))) == {
        ("scenario.toml", None, "nme")}


def test_a_huge_value_in_rules_toml_is_not_echoed_whole(tiny):
    (tiny / "rules.toml").write_text('[[rule]]\nid = "guard"\nkind = "closure"\n'
                                     f'where = {{ route = "b>{"y" * 5000}" }}\naction = "wait"\n')
    found = problems_of(tiny)
    assert found and all(len(str(p)) < 1000 for p in found), [len(str(p)) for p in found]


def test_a_flee_scenario_whose_conflict_zones_have_no_population(flee_folder):
    lines = (flee_folder / "places.csv").read_text().splitlines()
    (flee_folder / "places.csv").write_text("\n".join(",".join(line.split(",")[:-1])
                                                      for line in lines) + "\n")
    res = invoke("check", flee_folder)  # the run used to stop on day 1 without naming a file
    assert res.exit_code == 2 and "places.csv, field 'population'" in res.output
