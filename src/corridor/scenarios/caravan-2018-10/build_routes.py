"""Write `routes.csv` of this scenario from `places.csv` and the route list below.

The network of caravan-2020 extended where the caravans of October 2018 and January 2021 went
(README.md, "The network"); caravan-2021-01 has the same network and is built by this file too.

Run from anywhere: ``python build_routes.py [FOLDER]`` (with Corridor
installed; the distance rules are in `corridor.scenario.route_table`). It reads the
coordinates in `FOLDER/places.csv` (default: the folder of this file) and writes
`FOLDER/routes.csv`, so that every derived distance can be recomputed after a coordinate is
corrected: ``python build_routes.py ../caravan-2021-01`` rebuilds caravan-2021-01's.

How a distance is chosen, in order of preference (the `sources` column says which one applies):

* ``reported``: a road distance reported for exactly this leg (facts.md §1), e.g. El Naranjo →
  El Ceibo 22 km (G8).
* ``apportioned``: a road distance reported for a chain of legs is shared among the legs in
  proportion to their great-circle distances. Used for the three chains whose legs lie on no
  other reported road: San Pedro Sula → Agua Caliente (R6), Ciudad Hidalgo → Tapachula (G11)
  and Tapachula → Arriaga (G10). Other reported distances over several legs (e.g. Guatemala
  City → Tecún Umán, R3) are not imposed but checked in `tests/test_caravan_data.py`.
* ``gc×1.3``: great-circle distance times a road factor of 1.3 (facts.md §1: "a fair start").
* ``chain``: a transfer whose road runs through places of the network, summed leg by leg.
* ``symbolic``: the step from a U.S. port or between-ports crossing to the abstract
  "U.S. interior" destination, which has no real position.

Distances are rounded to 0.1 km.
"""

from __future__ import annotations

import sys
from pathlib import Path

from corridor.scenario.route_table import border_legs, build_rows, load_places, write  # noqa: F401 (load_places: for callers)

HERE = Path(__file__).resolve().parent

# Reported distances of chains of legs: name -> (km, source keys, legs in order).
CHAINS: dict[str, tuple[float, str, list[tuple[str, str]]]] = {
    "R6": (
        300.0,
        "R6 San Pedro Sula–Agua Caliente ~300 km",
        [("san-pedro-sula", "la-entrada"), ("la-entrada", "ocotepeque"),
         ("ocotepeque", "agua-caliente")],
    ),
    "G11": (
        40.0,
        "G11 Ciudad Hidalgo–Tapachula 38–43 km",
        [("ciudad-hidalgo", "frontera-hidalgo"), ("frontera-hidalgo", "tapachula")],
    ),
    "G10": (
        247.0,
        "G10 Tapachula–Arriaga 247 km",
        [("tapachula", "huixtla"), ("huixtla", "mapastepec"), ("mapastepec", "pijijiapan"),
         ("pijijiapan", "arriaga")],
    ),
}

# (from, to, mode, two_way, how): how is "gc", "symbolic", ("reported", km, sources),
# ("chain", CHAIN_NAME) or ("via", [places...], sources) for a transfer summed leg by leg.
ROUTES: list[tuple[str, str, str, bool, object]] = [
    # Honduras to the three crossings into Guatemala.
    ("san-pedro-sula", "puerto-cortes", "road", True, "gc"),
    ("puerto-cortes", "corinto", "road", True, "gc"),
    ("san-pedro-sula", "la-entrada", "road", True, ("chain", "R6")),
    ("la-entrada", "ocotepeque", "road", True, ("chain", "R6")),
    ("ocotepeque", "agua-caliente", "road", True, ("chain", "R6")),
    ("la-entrada", "el-florido", "road", True, "gc"),
    # Guatemala.
    ("corinto", "morales", "road", True, "gc"),
    ("agua-caliente", "esquipulas", "road", True, "gc"),
    # The roads from El Florido (CA-11) and from Esquipulas (CA-10) meet at Vado Hondo, south-east
    # of Chiquimula: the roadblock of January 2021 (J10, J11) closed both.
    ("el-florido", "vado-hondo", "road", True,
     ("reported", 50.0,
      "J10; J11; J9 (El Florido–Vado Hondo 40–56 km: ~25 mi; 35 mi (56 km); 50 km)")),
    ("esquipulas", "vado-hondo", "road", True, "gc"),
    ("vado-hondo", "chiquimula", "road", True, "gc"),
    ("chiquimula", "gt-migration-chiquimula", "road", True, "gc"),
    ("chiquimula", "rio-hondo", "road", True, "gc"),
    ("morales", "rio-hondo", "road", True, "gc"),
    ("rio-hondo", "guatemala-city", "road", True, "gc"),
    ("guatemala-city", "escuintla", "road", True, "gc"),
    ("escuintla", "coatepeque", "road", True, "gc"),
    ("coatepeque", "tecun-uman", "road", True, "gc"),
    ("morales", "flores", "road", True, "gc"),
    ("flores", "el-naranjo", "road", True, "gc"),
    ("el-naranjo", "el-ceibo", "road", True, ("reported", 22.0, "G8")),
    # Suchiate: the bridge and the irregular river crossing.
    ("tecun-uman", "rodolfo-robles-bridge", "bridge", True, "gc"),
    ("rodolfo-robles-bridge", "ciudad-hidalgo", "road", True, "gc"),
    ("tecun-uman", "suchiate-river-crossing", "river", True, "gc"),
    ("suchiate-river-crossing", "ciudad-hidalgo", "foot", True, "gc"),
    ("suchiate-river-crossing", "frontera-hidalgo", "foot", True,
     ("reported", 12.0, "G3; R20 (Frontera Hidalgo ~12 km from the river)")),
    # Chiapas coast.
    # reported, not apportioned: Ciudad Hidalgo is on the river, as far from Frontera Hidalgo
    # as the river landing (apportioned, 13.3 km made the landing a shortcut from the town)
    ("ciudad-hidalgo", "frontera-hidalgo", "road", True,
     ("reported", 12.0, "R20 (Frontera Hidalgo ~12 km from the river; Ciudad Hidalgo is on it) "
                        "and G11 (Ciudad Hidalgo–Tapachula 38–43 km)")),
    ("frontera-hidalgo", "tapachula", "road", True, ("chain", "G11")),
    ("tapachula", "siglo-xxi", "road", True, "gc"),
    ("tapachula", "huixtla", "road", True, ("chain", "G10")),
    ("huixtla", "mapastepec", "road", True, ("chain", "G10")),
    ("mapastepec", "pijijiapan", "road", True, ("chain", "G10")),
    ("pijijiapan", "arriaga", "road", True, ("chain", "G10")),
    # Tabasco branch.
    ("el-ceibo", "tenosique", "road", True, ("reported", 62.0, "G7 (60–64 km)")),
    ("tenosique", "tenosique-migration-station", "road", True, "gc"),
    ("tenosique", "villahermosa", "road", True, "gc"),
    ("villahermosa", "acayucan", "road", True, "gc"),
    # Isthmus to Mexico City.
    ("arriaga", "tapanatepec", "road", True, "gc"),
    ("tapanatepec", "juchitan", "road", True, "gc"),
    ("juchitan", "oaxaca", "road", True, "gc"),
    ("juchitan", "acayucan", "road", True, "gc"),
    ("oaxaca", "puebla", "road", True, "gc"),
    ("acayucan", "cordoba", "road", True, "gc"),
    ("cordoba", "puebla", "road", True, "gc"),
    ("puebla", "mexico-city", "road", True, "gc"),
    ("mexico-city", "mexico-city-migration-station", "road", True, "gc"),
    # Return hubs: one-way transfers of detainees. There are deliberately no air routes from
    # the hubs back to Honduras: free movement does not look at `mode`, so such a route would
    # let anyone fly home by choice. A return is a rule that takes people from a hub to a
    # returned state (see README, "Rules in force").
    ("siglo-xxi", "tuxtla-airport", "road", False,
     ("via", ["siglo-xxi", "tapachula", "huixtla", "mapastepec", "pijijiapan", "arriaga",
              "tuxtla-airport"], "derived: road via Arriaga (G10 legs + gc×1.3 Arriaga–Tuxtla)")),
    ("tenosique-migration-station", "villahermosa-airport", "road", False, "gc"),
    ("mexico-city-migration-station", "toluca-airport", "road", False, "gc"),
    # North: central and eastern routes.
    ("mexico-city", "queretaro", "road", True, "gc"),
    ("queretaro", "guanajuato", "road", True, "gc"),
    ("queretaro", "san-luis-potosi", "road", True, "gc"),
    ("guanajuato", "san-luis-potosi", "road", True, "gc"),
    ("san-luis-potosi", "saltillo", "road", True, "gc"),
    ("saltillo", "monterrey", "road", True, "gc"),
    ("monterrey", "nuevo-laredo", "road", True, "gc"),
    ("monterrey", "matamoros", "road", True, "gc"),
    ("monterrey", "piedras-negras", "road", True, "gc"),
    # North: the Chihuahua route.
    ("guanajuato", "zacatecas", "road", True, "gc"),
    ("zacatecas", "torreon", "road", True, "gc"),
    ("saltillo", "torreon", "road", True, "gc"),
    ("torreon", "chihuahua", "road", True, "gc"),
    ("chihuahua", "ciudad-juarez", "road", True, "gc"),
    # North: the Pacific route.
    ("guanajuato", "guadalajara", "road", True, "gc"),
    ("guadalajara", "culiacan", "road", True, "gc"),
    ("culiacan", "hermosillo", "road", True, "gc"),
    ("hermosillo", "nogales-sonora", "road", True, "gc"),
    # Highway 2 from Sonora to Tijuana: San Luis Río Colorado, then either into Mexicali or past
    # its southern edge (2D) and up La Rumorosa to Tecate and Tijuana. Passing near Mexicali is
    # not stopping there: the leg San Luis Río Colorado–La Rumorosa does not enter the city
    # (README, "The network").
    ("hermosillo", "san-luis-rio-colorado", "road", True, "gc"),
    ("san-luis-rio-colorado", "mexicali", "road", True, "gc"),
    ("san-luis-rio-colorado", "la-rumorosa", "road", True, "gc"),
    ("mexicali", "la-rumorosa", "road", True, "gc"),
    ("la-rumorosa", "tijuana", "road", True, "gc"),
]

ROUTES += border_legs()


def build(places: dict[str, tuple[float, float]]) -> list[dict[str, str]]:
    """Return the rows of routes.csv for the given place coordinates."""
    return build_rows(places, ROUTES, CHAINS)


def main() -> None:
    """Read FOLDER/places.csv (default: beside this file) and write FOLDER/routes.csv."""
    folder = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else HERE
    path = write(folder, ROUTES, CHAINS)
    print(f"wrote routes to {path}")


if __name__ == "__main__":
    main()
