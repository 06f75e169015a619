"""Plain-language summary of a run, and the final-state tables (what a journalist reads first)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from corridor.report import cohorts, stages
from corridor.report.data import RunData
from corridor.report.geo import country_name
from corridor.report.stages import BETWEEN, NOT_CROSSED, PORT, SankeyData
from corridor.report.style import STATE_LABELS, fmt, pct, state_label

# Final states grouped into what a reader asks first: where did they end up?
# (group key, states, phrase after "N (x%)"; the countries where they were follow the phrase).
GROUPS: tuple[tuple[str, frozenset[str], str], ...] = (
    (
        "returned",
        frozenset({"returned_air", "returned_land", "returned_voluntary"}),
        "had been returned by the authorities or gone back on their own",
    ),
    ("detained", frozenset({"detained"}), "were held in a migration station"),
    (
        "stayed",
        frozenset({"settled_south", "asylum_transit", "refugee_transit"}),
        "stayed in a transit country with a work offer or an asylum claim",
    ),
    (
        "border_mx",
        frozenset({"waiting_metering", "waiting_mpp"}),
        "were waiting at the U.S. border, on a port's list or under Remain in Mexico",
    ),
    (
        "in_us",
        frozenset({"us_proceedings", "apprehended_us", "entered_us_irregular"}),
        "had crossed into the U.S.: in asylum proceedings, apprehended, or undetected",
    ),
    (
        "aca",
        frozenset({"transferred_aca"}),
        "had been sent to a third country under an asylum cooperative agreement",
    ),
    (
        "moving",
        frozenset({"in_transit", "waiting", "arrived", "gave_up"}),
        "were still on the way, waiting, or had stopped",
    ),
)
OTHER_GROUP = "other"


@dataclass(frozen=True)
class Fact:
    """One number (or date) a sentence of the summary states, and what it counts.

    Attributes:
        cohort: The cohort it counts (None: everybody in the run).
        measure: "departed"; "departed_from" (key: origin place id); "first_departure" and
            "last_departure" (value: the date's ordinal); "departed_other" (key: "country
            code:place ids named", the people from the country's other places); "final"
            (key: a group of `GROUPS`);
            "final_in" (key: "group@country code"); "final_elsewhere" (key: "group@country
            codes named"); "border_approach" (key: how they met the border, as in the
            outcomes diagram); "country" (key: country code of the last
            position); "border_reached".
        key: What within the measure.
        value: The number.
    """

    cohort: str | None
    measure: str
    key: str
    value: int


@dataclass
class Statement:
    """A sentence of the summary, with the facts it states (checked by the tests)."""

    text: str
    facts: list[Fact]


@dataclass(frozen=True)
class FinalState:
    """People in one state on the last day."""

    state: str
    count: int


def final_states(run: RunData) -> dict[str, int]:
    """People per state on the last day (from `summary.json`)."""
    return {str(k): int(v) for k, v in (run.summary.get("by_state") or {}).items() if int(v) > 0}


def _country_of(run: RunData, place: str) -> str:
    first = place.split(">", 1)[0]
    p = run.places.get(first)
    return p.country if p else ""


def final_countries(run: RunData) -> Counter:
    """People per country of their final position (from `outcomes.parquet`)."""
    out: Counter = Counter()
    rows = run.outcomes.select(["place", "count"]).to_pylist()
    for row in rows:
        out[_country_of(run, row["place"])] += int(row["count"])
    return out


def group_of(state: str) -> str:
    """The key of the group of `GROUPS` a final state belongs to."""
    for key, members, _ in GROUPS:
        if state in members:
            return key
    return OTHER_GROUP


def group_countries(run: RunData) -> dict[str, Counter]:
    """People per group of final states, and within it per country (from `outcomes.parquet`)."""
    out: dict[str, Counter] = {}
    for row in run.outcomes.select(["state", "place", "count"]).to_pylist():
        group = group_of(row["state"])
        out.setdefault(group, Counter())[_country_of(run, row["place"])] += int(row["count"])
    return out


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _name(code: str) -> str:
    return country_name(code) if code else "unknown places"


def _date_text(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _span_text(first: date, last: date) -> str:
    if first == last:
        return f"on {_date_text(first)}"
    if (first.year, first.month) == (last.year, last.month):
        return f"between {first.day} and {last.day} {last:%B %Y}"
    return f"between {_date_text(first)} and {_date_text(last)}"


def departure_statement(run: RunData, cohort: str | None, who: str) -> Statement:
    """The departures sentence: N people departed from A (n), B (n) in Honduras, between …."""
    departed = run.departed
    facts = [Fact(cohort, "departed", "", departed)]
    by_origin = cohorts.origins(run)
    text = f"{who}: {fmt(departed)} people departed"
    if by_origin and "" not in by_origin:
        by_country: dict[str, list[tuple[str, int]]] = {}
        for place, n in by_origin.most_common():
            by_country.setdefault(_country_of(run, place), []).append((place, n))
        parts = []
        order = list(dict.fromkeys(p.country for p in run.places.values()))
        ranked = sorted(by_country, key=lambda c: order.index(c) if c in order else len(order))
        for country in ranked:
            places = by_country[country]
            named = places[:3]
            for place, n in named:
                facts.append(Fact(cohort, "departed_from", place, n))
            names = [f"{run.place_name(p)} ({fmt(n)})" for p, n in named]
            rest = sum(n for _, n in places[3:])
            if rest:
                shown = ",".join(p for p, _ in named)
                facts.append(Fact(cohort, "departed_other", f"{country}:{shown}", rest))
                others = len(places) - 3
                names.append(f"{others} other place{'s' if others > 1 else ''} ({fmt(rest)})")
            parts.append(f"{_join(names)} in {_name(country)}")
        text += " from " + "; and from ".join(parts)
    span = cohorts.departure_dates(run, cohort)
    if span:
        facts += [
            Fact(cohort, "first_departure", "", span[0].toordinal()),
            Fact(cohort, "last_departure", "", span[1].toordinal()),
        ]
        text += f", {_span_text(*span)}"
    return Statement(text + ".", facts)


def final_statement(run: RunData, cohort: str | None) -> Statement | None:
    """The last-day sentence: N (x %) had been returned … (n in Honduras, n in Guatemala); …."""
    departed = run.departed
    by_group = group_countries(run)
    phrases = dict((k, p) for k, _, p in GROUPS) | {OTHER_GROUP: "were in other states"}
    ranked = sorted(by_group.items(), key=lambda kv: -sum(kv[1].values()))
    parts = []
    facts = []
    for key, countries in ranked:
        n = sum(countries.values())
        if n == 0:
            continue
        facts.append(Fact(cohort, "final", key, n))
        where = [(c, m) for c, m in countries.most_common() if m]
        if len(where) == 1:
            facts.append(Fact(cohort, "final_in", f"{key}@{where[0][0]}", n))
            detail = f" (all in {_name(where[0][0])})"
        else:
            shown = where[:3]
            for c, m in shown:
                facts.append(Fact(cohort, "final_in", f"{key}@{c}", m))
            bits = [f"{fmt(m)} in {_name(c)}" for c, m in shown]
            rest = sum(m for _, m in where[3:])
            if rest:
                shown_codes = ",".join(c for c, _ in shown)
                facts.append(Fact(cohort, "final_elsewhere", f"{key}@{shown_codes}", rest))
                bits.append(f"{fmt(rest)} elsewhere")
            detail = f" ({', '.join(bits)})"
        parts.append(f"{fmt(n)} ({pct(n, departed)}) {phrases[key]}{detail}")
    if not parts:
        return None
    return Statement(f"On {_date_text(run.end_date)}, the last day, {'; '.join(parts)}.", facts)


def country_statement(run: RunData, cohort: str | None) -> Statement | None:
    """The by-country sentence: N (x %) in Honduras, … (the country of each last position)."""
    countries = final_countries(run)
    if len(countries) <= 1:
        return None
    facts = []
    parts = []
    for c, n in countries.most_common(4):
        facts.append(Fact(cohort, "country", c, n))
        parts.append(f"{fmt(n)} ({pct(n, run.departed)}) in {_name(c)}")
    return Statement(f"Whatever their state, {_join(parts)}.".replace("..", "."), facts)


def border_statement(sankey: SankeyData, cohort: str | None) -> Statement | None:
    """How the people who reached the border met it, as a statement."""
    text = border_sentence(sankey)
    if not text:
        return None
    facts = [Fact(cohort, "border_reached", "", sum(sankey.border.values()))]
    by_approach: Counter = Counter()
    for (approach, _), n in sankey.border.items():
        by_approach[approach] += n
    facts += [Fact(cohort, "border_approach", k, n) for k, n in by_approach.items() if n]
    return Statement(text, facts)


def border_sentence(sankey: SankeyData) -> str:
    """How the people who reached the border met it, in numbers (empty if nobody did)."""
    reached = sum(sankey.border.values())
    if reached == 0:
        return ""
    by_approach: Counter = Counter()
    for (approach, _), n in sankey.border.items():
        by_approach[approach] += n
    parts = []
    for key, text in (
        (PORT, "went to a port of entry, where asylum is asked"),
        (BETWEEN, "crossed between ports"),
        (NOT_CROSSED, "had not crossed by the last day"),
    ):
        if by_approach[key]:
            parts.append(f"{fmt(by_approach[key])} ({pct(by_approach[key], reached)}) {text}")
    where = sankey.border_label.removeprefix("Reached ")
    return f"Of the {fmt(reached)} who reached {where}, {_join(parts)}."


def statements(run: RunData) -> list[tuple[str | None, list[Statement]]]:
    """The summary as paragraphs of statements: each cohort (the caravan first), then everyone.

    Returns:
        (cohort or None for the whole run, its statements) per paragraph.
    """
    out: list[tuple[str | None, list[Statement]]] = []
    names = cohorts.names(run)
    parts = [(c, cohorts.cohort_run(run, c)) for c in names] if len(names) > 1 else []
    for cohort, sub in parts:
        who = cohorts.label(cohort)
        who = who[0].upper() + who[1:]
        items = [departure_statement(sub, cohort, who)]
        items += [s for s in (final_statement(sub, cohort), country_statement(sub, cohort)) if s]
        border = border_statement(stages.build(sub), cohort)
        if border:
            items.append(border)
        out.append((cohort, items))
    items = [departure_statement(run, None, "The whole corridor" if parts else "Departures")]
    items += [s for s in (final_statement(run, None), country_statement(run, None)) if s]
    border = border_statement(stages.build(run), None)
    if border:
        items.append(border)
    out.append((None, items))
    return out


def intro(run: RunData) -> str:
    """The report's first sentence: the scenario, its dates, and what the numbers are."""
    start, end = run.start_date, run.end_date
    title = run.title or run.scenario.get("name") or run.run.get("scenario", "")
    return (
        f"{title}. This simulated run follows the scenario over {run.days} days, from "
        f"{_date_text(start)} to {_date_text(end)}. These are the numbers of one run of a model "
        f"(seed {run.run.get('seed', '?')}), not observations; the section on observations "
        "compares them with what was reported."
    )


def paragraphs(run: RunData) -> list[str]:
    """The summary at the top of the report: the intro, then one paragraph per cohort and all."""
    return [intro(run)] + [" ".join(s.text for s in items) for _, items in statements(run)]


def paragraph(run: RunData, sankey: SankeyData | None = None) -> str:
    """The whole summary as one paragraph (compare mode; `sankey` is no longer needed)."""
    return " ".join(paragraphs(run))


def compare_paragraph(a: RunData, b: RunData) -> str:
    """Plain-language differences of run B against run A: set-up, change, largest effects."""
    from corridor.analysis.run_diff import confounders, differences

    sa, sb = final_states(a), final_states(b)
    diffs = sorted(
        ((sb.get(s, 0) - sa.get(s, 0), s) for s in set(sa) | set(sb)),
        key=lambda d: abs(d[0]),
        reverse=True,
    )
    changes = [f"{state_label(s)} {'+' if d > 0 else '−'}{fmt(abs(d))}" for d, s in diffs[:4] if d]
    text = [f"Run {b.label} is compared with run {a.label}."]
    runs_differ = differences(a.run, b.run)
    if runs_differ:
        listed = "; ".join(f"{d.field} {d.a} in {a.label}, {d.b} in {b.label}" for d in runs_differ)
        text.append(f"The runs differ in: {listed}.")
    else:
        text.append("The runs differ in nothing recorded in run.json.")
    unfair = confounders(runs_differ)
    if unfair:
        text.append(
            "Warning: they differ in "
            + ", ".join(d.field for d in unfair)
            + ", not only in the change tested: the differences below mix that with the "
            "change, and are not its effect."
        )
    else:
        text.append(
            "Same scenario, seed, days and engine: the differences below come from the change, "
            "for this one seed (an ensemble what-if gives the effect with its spread)."
        )
    if a.departed != b.departed:
        text.append(f"Departed: {fmt(a.departed)} in {a.label}, {fmt(b.departed)} in {b.label}.")
    if changes:
        text.append(
            f"Largest changes on the last day ({b.label} minus {a.label}): {_join(changes)}."
        )
    else:
        text.append("The final states are the same in both runs.")
    return " ".join(text)


def state_rows(runs: list[RunData]) -> tuple[list[str], list[list[str]]]:
    """Header and cells of the final-states table (one column pair per run, and B − A)."""
    per_run = [final_states(r) for r in runs]
    order = list(STATE_LABELS)
    states = sorted(
        {s for st in per_run for s in st},
        key=lambda s: (-per_run[0].get(s, 0), order.index(s) if s in order else 99),
    )
    head = ["state", "meaning"]
    for r in runs:
        head += [f"people ({r.label})" if len(runs) > 1 else "people", "share"]
    if len(runs) == 2:
        head.append(f"{runs[1].label} − {runs[0].label}")
    body = []
    for s in states:
        row = [s, state_label(s)]
        for r, st in zip(runs, per_run, strict=True):
            row += [fmt(st.get(s, 0)), pct(st.get(s, 0), r.departed)]
        if len(runs) == 2:
            d = per_run[1].get(s, 0) - per_run[0].get(s, 0)
            row.append(f"{d:+,}" if d else "0")
        body.append(row)
    total = ["all", "departed"]
    for r in runs:
        total += [fmt(r.departed), pct(r.departed, r.departed)]
    if len(runs) == 2:
        d = runs[1].departed - runs[0].departed
        total.append(f"{d:+,}" if d else "0")
    body.append(total)
    return head, body


def border_rows(sankeys: list[SankeyData], labels: list[str]) -> tuple[list[str], list[list[str]]]:
    """Header and cells of the border-split table: how people met the border, and what followed."""
    keys = sorted(
        {k for s in sankeys for k in s.border},
        key=lambda k: (
            [PORT, BETWEEN, NOT_CROSSED].index(k[0]) if k[0] in (PORT, BETWEEN, NOT_CROSSED) else 9,
            k[1],
        ),
    )
    head = ["at the border", "then"]
    for label in labels:
        head += [
            f"people ({label})" if len(labels) > 1 else "people",
            "share of those at the border",
        ]
    body = []
    for approach in dict.fromkeys(k[0] for k in keys):
        sub = [k for k in keys if k[0] == approach]
        row = [approach, "all"]
        for s in sankeys:
            reached = sum(s.border.values())
            n = sum(v for k, v in s.border.items() if k[0] == approach)
            row += [fmt(n), pct(n, reached)]
        body.append(row)
        for k in sub:
            row = ["", k[1]]
            for s in sankeys:
                reached = sum(s.border.values())
                row += [fmt(s.border.get(k, 0)), pct(s.border.get(k, 0), reached)]
            body.append(row)
    if body:
        row = ["reached the border", "total"]
        for s in sankeys:
            row += [
                fmt(sum(s.border.values())),
                pct(sum(s.border.values()), s.departed) + " of departed",
            ]
        body.append(row)
    return head, body
