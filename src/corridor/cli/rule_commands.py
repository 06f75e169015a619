"""`corridor rules` and `corridor explain`."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from typing import Annotated

import typer

from corridor.cli.errors import fail, handle_errors


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{option} {text!r} is not an ISO date (YYYY-MM-DD)")
    return None


def register(app: typer.Typer) -> None:
    """Add the rule commands to the app."""

    @app.command("rules")
    @handle_errors
    def rules_command(
        scenario: Annotated[str, typer.Argument(help="A scenario folder or a built-in name.")],
        on: Annotated[str | None, typer.Option("--on", help="Date (YYYY-MM-DD); default: "
                                               "the scenario's start date.")] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """List a scenario's rules and whether each is in force on a date."""
        from corridor.scenario import load_scenario

        sc = load_scenario(scenario)
        date = _date(on, "--on") or sc.config.start_date
        rows = []
        for rule in sc.rules:
            in_force, why = rule.status_on(date)
            rows.append({"id": rule.id, "kind": rule.kind, "title": rule.title,
                         "where": _where(rule), "who": rule.who.describe(),
                         "start": rule.start, "end": rule.end, "in_force": in_force,
                         "status": why})
        if as_json:
            typer.echo(json.dumps({"date": date.isoformat(), "rules": rows}, default=str,
                                  indent=2))
            return
        from rich.console import Console
        from rich.table import Table

        console = Console()
        narrow = console.width < 110  # the kind is left out (it is in --json)
        table = Table(title=f"{sc.name}: rules on {date}", show_lines=False)
        # ids stay whole (they are typed into --without); the other columns share the
        # terminal's width (COLUMNS) and wrap
        table.add_column("id", no_wrap=True, min_width=max((len(r["id"]) for r in rows),
                                                            default=2))
        if not narrow:
            table.add_column("kind", overflow="fold", ratio=2)
        table.add_column("where", overflow="fold", ratio=3)
        table.add_column("who", overflow="fold", ratio=2)
        table.add_column("in force?", overflow="fold", ratio=3)
        for r in rows:
            mark = "[green]yes[/]" if r["in_force"] else "[red]no[/]"
            cells = [r["id"], r["kind"], r["where"], r["who"], f"{mark} — {r['status']}"]
            table.add_row(*(cells[:1] + cells[2:] if narrow else cells))
        console.print(table)

    @app.command()
    @handle_errors
    def explain(
        scenario: Annotated[str, typer.Argument(help="A scenario folder or a built-in name.")],
        route: Annotated[str, typer.Option(help='Places in order, e.g. "San Pedro Sula>'
                                           'Tecún Umán>Ciudad Juárez" (gaps are filled with '
                                           'the shortest path).')],
        date: Annotated[str, typer.Option(help="Date the person sets out (YYYY-MM-DD).")],
        nationality: Annotated[str, typer.Option(help="ISO country code.")] = "HN",
        attribute: Annotated[list[str] | None, typer.Option(
            "--attribute", help="Group attribute NAME=VALUE (repeatable).")] = None,
        seed: Annotated[int, typer.Option(min=0, max=2**63 - 1, help="Seed of the draws.")] = 0,
        all_outcomes: Annotated[bool, typer.Option(
            "--all-outcomes", help="Also the probability of each end state over many "
            "draws.")] = False,
        draws: Annotated[int, typer.Option(help="Draws for --all-outcomes.")] = 10_000,
        set_: Annotated[list[str] | None, typer.Option("--set")] = None,
        without: Annotated[list[str] | None, typer.Option("--without")] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Trace one person's journey along a route, and every rule met on the way.

        Day by day: where they are, each rule met, in force or not and why, the chance it
        gave, the outcome drawn and the resulting state.
        """
        from corridor.analysis.explain import explain as run_explain
        from corridor.scenario import load_scenario

        settings = list(set_ or []) + [f"rules.{r}.enabled=false" for r in (without or [])]
        sc = load_scenario(scenario, settings)
        start = _date(date, "--date")
        if len(nationality) != 2 or not nationality.isupper():
            fail(f"--nationality {nationality!r} is not an ISO 3166-1 alpha-2 code")
        attrs = {}
        for item in attribute or []:
            if "=" not in item:
                fail(f"--attribute {item!r}: expected NAME=VALUE")
            k, v = item.split("=", 1)
            attrs[k] = v
        result = run_explain(sc, route, start, nationality, attrs, seed=seed,
                             draws=draws if all_outcomes else 1)
        if as_json:
            typer.echo(json.dumps(asdict(result), default=str, indent=2))
            return
        _print_explanation(result)


def _where(rule) -> str:
    where = getattr(rule, "where", None)
    if where is not None:
        return where.describe()
    named = rule.places()
    return ", ".join(named) if named else "—"


def _margin(n: int) -> float:
    """Half-width of a 90 % binomial interval at p = 0.5 for n draws (the widest)."""
    return 1.645 * (0.25 / max(n, 1)) ** 0.5


def _print_explanation(result) -> None:
    from rich.console import Console

    out = Console(highlight=False)
    out.print(f"[bold]{result.scenario}[/]: one person of nationality {result.nationality} "
              f"leaving {result.route[0]} on {result.start} (seed {result.seed})")
    out.print("route: " + " → ".join(result.route))
    out.print("\n[bold]Journey[/]")
    events = {}
    for e in result.events:
        events.setdefault(e.day, []).append(e)
    shown = set()
    for step in result.journey:
        out.print(f"  day {step['day']:>3}  {step['date']}  {step['position']:<40} "
                  f"{step['state']}")
        for day in sorted(d for d in events if d <= step["day"] and d not in shown):
            for e in events[day]:
                chance = f" (chance {e.chance:.2f})" if e.chance is not None else ""
                into = f" → {e.state}" if e.state else ""
                out.print(f"           [cyan]{e.rule}[/] at {e.place} on day {e.day}: "
                          f"{e.event}{chance}: {e.outcome}{into}")
            shown.add(day)
    when = f" on {result.journey[-1]['date']}" if result.journey else ""
    out.print(f"\n[bold]End[/]: {result.final_state} at {result.final_place}{when}")
    for note in result.notes:
        out.print(f"  {note}")
    out.print("\n[bold]Rules along the route[/] (status on the date the person was, or would "
              "have been, there)")
    place = None
    for r in result.rules_met:
        if r.place != place:
            out.print(f"  at {r.place} on {r.date}:")
            place = r.place
        mark = "[green]in force[/]" if r.in_force else "[red]not in force[/]"
        applies = ""
        if r.applies is not None:
            applies = "; applies to this person" if r.applies else \
                f"; does not apply to this person ({r.who})"
        after = " [dim](would be reached after the scenario's end)[/]" if r.after_end else ""
        out.print(f"    [cyan]{r.rule}[/] ({r.kind}) {r.title}: {mark} — {r.status}{applies}"
                  f"{after}")
    if result.outcomes:
        out.print(f"\n[bold]End states over {result.draws:,} draws[/] (independent replicas of "
                  f"this person, each travelling alone; ±{_margin(result.draws):.1%} at most, "
                  f"90 %)")
        for state, share in sorted(result.outcomes.items(), key=lambda kv: -kv[1]):
            out.print(f"  {state:<22} {share:>7.1%}")
