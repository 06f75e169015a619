"""A run split by cohort (the `cohort` column of `departures.csv`: e.g. caravan, background).

`outcomes.parquet` gives each person's cohort and origin; `daily.parquet` the daily counts by
cohort (`RunData.cohorts`). Cohort labels are those of every output table: the departures'
`cohort`, `other` for people without one, `all` when no departure names a cohort.
`cohort_run` returns a `RunData` restricted to one cohort, so that every part of the report
(summary, Sankey, daily panels) can be drawn for it with the same code as for the whole run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from corridor.report.data import RunData

# Cohorts told first, in this order, when a scenario has them; others follow by size.
FIRST = ("caravan",)


def has_cohorts(run: RunData) -> bool:
    """Whether the run's outcomes say which cohort each person belongs to."""
    if "cohort" not in run.outcomes.column_names:
        return False
    return any(c and c != "all" for c in run.outcomes.column("cohort").to_pylist())


def names(run: RunData) -> list[str]:
    """The run's cohorts: those of `FIRST` first, then the others by number of people."""
    if not has_cohorts(run):
        return []
    sizes: Counter = Counter()
    for row in run.outcomes.select(["cohort", "count"]).to_pylist():
        sizes[row["cohort"] or "other"] += int(row["count"])
    return sorted(sizes, key=lambda c: (FIRST.index(c) if c in FIRST else len(FIRST), -sizes[c]))


def label(cohort: str) -> str:
    """How a cohort is named in text ("the caravan", "background flows")."""
    return {"caravan": "the caravan", "background": "background flows"}.get(
        cohort, f"cohort {cohort}"
    )


def _filter(table: pa.Table, cohort: str) -> pa.Table:
    return table.filter(pc.equal(pc.fill_null(table.column("cohort"), "other"), cohort))


def cohort_run(run: RunData, cohort: str) -> RunData:
    """The run restricted to the people of one cohort.

    Outcomes are filtered by their `cohort` column; `summary` is recomputed from them (departed,
    by_state, by_place); the daily table is that cohort's rows of `daily.parquet` (the whole run's
    daily table when the run folder has none, which `has_daily` tells).
    """
    outcomes = _filter(run.outcomes, cohort)
    by_state: Counter = Counter()
    by_place: Counter = Counter()
    for row in outcomes.select(["state", "place", "count"]).to_pylist():
        by_state[row["state"]] += int(row["count"])
        by_place[row["place"]] += int(row["count"])
    summary = {
        **run.summary,
        "departed": sum(by_state.values()),
        "by_state": dict(by_state),
        "by_place": dict(by_place),
    }
    daily = run.daily
    if run.cohorts is not None and run.cohorts.num_rows:
        daily = _filter(run.cohorts, cohort).drop_columns(["cohort"])
    return replace(run, outcomes=outcomes, summary=summary, daily=daily)


def has_daily(run: RunData) -> bool:
    """Whether the run folder has daily counts by cohort (`daily.parquet`'s cohort column)."""
    return run.cohorts is not None and run.cohorts.num_rows > 0


def origins(run: RunData) -> Counter:
    """People who departed, by origin place id (from `outcomes.parquet`; "" if not recorded)."""
    out: Counter = Counter()
    if "origin" not in run.outcomes.column_names:
        return out
    for row in run.outcomes.select(["origin", "count"]).to_pylist():
        out[row["origin"] or ""] += int(row["count"])
    return out


def departure_dates(run: RunData, cohort: str | None) -> tuple[date, date] | None:
    """First and last day with departures of a cohort within the run (from `departures.csv`)."""
    days = []
    for row in run.departures:
        if cohort is not None and (row.get("cohort") or "other") != cohort:
            continue
        try:
            day = date.fromisoformat(row.get("date", ""))
            count = int(float(row.get("count") or 0))
        except ValueError:
            continue
        if count > 0 and run.start_date <= day <= run.end_date:
            days.append(day)
    return (min(days), max(days)) if days else None
