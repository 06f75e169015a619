"""A five-place scenario folder for tests: the tiny defaults, any file replaceable."""

from __future__ import annotations

from pathlib import Path

TINY_PLACES = """id,name,country,kind,lat,lon,capacity
a,Alpha,HN,origin,15.0,-88.0,
b,Bravo,GT,border_crossing,15.0,-89.0,
c,Charlie,GT,town,15.0,-90.0,
d,Delta,MX,destination,16.0,-92.0,100
e,Echo,MX,destination,17.0,-92.0,
"""
TINY_ROUTES = """from,to,distance_km,mode,two_way
a,b,50,road,true
b,c,100,road,true
c,d,80,road,true
c,e,120,road,true
"""
TINY_DEPARTURES = """date,origin,count,nationality
2020-01-01,a,1000,HN
2020-01-03,a,500,SV
"""
TINY_TOML = """name = "tiny"
description = "five places, two destinations"
start_date = "2020-01-01"
days = 20
seed = 3

[parameters]
walk_speed_km = 30

[parameters.attractiveness]
destination = 10
"""


def write_scenario(folder: Path, **files: str) -> Path:
    """Write a scenario folder with the tiny defaults.

    Any file can be replaced or added by name (`scenario_toml=`, `places_csv=`, …); pass None
    to leave a file out.
    """
    defaults = {
        "scenario.toml": TINY_TOML,
        "places.csv": TINY_PLACES,
        "routes.csv": TINY_ROUTES,
        "departures.csv": TINY_DEPARTURES,
    }
    for key, text in files.items():
        name = key.replace("_toml", ".toml").replace("_csv", ".csv")
        defaults[name] = text
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in defaults.items():
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8")
    return folder

