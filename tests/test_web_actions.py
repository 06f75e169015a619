"""Every action of the dashboard, called as a function (no browser): what-if encoding, edits
with their ranges, runs against `corridor.run`, uploads (good and bad), downloads, explain."""

from __future__ import annotations

import base64
import io
import stat
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("dash")

import corridor  # noqa: E402
from corridor.errors import ScenarioError  # noqa: E402
from corridor.web import actions, uploads  # noqa: E402
from corridor.web.actions import ActionError  # noqa: E402
from corridor.web.runs import BoundError, Workspace  # noqa: E402
from corridor.web.whatif import WhatIf, apply  # noqa: E402

RULES = """
[[rule]]
id = "check-c"
kind = "checkpoint"
title = "Checks at Charlie"
start = "2020-01-02"
where = { place = "c" }
intercept_chance = 0.5
on_intercept = "turn_back"
return_to = "b"
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    from tiny_fixture import write_scenario

    return write_scenario(tmp_path / "tiny", rules_toml=RULES)


@pytest.fixture
def ws(tiny: Path) -> Workspace:
    space = Workspace({"tiny": corridor.load_scenario(tiny)})
    yield space
    space.close()


def _zip(entries: dict[str, bytes], links: tuple[str, ...] = ()) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            z.writestr(info, "/etc/passwd")
    return "data:application/zip;base64," + base64.b64encode(buffer.getvalue()).decode()


def _folder_zip(folder: Path, prefix: str = "sc/") -> dict[str, bytes]:
    return {prefix + p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_url_round_trip_and_bad_url(ws: Workspace) -> None:
    w = WhatIf("tiny", 7, {"rules.x.enabled": False, "walk_speed_km": 12.5})
    assert WhatIf.from_query(w.to_query(), "other") == w
    with pytest.raises(ActionError):
        actions.from_url(ws, "?scenario=../../etc", "tiny")  # a name, never a path
    with pytest.raises(ActionError):
        actions.from_url(ws, "?scenario=tiny&seed=-3", "tiny")


def test_edit_keeps_only_changes_and_checks_ranges(ws: Workspace) -> None:
    sc = ws.scenario("tiny")
    rule = sc.rules[0]
    enabled = [r.id for r in sc.rules if r.enabled and r.id != rule.id]
    w = actions.edit(ws, "tiny", None, enabled, {"walk_speed_km": sc.parameters.walk_speed_km},
                     {}, None)
    assert w.settings == {f"rules.{rule.id}.enabled": False}  # unchanged number not kept
    field = next(f for f in actions.all_fields(sc) if f.high == 1.0)
    bad = actions.edit(ws, "tiny", None, None, {field.name: 1.5}, {}, w)
    with pytest.raises(ScenarioError, match="out of range"):
        apply(sc, bad)
    with pytest.raises(ScenarioError, match="not a setting"):
        apply(sc, WhatIf("tiny", None, {"rules.nope.enabled": False, "foo": 1}))
    with pytest.raises(ActionError):
        actions.edit(ws, "tiny", "1.5", None, {}, {}, None)


def test_run_pair_matches_corridor_run(ws: Workspace) -> None:
    sc = ws.scenario("tiny")
    rule = sc.rules[0].id
    w = WhatIf("tiny", 3, {f"rules.{rule}.enabled": False})
    base, what = actions.run_pair(ws, w, "client")
    direct = corridor.run(sc, seed=3, engine="counts",
                          settings=[f"rules.{rule}.enabled=false"])
    assert (what.folder / "summary.json").is_file()
    import json

    got = json.loads((what.folder / "summary.json").read_text())["by_state"]
    assert got == direct.summary["by_state"]
    assert actions.run_pair(ws, w, "client")[1] is what  # cached, not run again
    # the changed scenario folder loads back to the same what-if
    folder = what.folder / "scenario"
    assert corridor.load_scenario(folder).rules == apply(sc, w).rules


def test_bounds(tiny: Path) -> None:
    ws = Workspace({"tiny": corridor.load_scenario(tiny)}, max_person_days=10, max_members=3)
    try:
        with pytest.raises(ActionError, match="too large"):
            actions.run_pair(ws, WhatIf("tiny"), "c")
        with pytest.raises(BoundError, match="between 1 and 3"):
            ws.start_ensemble(WhatIf("tiny"), WhatIf("tiny"), 4, "c")
    finally:
        ws.close()


def test_downloads_and_explain(ws: Workspace) -> None:
    base, what = actions.run_pair(ws, WhatIf("tiny"), "c")
    names = zipfile.ZipFile(io.BytesIO(actions.run_parquet(ws, what.key))).namelist()
    assert "daily.parquet" in names and "run.json" in names
    csvs = zipfile.ZipFile(io.BytesIO(actions.run_csv(ws, what.key)))
    import pyarrow.parquet as pq

    lines = csvs.read("daily.csv").decode().splitlines()
    assert '"day"' in lines[0]
    assert len(lines) - 1 == pq.read_table(what.folder / "daily.parquet").num_rows
    scenario = zipfile.ZipFile(io.BytesIO(actions.scenario_zip(ws, what.key))).namelist()
    assert "scenario.toml" in scenario and "places.csv" in scenario
    html = actions.report_html(ws, base.key, what.key)
    assert b"<html" in html[:500].lower()
    with pytest.raises(ActionError):
        actions.run_csv(ws, "../../etc/passwd")
    sc = ws.scenario("tiny")
    route = ">".join([sc.departures[0].origin, sc.places[-1].id])
    rows, text = actions.explain_rows(ws, what.key, route, str(sc.config.start_date), "HN")
    assert rows and "ends" in text
    with pytest.raises(ActionError):
        actions.explain_rows(ws, what.key, route, "yesterday", "HN")


def test_upload_good(ws: Workspace, tiny: Path) -> None:
    scenario = uploads.load_upload(_zip(_folder_zip(tiny)), "tiny.zip")
    assert scenario.name == corridor.load_scenario(tiny).name
    assert not Path(scenario.path).exists()  # unpacked folder deleted


@pytest.mark.parametrize("entries,links,match", [
    ({"../evil.toml": b"x"}, (), r"outside the folder"),
    ({"/abs/scenario.toml": b"x"}, (), r"absolute path"),
    ({"sc/scenario.toml": b"x"}, ("sc/places.csv",), r"symbolic link"),
    ({"readme.txt": b"hello"}, (), r"no scenario.toml"),
])
def test_upload_refused(entries: dict, links: tuple, match: str) -> None:
    with pytest.raises(ScenarioError, match=match):
        uploads.load_upload(_zip(entries, links), "bad.zip")


def test_upload_too_large_and_not_a_zip(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="upload limit"):
        uploads.load_upload(_zip({"big.bin": b"0" * 4096}), "big.zip", limit=1024)
    with pytest.raises(ScenarioError, match="not a zip"):
        uploads.load_upload("data:x;base64," + base64.b64encode(b"hello").decode(), "a.zip")
    bomb = _zip({"sc/scenario.toml": b"0" * 100_000})
    with pytest.raises(ScenarioError, match="unpacks to"):
        uploads.unpack(base64.b64decode(bomb.split(",", 1)[1]), "bomb.zip", tmp_path / "u",
                       max_unpacked=1000)


def test_upload_invalid_scenario_names_file_row_field(tiny: Path) -> None:
    entries = _folder_zip(tiny)
    places = entries["sc/places.csv"].decode().splitlines()
    head = places[0].split(",")
    row = places[1].split(",")
    row[head.index("lat")] = "north"
    entries["sc/places.csv"] = "\n".join([places[0], ",".join(row), *places[2:]]).encode()
    with pytest.raises(ScenarioError) as err:
        uploads.load_upload(_zip(entries), "bad.zip")
    shown = actions.user_error(err.value).problems
    assert any(p["file"] == "places.csv" and p["row"] == 2 and p["field"] == "lat"
               for p in shown)
