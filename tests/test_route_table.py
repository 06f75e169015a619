"""routes.csv derived from places.csv: distance rules, and the built-in networks as shipped."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest

from corridor.scenario.route_table import border_legs, build_rows, great_circle_km, load_places

SCENARIOS = Path(__file__).resolve().parents[1] / "src" / "corridor" / "scenarios"
PLACES = {"a": (15.0, -88.0), "b": (15.0, -89.0), "c": (15.0, -90.0)}


def test_a_chain_shares_its_reported_distance_by_great_circle():
    chains = {"X": (300.0, "X 300 km", [("a", "b"), ("b", "c")])}
    rows = build_rows(PLACES, [("a", "b", "road", True, ("chain", "X")),
                               ("b", "c", "road", True, ("chain", "X"))], chains)
    assert sum(float(r["distance_km"]) for r in rows) == pytest.approx(300.0, abs=0.1)


def test_gc_via_reported_and_symbolic_distances():
    gc = great_circle_km(*PLACES["a"], *PLACES["b"])
    rows = build_rows(PLACES, [("a", "b", "road", True, "gc"),
                               ("a", "c", "road", False, ("via", ["a", "b", "c"], "via b")),
                               ("b", "c", "foot", True, ("reported", 42.0, "R9")),
                               ("c", "a", "road", False, "symbolic")], {})
    assert [r["distance_km"] for r in rows] == [f"{gc * 1.3:.1f}", f"{gc * 2.6:.1f}",
                                                "42.0", "1.0"]
    assert rows[2]["sources"] == "R9" and rows[3]["two_way"] == "false"


def test_an_unknown_rule_is_an_error():
    with pytest.raises(ValueError, match="unknown distance rule"):
        build_rows(PLACES, [("a", "b", "road", True, "guess")], {})


def test_every_border_city_reaches_the_us_interior_by_port_and_between_ports():
    legs = border_legs()
    assert len(legs) == 4 * 7
    assert sum(1 for leg in legs if leg[1] == "us-interior") == 14


@pytest.mark.parametrize(("builder", "scenario"), [("caravan-2020", "caravan-2020"),
                                                   ("caravan-2018-10", "caravan-2018-10"),
                                                   ("caravan-2018-10", "caravan-2021-01")])
def test_shipped_routes_are_those_the_build_script_writes(builder, scenario):
    spec = importlib.util.spec_from_file_location(f"build_{builder}",
                                                  SCENARIOS / builder / "build_routes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.build(load_places(SCENARIOS / scenario / "places.csv"))
    with (SCENARIOS / scenario / "routes.csv").open(newline="", encoding="utf-8") as f:
        shipped = list(csv.DictReader(f))
    assert shipped == rows
