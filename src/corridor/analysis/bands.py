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

CHUNK = 4_000_000  # counts held at a time when computing quantiles (keys × members)

# each member's counts per (day, place, state), and the totals per place, per state and overall
_AGG = """
CREATE TEMP TABLE agg AS
WITH members AS (SELECT unnest($files) AS filename, unnest(range(len($files))) AS m)
SELECT m, day, date, coalesce(place, '{all}') AS place, coalesce(state, '{all}') AS state,
       sum(count)::DOUBLE AS c
FROM read_parquet($files, filename = true) JOIN members USING (filename)
GROUP BY GROUPING SETS ((m, day, date, place, state), (m, day, date, place),
                        (m, day, date, state), (m, day, date))
"""
_KEYS = """
CREATE TEMP TABLE keys AS
SELECT (row_number() OVER (ORDER BY place, state, day) - 1)::BIGINT AS k, day, date, place, state
FROM (SELECT DISTINCT day, date, place, state FROM agg)
"""
_CELLS = "SELECT k, m, c FROM agg JOIN keys USING (day, place, state)"


def _arrow(relation) -> pa.Table:
    fetch = getattr(relation, "to_arrow_table", None) or relation.arrow  # duckdb 2 / 1.x
    return fetch()


def compute_bands(daily_files: Sequence[Path]) -> pa.Table:
    """Return the quantile bands over the members' `daily.parquet` files.

    DuckDB sums each member's counts per key; the quantiles are taken over a dense
    keys × members array (zeros where a member has no row), a slice of keys at a time.

    Args:
        daily_files: One `daily.parquet` per member.

    Returns:
        The bands as an Arrow table (see the module documentation for the columns).
    """
    import duckdb
    import numpy as np

    files = [str(Path(f).resolve()) for f in daily_files]
    if not files:
        return SCHEMA.empty_table()
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(_AGG.format(all=ALL), {"files": files})
        con.execute(_KEYS)
        keys = _arrow(con.sql("SELECT day, date, place, state FROM keys ORDER BY k"))
        cells = _arrow(con.sql(_CELLS))
    finally:
        con.close()
    k = cells.column("k").to_numpy()
    m = cells.column("m").to_numpy()
    c = cells.column("c").to_numpy()
    order = np.argsort(k, kind="stable")
    k, m, c = k[order], m[order], c[order]
    n_keys, n_members = keys.num_rows, len(files)
    out = np.empty((n_keys, len(QUANTILES)))
    step = max(1, CHUNK // n_members)
    for lo in range(0, n_keys, step):
        hi = min(lo + step, n_keys)
        a, b = np.searchsorted(k, [lo, hi])
        grid = np.zeros((hi - lo, n_members))
        grid[k[a:b] - lo, m[a:b]] = c[a:b]
        out[lo:hi] = np.quantile(grid, QUANTILES, axis=1).T
    rows = keys.take(np.repeat(np.arange(n_keys), len(QUANTILES)))
    table = rows.append_column("quantile", pa.array(np.tile(QUANTILES, n_keys)))
    table = table.append_column("count", pa.array(out.ravel()))
    return table.cast(SCHEMA).replace_schema_metadata({"members": str(n_members)})


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
