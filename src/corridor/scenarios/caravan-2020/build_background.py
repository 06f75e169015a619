"""Write the background departures of caravan-2020 into departures.csv.

The caravan's own rows (cohort `caravan`) are written by hand in departures.csv; this script
replaces every row of cohort `background` with rows computed from the streams below, one row per
day, stream and origin, from START to END. README.md ("Background flows") gives the derivation
of every number. Run it after changing a stream: `python build_background.py`.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
THROUGH_START = dt.date(2019, 11, 21)  # P13, P15: first ACA transfer, start of the run
JANUARY = dt.date(2020, 1, 1)  # the COMAR and U.S. figures are for January 2020 (R24, P6)
NORTH_START = dt.date(2019, 12, 30)  # people reach the border cities a day or two after leaving
END = dt.date(2020, 1, 31)

NORTH_SOURCES = ("derived: README Background flows (36585 encounters in Jan; P6); split between "
                 "hubs is an assumption")

# (stream, nationality, origin, people a day, first day, sources). Sizes and their derivation:
# README.md, "Background flows".
STREAMS = [
    ("through", "HN", "tecun-uman", 160, THROUGH_START,
     "derived: README Background flows (MPP 1974 and ACA >230; P6; P15)"),
    ("through", "XX", "tecun-uman", 240, THROUGH_START,
     "derived: README Background flows (Honduras's returns; R19; P27)"),
    ("through", "HN", "el-naranjo", 100, THROUGH_START,
     "derived: README Background flows (MPP 1974 and ACA >230; P6; P15)"),
    ("through", "XX", "el-naranjo", 190, THROUGH_START,
     "derived: README Background flows (Honduras's returns; R19; P27)"),
    ("asylum", "HN", "frontera-hidalgo", 60, JANUARY,
     "derived: README Background flows (COMAR 5936 in Jan of which 2365 Honduran; R24)"),
    ("asylum", "XX", "frontera-hidalgo", 90, JANUARY,
     "derived: README Background flows (COMAR 5936 in Jan of which 3571 not Honduran; R24)"),
    ("north", "XX", "monterrey", 450, NORTH_START,
     NORTH_SOURCES),
    ("north", "XX", "chihuahua", 450, NORTH_START,
     NORTH_SOURCES),
    ("north", "XX", "hermosillo", 450, NORTH_START,
     NORTH_SOURCES),
]
COLUMNS = ["date", "origin", "count", "nationality", "cohort", "stream", "caravan", "sources"]


def background_rows() -> list[dict[str, str]]:
    """One row per day and stream."""
    rows = []
    day = THROUGH_START
    while day <= END:
        for stream, nationality, origin, per_day, first, sources in STREAMS:
            if day >= first:
                rows.append({"date": day.isoformat(), "origin": origin, "count": str(per_day),
                             "nationality": nationality, "cohort": "background",
                             "stream": stream, "caravan": "", "sources": sources})
        day += dt.timedelta(days=1)
    return rows


def main() -> None:
    """Rewrite departures.csv: the caravan's rows as they are, then the background."""
    path = FOLDER / "departures.csv"
    with path.open(newline="", encoding="utf-8") as f:
        own = [r for r in csv.DictReader(f) if r["cohort"] != "background"]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(own + background_rows())


if __name__ == "__main__":
    main()
