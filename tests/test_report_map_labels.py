"""The map names the places the caravan passes (Honduras, Guatemala, Chiapas), without overlap."""

from pathlib import Path

import pytest

import corridor
from corridor.report import maps
from corridor.report.data import load_run
from corridor.scenario import load_scenario

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def caravan_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # to 2020-02-02: the caravan leaves on 14 Jan (day 54) and is in Chiapas by the 20th
    sc = load_scenario("caravan-2020", ["days=74", "drop_late_departures=true"])
    out = tmp_path_factory.mktemp("map") / "run"
    corridor.run(sc, out=out)
    return out


def _boxes_overlap(m: maps.MapData) -> bool:
    x0, y0, x1, y1 = m.window
    w, h = maps.CHAR_WIDTH * (x1 - x0), maps.LINE_HEIGHT * (y1 - y0)
    boxes = []
    for p in m.places:
        side = m.labelled.get(p.id)
        if side is None:
            continue
        width = w * (len(p.name) + 1)
        a = p.lon + w / 2 if side.endswith("right") else p.lon - w / 2 - width
        low, high = (p.lat - h, p.lat + h / 4) if side.startswith("bottom") else \
            (p.lat - h / 4, p.lat + h)
        boxes.append((a, low, a + width, high))
    return any(not (b[2] < c[0] or b[0] > c[2] or b[3] < c[1] or b[1] > c[3])
               for i, b in enumerate(boxes) for c in boxes[i + 1:])


def test_the_caravans_places_are_named_on_the_map_and_its_zoom(caravan_run: Path) -> None:
    run = load_run(caravan_run)
    m = maps.prepare(run)
    assert {"tecun-uman", "tapachula", "el-ceibo"} & set(m.story)
    # the whole corridor: the origin and the two crossings into Mexico are named
    labelled = set(m.labelled)
    assert {"san-pedro-sula", "el-ceibo"} <= labelled, sorted(labelled)
    assert {"tecun-uman", "rodolfo-robles-bridge"} & labelled, sorted(labelled)  # the Suchiate
    zoomed = maps.zoom(m)
    assert zoomed is not None
    named = set(zoomed.labelled)
    assert {"san-pedro-sula", "agua-caliente", "tecun-uman", "tapachula",
            "el-ceibo"} <= named, sorted(named)
    assert not _boxes_overlap(m) and not _boxes_overlap(zoomed)
