"""Plain-language summary of a run, and the final-state tables (what a journalist reads first)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from corridor.report.data import RunData
from corridor.report.geo import country_name
from corridor.report.stages import BETWEEN, NOT_CROSSED, PORT, SankeyData
from corridor.report.style import STATE_LABELS, fmt, pct, state_label

# Final states grouped into what a reader asks first: where did they end up?
# (group key, states, phrase after "N (x%)"; {country} is the most common country of the group).
GROUPS: tuple[tuple[str, frozenset[str], str], ...] = (
    (
        "returned",
        frozenset({"returned_air", "returned_land", "returned_voluntary"}),
        "were back in {country}, returned by the authorities or on their own",
    ),
    ("detained", frozenset({"detained"}), "were held in a migration station in {country}"),
    (
        "stayed",
        frozenset({"settled_south", "asylum_transit", "refugee_transit"}),
        "stayed in {country} with a work offer or an asylum claim",
    ),
    (
        "border_mx",
        frozenset({"waiting_metering", "waiting_mpp"}),
        "were waiting in {country} at the U.S. border, on a port's list or under Remain in Mexico",
    ),
    (
        "in_us",
        frozenset({"us_proceedings", "apprehended_us", "entered_us_irregular"}),
        "were in {country}: in asylum proceedings, apprehended, or undetected",
    ),
    (
        "aca",
        frozenset({"transferred_aca"}),
        "had been sent to {country} under an asylum cooperative agreement",
    ),
    (
        "moving",
        frozenset({"in_transit", "waiting", "arrived", "gave_up"}),
        "were still on the way, waiting, or had stopped, mostly in {country}",
    ),
)


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


def _group_country(run: RunData, states: frozenset[str]) -> str:
    counts: Counter = Counter()
    for row in run.outcomes.select(["state", "place", "count"]).to_pylist():
        if row["state"] in states:
            counts[_country_of(run, row["place"])] += int(row["count"])
    code = counts.most_common(1)[0][0] if counts else ""
    return country_name(code) if code else "the corridor"


def _origin_text(run: RunData) -> str:
    origins = [p for p in run.places.values() if p.kind == "origin"]
    if not origins:
        return ""
    names = ", ".join(p.name for p in origins[:3]) + (" and others" if len(origins) > 3 else "")
    return f" from {names} ({country_name(origins[0].country)})"


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


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


def paragraph(run: RunData, sankey: SankeyData) -> str:
    """The one-paragraph summary at the top of the report (plain text)."""
    departed = run.departed
    start, end = run.start_date, run.end_date
    title = run.title or run.scenario.get("name") or run.run.get("scenario", "")
    text = [
        f"{title}. This simulated run follows the scenario over {run.days} days, from "
        f"{start.day} {start:%B %Y} to {end.day} {end:%B %Y}: {fmt(departed)} people "
        f"departed{_origin_text(run)}."
    ]
    states = final_states(run)
    groups = []
    for _, members, phrase in GROUPS:
        n = sum(states.get(s, 0) for s in members)
        if n:
            groups.append((n, phrase.format(country=_group_country(run, members))))
    other = sum(n for s, n in states.items() if not any(s in g[1] for g in GROUPS))
    if other:
        groups.append((other, "were in other states"))
    groups.sort(reverse=True)
    if groups:
        parts = [f"{fmt(n)} ({pct(n, departed)}) {phrase}" for n, phrase in groups]
        text.append(f"On the last day, {_join(parts)}.")
    countries = final_countries(run)
    if len(countries) > 1:
        parts = [
            f"{pct(n, departed)} in {country_name(c) if c else 'unknown places'}"
            for c, n in countries.most_common(4)
        ]
        text.append(f"By country, {_join(parts)}.")
    sentence = border_sentence(sankey)
    if sentence:
        text.append(sentence)
    text.append(
        f"These are the numbers of one run of a model (seed {run.run.get('seed', '?')}), not "
        "observations; the section on observations compares them with what was reported."
    )
    return " ".join(text)


def compare_paragraph(a: RunData, b: RunData) -> str:
    """Plain-language differences of run B against run A (the largest changes of final states)."""
    sa, sb = final_states(a), final_states(b)
    diffs = sorted(
        ((sb.get(s, 0) - sa.get(s, 0), s) for s in set(sa) | set(sb)),
        key=lambda d: abs(d[0]),
        reverse=True,
    )
    changes = [f"{state_label(s)} {'+' if d > 0 else '−'}{fmt(abs(d))}" for d, s in diffs[:4] if d]
    rules_a, rules_b = set(a.run.get("rules") or []), set(b.run.get("rules") or [])
    text = [f"Run {b.label} is compared with run {a.label}."]
    if rules_a != rules_b:
        only_a, only_b = sorted(rules_a - rules_b), sorted(rules_b - rules_a)
        if only_a:
            text.append(f"Rules applied only in {a.label}: {', '.join(only_a)}.")
        if only_b:
            text.append(f"Rules applied only in {b.label}: {', '.join(only_b)}.")
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
