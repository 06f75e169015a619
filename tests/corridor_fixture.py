"""A small corridor: HN origin → GT → bridge/river into MX (Chiapas) → north → U.S. border."""

from __future__ import annotations

import tempfile
from pathlib import Path

from corridor.engine.simulation import Simulation
from corridor.scenario import load_scenario

PLACES = """id,name,country,kind,region,lat,lon,capacity
o,Origin,HN,origin,Cortes,15.5,-88.0,
b1,Border one,GT,border_crossing,Izabal,15.6,-88.4,
t,Border town,GT,town,San Marcos,14.7,-92.1,
br,Bridge,MX,border_crossing,Chiapas,14.68,-92.15,
rv,River,MX,border_crossing,Chiapas,14.67,-92.15,
ch,Ciudad,MX,town,Chiapas,14.68,-92.16,
tp,Tapa,MX,town,Chiapas,14.9,-92.3,
st,Station,MX,migration_station,Chiapas,14.89,-92.28,
n,North,MX,town,Norte,25.0,-100.0,
bc,Border city,MX,border_city,Norte,31.7,-106.4,
port,Port,US,port_of_entry,Texas,31.75,-106.49,
bp,Between ports,US,border_crossing,Texas,31.65,-106.28,
us,US interior,US,destination,,33.0,-106.0,
"""
ROUTES = """from,to,distance_km,mode,two_way
o,b1,60,road,true
b1,t,300,road,true
t,br,1,bridge,true
t,rv,1,river,true
br,ch,1,road,true
rv,ch,1,foot,true
ch,tp,30,road,true
tp,st,4,road,true
tp,n,600,road,true
n,bc,600,road,true
bc,port,5,road,false
bc,bp,10,foot,false
port,us,1,road,false
bp,us,1,foot,false
"""
SCENARIO = """name = "mini-corridor"
start_date = "2020-01-01"
days = {days}
seed = 4

[parameters]
walk_speed_km = 40
ride_speed_km = 300
ride_chance = 0.3
goal_kinds = ["destination"]
detour_weight = 0.0

[parameters.move_chance]
migration_station = 0.0
destination = 0.0

[parameters.attractiveness]
origin = 0.0
migration_station = 0.0
"""


def departures(count: int = 400, nationality: str = "HN", extra: str = "") -> str:
    """Departures: `count` people on day 0 from the origin."""
    return f"date,origin,count,nationality\n2020-01-01,o,{count},{nationality}\n" + extra


def build(rules: str = "", days: int = 40, deps: str | None = None, settings=None,
          folder: Path | None = None):
    """Write the fixture scenario (with a rules.toml) and load it."""
    folder = folder or Path(tempfile.mkdtemp(prefix="corridor-"))
    (folder / "scenario.toml").write_text(SCENARIO.format(days=days))
    (folder / "places.csv").write_text(PLACES)
    (folder / "routes.csv").write_text(ROUTES)
    (folder / "departures.csv").write_text(deps if deps is not None else departures())
    if rules:
        (folder / "rules.toml").write_text(rules)
    return load_scenario(folder, settings)


def run(rules: str = "", seed: int = 1, **kw):
    """Build and run; return (simulation, result)."""
    sim = Simulation(build(rules, **kw), seed=seed)
    return sim, sim.run()


def transitions(result, **match) -> int:
    """Sum the transitions matching column=value filters."""
    total = 0
    for row in result.transitions.to_pylist():
        if all(row[k] == v for k, v in match.items()):
            total += row["count"]
    return total


def flows(result, a: str, b: str) -> list[dict]:
    """Flow rows a→b."""
    return [r for r in result.flows.to_pylist() if (r["from_place"], r["to_place"]) == (a, b)]
