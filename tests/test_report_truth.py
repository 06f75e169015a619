"""Every statement of the report's summary, checked against the run's own tables, by cohort.

A real run of caravan-2020 (caravan and background cohorts, origins in three countries). The
expected numbers are recomputed here from `departures.csv`, `outcomes.parquet` and `summary.json`
with pyarrow and the places table, not through the report's code.
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import corridor

RETURNED = {"returned_air", "returned_land", "returned_voluntary"}


@pytest.fixture(scope="module")
def caravan_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("truth") / "base"
    corridor.run("caravan-2020", seed=7, out=out, engine="counts")
    return out


def _places(run: Path) -> dict[str, str]:
    with (run / "scenario" / "places.csv").open(encoding="utf-8") as fh:
        return {r["id"]: r["country"] for r in csv.DictReader(fh) if not r["id"].startswith("#")}


def _departures(run: Path) -> list[dict[str, str]]:
    info = json.loads((run / "run.json").read_text())
    start = date.fromisoformat(info["start_date"])
    with (run / "scenario" / "departures.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if not r["date"].startswith("#")]
    return [r for r in rows if 0 <= (date.fromisoformat(r["date"]) - start).days < info["days"]]


def _outcomes(run: Path) -> list[dict]:
    return pq.read_table(run / "outcomes.parquet").to_pylist()


def test_outcomes_carry_cohort_and_origin_as_departures_csv_says(caravan_run: Path) -> None:
    """People by (cohort, origin) in outcomes.parquet are the departures of departures.csv."""
    expected: Counter = Counter()
    for row in _departures(caravan_run):
        expected[(row["cohort"], row["origin"])] += int(row["count"])
    got: Counter = Counter()
    for row in _outcomes(caravan_run):
        got[(row["cohort"], row["origin"])] += row["count"]
    assert got == expected
    assert {c for c, _ in got} == {"caravan", "background"}
    daily = pq.read_table(caravan_run / "daily.parquet").to_pylist()
    last = max(r["day"] for r in daily)
    on_last: Counter = Counter()
    for r in daily:
        if r["day"] == last:
            on_last[r["cohort"]] += r["count"]
    by_cohort: Counter = Counter()
    for (cohort, _), n in expected.items():
        by_cohort[cohort] += n
    assert on_last == by_cohort


def _expected_fact(run: Path, cohort: str | None, measure: str, key: str) -> int:
    """The value of a summary fact, recomputed from the tables."""
    from corridor.report.summary import group_of  # which states make a group: a definition

    places = _places(run)
    rows = [r for r in _outcomes(run) if cohort is None or r["cohort"] == cohort]
    deps = [r for r in _departures(run) if cohort is None or r["cohort"] == cohort]
    if measure == "departed":
        value = sum(r["count"] for r in rows)
        assert value == sum(int(r["count"]) for r in deps)
        if cohort is None:
            assert value == json.loads((run / "summary.json").read_text())["departed"]
        return value
    if measure == "departed_from":
        return sum(int(r["count"]) for r in deps if r["origin"] == key)
    if measure == "departed_other":
        country, named = key.split(":")
        return sum(
            int(r["count"])
            for r in deps
            if places[r["origin"]] == country and r["origin"] not in named.split(",")
        )
    if measure == "final_elsewhere":
        group, named = key.split("@")
        return sum(
            r["count"]
            for r in rows
            if group_of(r["state"]) == group
            and places[r["place"].split(">")[0]] not in named.split(",")
        )
    if measure in ("first_departure", "last_departure"):
        days = [date.fromisoformat(r["date"]) for r in deps if int(r["count"]) > 0]
        return (min(days) if measure == "first_departure" else max(days)).toordinal()
    if measure == "final":
        return sum(r["count"] for r in rows if group_of(r["state"]) == key)
    if measure == "final_in":
        group, country = key.split("@")
        return sum(
            r["count"]
            for r in rows
            if group_of(r["state"]) == group and places[r["place"].split(">")[0]] == country
        )
    if measure == "country":
        return sum(r["count"] for r in rows if places[r["place"].split(">")[0]] == key)
    if measure == "border_reached":
        from corridor.report.stages import OUTCOMES

        return sum(
            r["count"]
            for r in rows
            if {"border_city", "port_of_entry"} & set(r["kinds"].split(","))
            or OUTCOMES.get(r["state"], (None,))[0] is not None
        )
    if measure == "border_approach":  # the diagram's split (tested in test_report.py)
        from corridor.report.cohorts import cohort_run
        from corridor.report.data import load_run
        from corridor.report.stages import build

        run_data = load_run(run)
        data = build(run_data if cohort is None else cohort_run(run_data, cohort))
        return sum(v for (a, _), v in data.border.items() if a == key)
    raise AssertionError(f"unknown measure {measure}")


def test_each_statement_of_the_summary_matches_the_tables(caravan_run: Path) -> None:
    from corridor.report.data import load_run
    from corridor.report.style import fmt
    from corridor.report.summary import statements

    run = load_run(caravan_run)
    paragraphs = statements(run)
    assert [c for c, _ in paragraphs] == ["caravan", "background", None], "caravan first"
    for cohort, items in paragraphs:
        for item in items:
            numbers = set(re.findall(r"\d{1,3}(?:,\d{3})+|\d+", item.text))
            stated = set()
            last = run.end_date
            if item.text.startswith("On ") and "the last day" in item.text:
                assert item.text.startswith(f"On {last.day} {last:%B %Y}, the last day")
                stated |= {str(last.day), str(last.year)}
            for fact in item.facts:
                assert fact.cohort == cohort
                want = _expected_fact(caravan_run, cohort, fact.measure, fact.key)
                assert fact.value == want, (item.text, fact)
                if fact.measure.endswith("_departure"):
                    day = date.fromordinal(fact.value)
                    assert str(day.day) in numbers and day.strftime("%B") in item.text
                    stated |= {str(day.day), str(day.year)}
                else:
                    assert fmt(fact.value) in numbers, (item.text, fact)
                    stated.add(fmt(fact.value))
            unexplained = {
                n
                for n in numbers - stated
                if not re.fullmatch(r"\d{1,3}", n)  # shares (x %) and counts of other places
            }
            assert not unexplained, (item.text, unexplained)


def test_the_summary_does_not_contradict_itself(caravan_run: Path) -> None:
    """A country's share in one sentence is never above the same country's total."""
    from corridor.report.data import load_run
    from corridor.report.summary import statements

    for cohort, items in statements(load_run(caravan_run)):
        facts = [f for s in items for f in s.facts]
        by_country = {f.key: f.value for f in facts if f.measure == "country"}
        departed = next(f.value for f in facts if f.measure == "departed")
        per_country: Counter = Counter()
        for f in facts:
            if f.measure == "final_in":
                per_country[f.key.split("@")[1]] += f.value
        for country, n in per_country.items():
            if country in by_country:
                assert n <= by_country[country], (cohort, country)
        assert sum(f.value for f in facts if f.measure == "final") == departed


def test_outcomes_diagram_starts_from_the_origin_country(caravan_run: Path) -> None:
    """The first column counts people by the country they departed from (departures.csv)."""
    from corridor.report.data import load_run
    from corridor.report.geo import country_name
    from corridor.report.stages import build

    places = _places(caravan_run)
    expected: Counter = Counter()
    for row in _departures(caravan_run):
        expected[f"Departed ({country_name(places[row['origin']])})"] += int(row["count"])
    data = build(load_run(caravan_run))
    first = {n.label: v for n, v in data.totals.items() if n.column == 0}
    assert first == dict(expected)


def test_report_opens_with_the_caravan_and_lets_readers_pick_a_cohort(caravan_run: Path) -> None:
    from corridor.report import write_report

    text = write_report(caravan_run).read_text(encoding="utf-8")
    sections = re.findall(r'<section id="([^"]+)"', text)
    assert sections[0] == "cohort-caravan"
    summary = html.unescape(text[text.index('<p class="summary">') : text.index("</header>")])
    assert summary.index("The caravan:") < summary.index("Background flows:")
    assert summary.index("Background flows:") < summary.index("The whole corridor:")
    daily = text[text.index('id="daily"') : text.index('id="outcomes"')]
    assert '"updatemenus"' in daily and "The caravan" in daily and "Background flows" in daily
    outcomes = text[text.index('id="outcomes"') : text.index('id="observations"')]
    assert outcomes.count('type="radio"') == 3 and outcomes.count("<svg") == 3
