"""The dashboard's figures keep what does not change between what-ifs, and nothing else.

`corridor.web.figures` keeps the baseline's run, its half of the map and the map's layout
across what-ifs; each what-if's own half is drawn from its own run. The map's frames carry only
what the day slider changes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("dash")

import corridor  # noqa: E402
from corridor.web import actions, figures  # noqa: E402
from corridor.web.runs import Workspace  # noqa: E402
from corridor.web.whatif import WhatIf  # noqa: E402

RULES = """
[[rule]]
id = "check-c"
kind = "checkpoint"
title = "Checks at Charlie"
start = "2020-01-02"
where = { place = "c" }
intercept_chance = 0.9
on_intercept = "turn_back"
return_to = "b"
"""


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    from tiny_fixture import write_scenario

    space = Workspace({"tiny": corridor.load_scenario(write_scenario(tmp_path / "tiny",
                                                                     rules_toml=RULES))})
    yield space
    space.close()


def _json(fig) -> dict:
    from dash._utils import to_json

    return json.loads(to_json(fig))


def _pair(ws: Workspace, settings: dict) -> figures.Pair:
    base, what = actions.run_pair(ws, WhatIf("tiny", 3, settings), "client")
    return figures.load_pair(base.folder, what.folder)


def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(figures, "_KEPT", figures._Kept(16))


def test_a_what_if_is_drawn_from_its_own_run_with_the_baseline_kept(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    names = ("map_figure", "difference_map", "daily_figure")
    same = _pair(ws, {"rules.check-c.intercept_chance": 0.3})
    first = {name: _json(getattr(figures, name)(same)) for name in names}
    off = _pair(ws, {"rules.check-c.enabled": False})
    assert off.base is same.base  # the baseline is read once
    kept = {name: _json(getattr(figures, name)(off)) for name in names}
    _fresh(monkeypatch)  # nothing kept: every part drawn again from the run folders
    fresh = {name: _json(getattr(figures, name)(_pair(ws, {"rules.check-c.enabled": False})))
             for name in names}
    assert kept == fresh
    assert first["map_figure"]["data"] != fresh["map_figure"]["data"]  # the what-if's half


def test_map_frames_carry_only_what_the_slider_changes(ws: Workspace) -> None:
    pair = _pair(ws, {"rules.check-c.enabled": False})
    fig = _json(figures.map_figure(pair))
    circles = [i for i, t in enumerate(fig["data"]) if t.get("name") == "people there that day"]
    assert len(circles) == 2
    assert [t["xaxis"] for t in (fig["data"][i] for i in circles)] == ["x", "x2"]
    assert fig["frames"] and all(f["traces"] == circles for f in fig["frames"])
    for frame in fig["frames"]:
        for data in frame["data"]:
            assert set(data) == {"marker", "customdata"}
    # the what-if's circles count the what-if's people, the baseline's the baseline's
    last = fig["frames"][-1]["data"]
    day = int(fig["frames"][-1]["name"])
    ids = [p.id for p in figures._map_data(pair.base).places]
    for run, data in zip(pair.runs, last, strict=True):
        assert data["customdata"] == figures._present(run, ids)[day].tolist()
    assert last[0]["customdata"] != last[1]["customdata"]
