"""Quantile bands of an ensemble: per place, state and day, over the members' daily counts.

`DIR/bands.parquet` (long format, one row per day, place, state and quantile):

| column | type | meaning |
|---|---|---|
| `day` | int32 | day of the run (0 = start date) |
| `date` | date32 | its date |
| `place` | string | a place id, `FROM>TO` for people on a route, or `*` for all positions |
| `state` | string | a state, or `*` for all states |
| `quantile` | float64 | 0.05, 0.25, 0.5, 0.75 or 0.95 |
| `count` | float64 | that quantile of the members' counts (linear interpolation) |

A member with nobody at a place in a state on a day counts 0 there (the daily tables keep only
non-zero cells), so every quantile is over all members; a (day, place, state) where every
member has 0 has no rows. Rows `(place, "*")` are the people at a place in any state, rows
`("*", state)` the people in a state wherever they are, and `("*", "*")` everyone departed.
The number of members is in the file's metadata (`members`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from corridor.io.atomic import write_parquet

BANDS = "bands.parquet"
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
ALL = "*"
SCHEMA = pa.schema([("day", pa.int32()), ("date", pa.date32()), ("place", pa.string()),
                    ("state", pa.string()), ("quantile", pa.float64()), ("count", pa.float64())])

_SQL = """
WITH d AS (
    SELECT filename AS m, day, date, place, state, count
    FROM read_parquet($files, filename = true)
), agg AS (
    SELECT m, day, date, coalesce(place, '{all}') AS place, coalesce(state, '{all}') AS state,
           sum(count) AS c
    FROM d
    GROUP BY GROUPING SETS ((m, day, date, place, state), (m, day, date, place),
                            (m, day, date, state), (m, day, date))
), keys AS (
    SELECT DISTINCT day, date, place, state FROM agg
), members AS (
    SELECT unnest($files) AS m
), full_grid AS (
    SELECT k.day, k.date, k.place, k.state, coalesce(a.c, 0) AS c
    FROM keys k CROSS JOIN members mm
    LEFT JOIN agg a ON a.m = mm.m AND a.day = k.day AND a.place = k.place AND a.state = k.state
), q AS (
    SELECT day, date, place, state, quantile_cont(c, $quantiles) AS counts
    FROM full_grid GROUP BY day, date, place, state
)
SELECT day, date, place, state, unnest($quantiles) AS quantile, unnest(counts) AS count
FROM q ORDER BY place, state, day, quantile
"""


def compute_bands(daily_files: Sequence[Path]) -> pa.Table:
    """Return the quantile bands over the members' `daily.parquet` files.

    Args:
        daily_files: One `daily.parquet` per member.

    Returns:
        The bands as an Arrow table (see the module documentation for the columns).
    """
    import duckdb

    files = [str(Path(f).resolve()) for f in daily_files]
    if not files:
        return SCHEMA.empty_table()
    con = duckdb.connect()
    try:
        sql = _SQL.format(all=ALL)
        relation = con.sql(sql, params={"files": files, "quantiles": list(QUANTILES)})
        # duckdb 2 names it to_arrow_table, 1.x arrow
        fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
        table = fetch().cast(SCHEMA)
    finally:
        con.close()
    return table.replace_schema_metadata({"members": str(len(files))})


def write_bands(folder: Path, member_folders: Sequence[Path]) -> Path:
    """Compute the bands over some member folders and write `folder/bands.parquet`.

    Returns:
        The path written (under a temporary name first, then renamed).
    """
    path = Path(folder) / BANDS
    write_parquet(path, compute_bands([Path(m) / "daily.parquet" for m in member_folders]))
    return path


def read_bands(folder: Path) -> pa.Table:
    """Read `bands.parquet` of an ensemble folder (or the file itself)."""
    import pyarrow.parquet as pq

    path = Path(folder)
    return pq.read_table(path / BANDS if path.is_dir() else path)


def series(bands: pa.Table, place: str = ALL, state: str = ALL) -> dict[float, pa.Table]:
    """Return, for each quantile, the (day, date, count) rows of one place and state."""
    import pyarrow.compute as pc

    rows = bands.filter(pc.and_(pc.equal(bands.column("place"), place),
                                pc.equal(bands.column("state"), state)))
    return {q: rows.filter(pc.equal(rows.column("quantile"), q)).select(["day", "date", "count"])
            for q in QUANTILES}
