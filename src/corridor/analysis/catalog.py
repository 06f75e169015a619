"""The run catalog of an ensemble, sweep or sensitivity study: an embedded DuckDB database.

`DIR/catalog.duckdb` has three tables:

- `study`: one row (`key` = "study") holding the study's fingerprint — kind, scenario, digest
  of the scenario after `--set`, root seed, points — as JSON. A second command on the same
  folder must have the same fingerprint (or it would mix two studies); it may ask for more
  members, which extends the study (member k's seed does not depend on the number of members).
- `points`: one row per point of the study (`point`, `settings` JSON, `values` JSON, `digest`).
- `members`: one row per finished member, keyed by (`point`, `member`): run id, scenario
  digest, parameters (the point's settings), root seed and spawn key, status (`done` or
  `failed`), wall time, metrics (JSON), simulated values of the observations (JSON), error,
  host and finishing time. A member that runs again replaces its row, so no member is ever
  in the catalog twice.

Only the process that runs the study writes the catalog; workers send back a small summary.
DuckDB allows one writing process at a time: query a catalog when its study is not running
(`duckdb DIR/catalog.duckdb "select status, count(*) from members group by 1"`).
"""

from __future__ import annotations

import contextlib
import json
import signal
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corridor.errors import CorridorError

CATALOG = "catalog.duckdb"
DONE, FAILED = "done", "failed"

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS study (key VARCHAR PRIMARY KEY, value VARCHAR)",
    "CREATE TABLE IF NOT EXISTS points (point INTEGER PRIMARY KEY, settings VARCHAR, "
    "\"values\" VARCHAR, digest VARCHAR)",
    "CREATE TABLE IF NOT EXISTS members (point INTEGER, member INTEGER, run_id VARCHAR, "
    "scenario VARCHAR, scenario_digest VARCHAR, parameters VARCHAR, seed UBIGINT, "
    "spawn_key VARCHAR, status VARCHAR, wall_time_s DOUBLE, metrics VARCHAR, "
    "observations VARCHAR, error VARCHAR, host VARCHAR, finished TIMESTAMPTZ, "
    "PRIMARY KEY (point, member))",
)


class CatalogError(CorridorError):
    """The catalog belongs to another study, or cannot be opened."""


@dataclass(frozen=True)
class MemberSummary:
    """What a worker sends back about one member: small, whatever the size of the run.

    Attributes:
        point: Index of the study point (0 for an ensemble).
        member: Index of the member at that point; its seeds are the member-th spawned child
            of the root `SeedSequence`.
        run_id: The run id written in the member's tables.
        scenario_digest: Digest of the member's scenario (settings included).
        seed: The root seed.
        status: `done` or `failed`.
        wall_time_s: Time the worker spent on the member (run, files, metrics).
        metrics: Output metrics (name → value) computed in the worker.
        observations: The member's value of each observation of the scenario, in file order
            (None where the run does not cover the observed period), or None if not asked.
        by_state: Final counts by state.
        error: Why the member failed (`Type: message`).
        host: Where it ran (host name and process id).
    """

    point: int
    member: int
    run_id: str = ""
    scenario_digest: str = ""
    seed: int = 0
    status: str = DONE
    wall_time_s: float = 0.0
    metrics: dict[str, float] = field(default_factory=dict)
    observations: list[float | None] | None = None
    by_state: dict[str, int] = field(default_factory=dict)
    error: str = ""
    host: str = ""


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


@contextlib.contextmanager
def _ctrl_c_after() -> Iterator[None]:
    """Hold a Ctrl-C until the database call is over, then raise it.

    DuckDB turns a Ctrl-C during a query into "Query interrupted" and drops the interrupt; held
    back, a row is either written or not, and the command still stops as asked.
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    pressed: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, _frame: pressed.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if pressed:
        raise KeyboardInterrupt


class RunCatalog:
    """The DuckDB catalog of one study folder (see the module documentation).

    Args:
        folder: The study folder; `catalog.duckdb` is created in it.
        read_only: Open without writing (for reading a finished study).

    Raises:
        CatalogError: When the database is locked by another running study, or is not a
            catalog.
    """

    def __init__(self, folder: Path, read_only: bool = False):
        import duckdb

        self.path = Path(folder) / CATALOG
        if read_only and not self.path.is_file():
            raise CatalogError(f"{folder} has no {CATALOG}; is it a folder written by "
                               "`corridor ensemble` or `corridor sweep`?")
        try:
            self.db = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as err:
            raise CatalogError(f"cannot open {self.path}: {err}. Is another corridor command "
                               "running on this folder?") from None
        if not read_only:
            for statement in _SCHEMA:
                self.execute(statement)
        self.scenario = (self.fingerprint() or {}).get("scenario", "")

    def execute(self, sql: str, params: list[Any] | None = None) -> Any:
        """Run one statement (a Ctrl-C meanwhile is raised once it is over)."""
        with _ctrl_c_after():
            return self.db.execute(sql, params or [])

    def close(self) -> None:
        """Close the database (every write is already committed)."""
        self.db.close()

    def __enter__(self) -> RunCatalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the study ---------------------------------------------------------------------------
    def fingerprint(self) -> dict[str, Any] | None:
        """Return the study's fingerprint, or None for a new catalog."""
        row = self.execute("SELECT value FROM study WHERE key = 'study'").fetchone()
        return None if row is None else json.loads(row[0])

    def claim(self, fingerprint: dict[str, Any], points: Iterable[tuple[int, list[str],
                                                                         dict, str]]) -> None:
        """Record a new study, or check that the folder holds the same one.

        Args:
            fingerprint: What identifies the study (JSON-serialisable).
            points: (index, settings, values, digest) of each point.

        Raises:
            CatalogError: When the folder holds a different study, naming what differs.
        """
        old = self.fingerprint()
        new = json.loads(_json(fingerprint))
        if old is not None and old != new:
            differs = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            raise CatalogError(
                f"{self.path.parent} holds another study (it differs in: {', '.join(differs)}; "
                f"there: {', '.join(f'{k}={old.get(k)!r}' for k in differs)}). Re-run the "
                "original command to resume it, or choose another --out folder.")
        if old is None:
            with _ctrl_c_after():
                self.db.execute("BEGIN TRANSACTION")
                self.db.execute("INSERT INTO study VALUES ('study', ?)", [_json(fingerprint)])
                self.db.executemany("INSERT OR REPLACE INTO points VALUES (?, ?, ?, ?)",
                                    [[i, _json(s), _json(v), d] for i, s, v, d in points])
                self.db.execute("COMMIT")
        self.scenario = str(new.get("scenario", ""))

    # --- members -----------------------------------------------------------------------------
    def record(self, summary: MemberSummary, parameters: dict[str, Any], spawn_key: tuple
               ) -> None:
        """Record a finished (or failed) member, replacing an earlier row of the same member."""
        import datetime as dt

        s = summary
        self.execute(
            "INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [s.point, s.member, s.run_id, self.scenario, s.scenario_digest,
             _json(parameters), s.seed, _json(list(spawn_key)), s.status, s.wall_time_s,
             _json(s.metrics), None if s.observations is None else _json(s.observations),
             s.error, s.host, dt.datetime.now(dt.UTC)])

    def done(self) -> set[tuple[int, int]]:
        """Return the (point, member) pairs that finished."""
        rows = self.execute("SELECT point, member FROM members WHERE status = ?",
                            [DONE]).fetchall()
        return {(int(p), int(m)) for p, m in rows}

    def summaries(self, status: str | None = DONE) -> list[MemberSummary]:
        """Return the recorded members (by default the finished ones), by point and member."""
        query = ("SELECT point, member, run_id, scenario_digest, seed, status, wall_time_s, "
                 "metrics, observations, error, host FROM members")
        args: list[Any] = []
        if status is not None:
            query += " WHERE status = ?"
            args.append(status)
        rows = self.execute(query + " ORDER BY point, member", args).fetchall()
        return [MemberSummary(int(p), int(m), run_id, digest, int(seed), st, float(wall),
                              json.loads(metrics), None if obs is None else json.loads(obs),
                              {}, err or "", host or "")
                for p, m, run_id, digest, seed, st, wall, metrics, obs, err, host in rows]

    def counts(self) -> dict[str, int]:
        """Return the number of members by status."""
        rows = self.execute("SELECT status, count(*) FROM members GROUP BY status").fetchall()
        return {str(s): int(n) for s, n in rows}
