"""`write_report`: from one run folder (or two, to compare) to one self-contained HTML file.

Every figure is drawn for the page (interactive plotly, or inline SVG) and as a PNG in `figures/`.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from corridor.report import (
    closeups,
    cohorts,
    daily,
    maps,
    observations,
    sankey,
    stages,
    summary,
    timeline,
)
from corridor.report.data import RunData, load_run
from corridor.report.html import Section, esc, page
from corridor.report.style import fmt


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write(tmp)` on a temporary file beside `path`, then rename it to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _save_png(
    path: Path | None,
    size: tuple[float, float],
    draw: Callable[[Any], None],
    svg: bool = False,
    layout: str | None = "constrained",
    salt: str = "view",
) -> str:
    """Draw with matplotlib's Agg backend (no display, no global pyplot state), save as PNG.

    Returns:
        The same drawing as an inline `<svg>` element when `svg` is true (text kept as text, no
        namespace URLs, no metadata), else "".
    """
    import io

    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout=layout)
    FigureCanvasAgg(fig)
    draw(fig)
    if path is not None:  # None: the SVG only
        _atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    if not svg:
        return ""
    buffer = io.StringIO()
    salt = path.stem if path is not None else salt
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig.savefig(
            buffer,
            format="svg",
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text, count=4)  # HTML knows inline SVG
    return re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*"', r"<svg \1", text, count=1).replace(
        "<svg ", '<svg style="width:100%;height:auto" ', 1
    )


def _labels(run_dir: Path, compare: Path | None) -> tuple[str, str]:
    a = Path(run_dir).resolve().name
    b = Path(compare).resolve().name if compare else ""
    if not compare:
        return a, ""
    if a == b:
        return "A", "B"
    return a, b


def write_report(run_dir: Path, compare: Path | None = None, out: Path | None = None,
                 staged_as: Path | None = None,
                 progress: Callable[[str, int, int], None] | None = None) -> Path:
    """Write the report of a run as one HTML file that works offline, and a PNG of each figure.

    Args:
        run_dir: A run folder written by `corridor run` (see `docs/design/outputs.md`).
        compare: Another run folder to draw beside the first (a what-if: same scenario with a rule
            disabled, other parameters, another seed).
        out: Where to write the HTML. Default: `report.html` in `run_dir`, or
            `report-vs-<other folder>.html` there in compare mode.
        staged_as: When `run_dir` is the hidden folder of a run being written (see
            `corridor.io.rundir`), the folder it will become: the report names that one, and
            does not ask `run_dir` to be complete yet (the report is part of it).
        progress: Called as `progress(step, done, total)` before each step (reading the runs,
            each section, writing the file), and once more with `done == total` at the end.

    Returns:
        The path of the HTML file. PNGs are written to `figures/` beside it, named after the
        figure (prefixed with the HTML file's name when it is not `report.html`).

    Raises:
        RunFolderError: A run folder lacks a file or a file does not follow the outputs contract.
    """
    step = progress or (lambda _name, _done, _total: None)
    total = 10 + (compare is None)
    step("reading the run folder" + ("s" if compare else ""), 0, total)
    run_dir = Path(run_dir)
    label_a, label_b = _labels(staged_as or run_dir, compare)
    runs = [load_run(run_dir, label_a, complete_required=staged_as is None)]
    if staged_as is not None:
        runs[0].run_dir = Path(staged_as)
    if compare is not None:
        runs.append(load_run(Path(compare), label_b))
    if out is None:
        out = run_dir / ("report.html" if compare is None else f"report-vs-{label_b}.html")
    out = Path(out)
    figures = out.parent / "figures"
    prefix = "" if out.stem == "report" else f"{out.stem}-"

    def png(name: str) -> tuple[Path, str]:
        path = figures / f"{prefix}{name}.png"
        try:
            shown = path.relative_to(out.parent).as_posix()
        except ValueError:
            shown = str(path)
        return path, shown

    step("outcomes per person", 1, total)
    sankeys = [stages.build(r) for r in runs]
    builders: list[tuple[str, Callable[[], list[Section]]]] = [
        ("where people were on the last day", lambda: [_states_section(runs)]),
        ("the map", lambda: [_map_section(runs, png)]),
        ("day by day", lambda: [_daily_section(runs, png)]),
        ("the outcomes diagram", lambda: [_outcomes_section(runs, sankeys, png)]),
        ("the observations", lambda: [_observations_section(runs, png)]),
        ("the rules in force", lambda: [_rules_section(runs, png)]),
        ("about the run", lambda: [_about_section(runs)]),
    ]
    if len(runs) == 1:
        builders.insert(0, ("the first cohort", lambda: _cohort_sections(runs[0], png)))
    sections: list[Section] = []
    done = 2
    for name, build in builders:
        step(name, done, total)
        sections += build()
        done += 1
    step("the summary and the page", done, total)
    a = runs[0]
    if len(runs) == 1:
        paragraphs = summary.paragraphs(a)
    else:
        paragraphs = [summary.compare_paragraph(a, runs[1])] + [
            f"Run {r.label}: {summary.paragraph(r, s)}" for r, s in zip(runs, sankeys, strict=True)
        ]
    title = f"Corridor report: {a.scenario.get('name') or a.run.get('scenario', '')}"
    if len(runs) == 2:
        title += f" — {label_a} vs {label_b}"
    subtitle = (
        f"Run {a.run.get('run_id', '')} · {a.start_date.isoformat()} to "
        f"{a.end_date.isoformat()} · {fmt(a.departed)} people departed"
    )
    created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    footer = (
        f"Written by corridor {a.run.get('corridor_version', '')} on {created} from "
        f"{', '.join(str(r.run_dir) for r in runs)}. The page needs no network: everything "
        "it shows is inside this file."
    )
    document = page(title, subtitle, paragraphs, sections, footer)
    _atomic_write(out, lambda tmp: tmp.write_text(document, encoding="utf-8"))
    step("done", total, total)
    return out


PngFn = Callable[[str], tuple[Path, str]]


def _with_buttons(views: list[tuple[str, Any]]) -> Any:
    """One plotly figure holding the traces of several, with buttons showing one set at a time."""
    fig = views[0][1]
    sizes = [len(fig.data)]
    for _, other in views[1:]:
        for trace in other.data:
            trace.visible = False
            fig.add_trace(trace)
        sizes.append(len(other.data))
    buttons = []
    for i, (name, _) in enumerate(views):
        visible = [j == i for j, n in enumerate(sizes) for _ in range(n)]
        buttons.append({"label": name, "method": "update", "args": [{"visible": visible}]})
    fig.update_layout(
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "buttons": buttons,
                "x": 0,
                "xanchor": "left",
                "y": 1.0,
                "yanchor": "bottom",
                "pad": {"b": 22},
                "showactive": True,
            }
        ],
        margin={"t": 80},
    )
    return fig


def _switch(name: str, views: list[tuple[str, str]]) -> str:
    """Inline HTML showing one of several drawings at a time, chosen by buttons (CSS only)."""
    buttons, panes, rules = [], [], []
    for i, (title, drawing) in enumerate(views):
        key = f"{name}-{i}"
        checked = " checked" if i == 0 else ""
        buttons.append(
            f'<input type="radio" name="{name}" id="{key}" class="switch"{checked}>'
            f'<label for="{key}" class="switch">{esc(title)}</label>'
        )
        panes.append(f'<div class="pane pane-{key}">{drawing}</div>')
        rules.append(f"#{key}:checked ~ .panes .pane-{key} {{ display: block; }}")
    style = "<style>" + " ".join(rules) + "</style>"
    return (
        f'{style}<div class="switcher">{"".join(buttons)}'
        f'<div class="panes">{"".join(panes)}</div></div>'
    )


def _cohort_sections(run: RunData, png: PngFn) -> list[Section]:
    """The first section of a run with cohorts: the first cohort (the caravan) on its own."""
    names = cohorts.names(run)
    if len(names) < 2:
        return []
    cohort = names[0]
    sub = cohorts.cohort_run(run, cohort)
    who = cohorts.label(cohort)
    sec = Section(f"cohort-{cohort}", who[0].upper() + who[1:])
    paragraph = dict(summary.statements(run))[cohort]
    sec.text(paragraph[0].text)
    if cohorts.has_daily(run):
        sec.heading("Where it was each day")
        where = _cohort_countries(sub, cohort)
        path, shown = png(f"cohort-{cohort}-countries")
        _save_png(path, (12.0, 4.2), lambda fig: daily.draw_daily(fig, [(sub.label, where)]),
                  layout=None)
        sec.figure(
            daily.plotly_figure([(sub.label, where)]),
            "People of this cohort in each country, each day from its first departure to the "
            "last day of the run (daily.parquet, cohort column); people on the road count in "
            "the country of the place they left. The numbers are in the table below.",
            shown,
        )
        head, body = _daily_countries(sub, cohort)
        sec.raw("<details><summary>The numbers, day by day</summary>")
        sec.table(head, body, numeric_from=1)
        sec.text(
            "People of this cohort by country of their position (people on the road count in "
            "the country of the place they left), from daily.parquet by cohort: every day of "
            "the first three weeks after the first departure, then every seventh day.",
            "note",
        )
        sec.raw("</details>")
    sec.heading("How it ended")
    for item in paragraph[1:]:
        sec.text(item.text)
    head, body = summary.state_rows([sub])
    sec.table(head, body, numeric_from=2, total_last=True)
    sec.heading("Against the observations")
    span = cohorts.departure_dates(run, cohort)
    rows = observations.prepare([run]) if run.scores is not None else []
    if span and rows:
        window = [
            r
            for r in rows
            if r.period_start <= span[1] + timedelta(days=14) and r.period_end >= span[0]
        ]
        head, body = observations.table_cells(window, [run.label])
        inside = sum(1 for r in window if r.within_range[0])
        measured = sum(1 for r in window if r.simulated[0] is not None)
        sec.text(
            f"{len(window)} observations are dated from its first departure to two weeks after "
            f"its last; {inside} of the {measured} measured are inside their reported range. "
            "The run's value counts everybody the observation counts (background flows "
            "included), as the observers did."
        )
        _dot_plots(
            sec,
            window,
            [run.label],
            f"cohort-{cohort}-observations",
            png,
            "Each row is one of these observations: the black diamond is the reported value "
            "and its bar the range between the lowest and highest figure reported; the "
            "coloured marker is the run's value, green inside the range, red outside.",
        )
        sec.table(head, body, numeric_from=3)
    else:
        sec.text("No observation to compare with (see the observations section).", "note")
    return [sec]


def _cohort_countries(run: RunData, cohort: str) -> daily.DailyData:
    """The country panel of one cohort, from three days before its first departure."""
    data = daily.prepare(run, [], countries=daily.scenario_countries(run))
    span = cohorts.departure_dates(run, cohort)
    first = max((span[0] - run.start_date).days - 3, 0) if span else 0
    panel = data.panels[0]
    series = [replace(s, values=s.values[first:]) for s in panel.series]
    title = f"{cohorts.label(cohort).capitalize()}: people in each country"
    return daily.DailyData(data.dates[first:], [daily.Panel(title, series)])


def _daily_countries(run: RunData, cohort: str) -> tuple[list[str], list[list[str]]]:
    data = daily.prepare(run, [], countries=daily.scenario_countries(run))
    panel = data.panels[0]
    span = cohorts.departure_dates(run, cohort)
    first = (span[0] - run.start_date).days if span else 0
    days = [d for d in range(first, min(first + 21, run.days))]
    days += list(range(first + 21, run.days, 7))
    if run.days - 1 not in days:
        days.append(run.days - 1)
    head = ["date"] + [s.label for s in panel.series]
    body = [
        [data.dates[d].strftime("%a %d %b %Y")] + [fmt(int(s.values[d])) for s in panel.series]
        for d in days
    ]
    return head, body


def _states_section(runs: list[RunData]) -> Section:
    sec = Section("final-states", "Where people were on the last day")
    head, body = summary.state_rows(runs)
    sec.table(head, body, numeric_from=2, total_last=True)
    sec.text(
        f"Counts of people in each state on {runs[0].end_date.isoformat()}, the last day of "
        "the run, from summary.json. Every person is in exactly one state.",
        "note",
    )
    return sec


def _map_section(runs: list[RunData], png: PngFn) -> Section:
    sec = Section("map", "Map of the corridor")
    first = maps.prepare(runs[0])
    prepared = [first, *[maps.prepare(r, window=first.window) for r in runs[1:]]]
    if len(runs) > 1:  # two maps side by side in the PNG, each about 0.7 of a full-width one
        prepared = [maps.relabel(m, 0.72) for m in prepared]
    titles = [f"run {r.label}" if len(runs) > 1 else "" for r in runs]
    path, shown = png("map")
    zooms = [maps.zoom(prepared[0])] * len(prepared)
    if zooms[0] is not None:  # the same window for every run
        zooms = [
            replace(
                zooms[0],
                **{
                    k: getattr(maps.prepare(r, window=zooms[0].window), k)
                    for k in ("through", "flows", "labelled")
                },
            )
            for r in runs
        ]
    rows = 2 if zooms[0] is not None else 1
    width = 11.0 if len(runs) == 1 else 16.0
    height = (8.0 if len(runs) == 1 else 6.0) * (1.75 if rows == 2 else 1.0)

    def draw(fig: Any) -> None:
        axes = fig.subplots(
            rows, len(runs), squeeze=False, height_ratios=[1.0, 0.75] if rows == 2 else None
        )
        for i, (m, t) in enumerate(zip(prepared, titles, strict=True)):
            maps.draw_map(axes[0, i], m, t)
            if rows == 2:
                maps.draw_map(axes[1, i], zooms[i], "zoom on the boxed area", legend=False)
                maps.mark_zoom(axes[0, i], zooms[i], "zoom below")

    _save_png(path, (width, height), draw)
    biggest = first.flows[0] if first.flows else None
    big = (
        f" The busiest route was {biggest.a.name} – {biggest.b.name} ({fmt(biggest.total)} people)."
        if biggest
        else ""
    )
    # names are chosen for each drawing's width: the page's maps are narrower than the PNG's
    on_page = [maps.relabel(m, 0.85 / len(runs)) for m in prepared]
    sec.figure(
        maps.plotly_figure(list(zip(titles, on_page, strict=True))),
        "Places of the scenario (scenario/places.csv) at their latitude and longitude, coloured "
        "by kind; dotted lines are the routes of the network (scenario/routes.csv). Red lines "
        "join places people moved between: their width is the number of people who completed "
        "that hop over the whole run, both directions together (flows.parquet)."
        + big
        + " Names of smaller places are left out where they would overlap: hover over a place "
        "or line for its numbers, drag to zoom, double-click to reset. Country outlines: "
        "Natural Earth 1:110m.",
        shown,
    )
    if zooms[0] is not None:
        sec.figure(
            maps.plotly_figure(
                [(t, maps.relabel(z, 0.85 / len(runs))) for t, z in zip(titles, zooms, strict=True)]
            ),
            "The most crowded part of the map, closer: the same places, routes and flows, "
            "with more of their names.",
        )
    return sec


def _daily_section(runs: list[RunData], png: PngFn) -> Section:
    sec = Section("daily", "Day by day: people in each country, at each place, in each state")
    places = daily.top_places(runs[0])
    countries = list(dict.fromkeys(c for r in runs for c in daily.scenario_countries(r)))
    states: list[str] = []
    for r in runs:
        found = daily.prepare(r, places, countries=countries).panels[-1].series
        states += [s.key for s in found if s.key not in states and s.key != daily.DEPARTED]
    prepared = [daily.prepare(r, places, states, countries) for r in runs]
    pairs = [(r.label, d) for r, d in zip(runs, prepared, strict=True)]
    path, shown = png("daily")
    # margins set by draw_daily: constrained layout takes a second on this many legend entries
    _save_png(path, (13.0, 11.0), lambda fig: daily.draw_daily(fig, pairs), layout=None)
    n_obs = prepared[0].n_observations
    obs_text = (
        f" Diamonds with bars and shaded boxes are the {n_obs} observations that count the same "
        "thing (scenario/observations.csv): the box spans the observed period and the range "
        "between the lowest and highest reported figure. They are drawn again below, close up "
        "and each on its own scale, where a count of hundreds is not lost on an axis that "
        "reaches tens of thousands. Counts of a state are drawn against "
        "the run's total in that state, wherever people were, while the observation may cover "
        "one region only (see its hover text)."
        if n_obs
        else " No observation counts people present at a place or in a state, so none is drawn"
        " here; see the observations section."
    )
    compare = f" Run {runs[1].label} is drawn dashed." if len(runs) > 1 else ""
    fig = daily.plotly_figure(pairs)
    names = cohorts.names(runs[0]) if len(runs) == 1 and cohorts.has_daily(runs[0]) else []
    if len(names) > 1:
        views = [("Everyone", fig)]
        for c in names:
            sub = cohorts.cohort_run(runs[0], c)
            views.append(
                (
                    cohorts.label(c).capitalize(),
                    daily.plotly_figure(
                        [(sub.label, daily.prepare(sub, places, states, countries))]
                    ),
                )
            )
        fig = _with_buttons(views)
    fig = daily.add_scale_buttons(fig, len(prepared[0].panels))
    choose = (
        " The buttons above the figure show one cohort (the cohort column of daily.parquet)"
        " or everyone."
        if len(names) > 1
        else ""
    )
    choose += (
        " The buttons at its top right switch every panel to a log scale, where a count of "
        "hundreds is read beside one of tens of thousands (days with nobody are left out)."
    )
    sec.figure(
        fig,
        "Counts per day from daily.parquet."
        + choose
        + " Top: people in each country of the scenario; people "
        "travelling between two places count in the country of the place they left. Middle: "
        "people at the busiest places (highest daily count); people on the road between places "
        "are not in these lines. Bottom: people in each state; the dotted black line is "
        "everybody who has departed so far."
        + compare
        + obs_text
        + " Click a legend entry to hide a line, double-click to show it alone.",
        shown,
    )
    close = closeups.prepare(pairs)
    if close:
        sec.heading("The observations close up")
        path, shown = png("daily-observations")
        rows = -(-len(close) // closeups.COLUMNS)
        _save_png(path, (12.0, 0.6 + 2.6 * rows), lambda fig: closeups.draw(fig, close))
        sec.figure(
            closeups.plotly_figure(close),
            "Each panel is one line of the figure above (a place, a country or a state) over "
            f"the dates of its observations and {closeups.PAD_DAYS} days either side, on its own "
            "linear scale from 0 to the largest value in that window. The shaded box spans the "
            "observed period and the range between the lowest and highest reported figure; the "
            "diamond is the reported value."
            + (f" Run {runs[1].label} is drawn dashed." if len(runs) > 1 else ""),
            shown,
        )
    return sec


def _outcomes_section(runs: list[RunData], sankeys: list[stages.SankeyData], png: PngFn) -> Section:
    sec = Section("outcomes", "Outcomes: from departure to the last day")
    path, shown = png("outcomes")
    many = len(runs) > 1

    def draw(fig: Any) -> None:
        axes = fig.subplots(len(runs), 1, squeeze=False)[:, 0]
        for ax, s, r in zip(axes, sankeys, runs, strict=True):
            sankey.draw_alluvial(ax, s, f"run {r.label}" if many else "")

    svg = _save_png(path, (12.5, 6.5 * len(runs)), draw, svg=True)
    names = cohorts.names(runs[0]) if not many else []
    if len(names) > 1:
        views = [("Everyone", svg)]
        for c in names:
            sub_sankey = stages.build(cohorts.cohort_run(runs[0], c))
            views.append(
                (
                    cohorts.label(c).capitalize(),
                    _save_png(
                        None,
                        (12.5, 6.5),
                        lambda fig, d=sub_sankey: sankey.draw_alluvial(fig.subplots(), d),
                        svg=True,
                        salt=f"outcomes-{c}",
                    ),
                )
            )
        svg = _switch("outcomes", views)
    border = (
        " At the border, people are split by how they met it: at a port of entry, where asylum "
        "is asked (a port among the places they reached), between ports (apprehended, "
        "undetected, or beyond the border with no port on their path; an asylum claim made "
        "after such a crossing counts here too), or not crossed by the last day."
        if any(s.border for s in sankeys)
        else ""
    )
    camps = (
        " People whose state says only that they are on the move end at the camp or "
        "destination they were at on the last day, or in the country they were in."
    )
    sec.svg(
        svg,
        "Each band is a group of people, as wide as their number (with a small floor so that "
        "a handful of people still shows), followed from departure (left) through the "
        "countries they entered to where they were on the last day (right); every box gives "
        "its number of people and their share of all who departed. Built from "
        "outcomes.parquet: where each person departed from, the countries they have been in, the "
        "kinds of places they reached, their final state. Countries people were sent back to "
        "are not counted as entered."
        + (" The buttons above the diagram show one cohort or everyone." if len(names) > 1 else "")
        + border
        + camps
        + " A box name found in two columns "
        "stands for two groups: people who ended that way at different points of the route.",
        shown,
    )
    if any(s.border for s in sankeys):
        sec.heading(sankeys[0].border_label or "At the border")
        for r, s in zip(runs, sankeys, strict=True):
            sentence = summary.border_sentence(s)
            if sentence:
                sec.text(f"Run {r.label}: {sentence}" if many else sentence)
        head, body = summary.border_rows(sankeys, [r.label for r in runs])
        sec.table(head, body, numeric_from=2, total_last=True)
    return sec


def _observations_section(runs: list[RunData], png: PngFn) -> Section:
    sec = Section("observations", "Observations against the run")
    a = runs[0]
    if a.scores is None:
        sec.note(a.scores_note)
        if a.observations:
            sec.text(
                f"The scenario lists {len(a.observations)} observations "
                "(scenario/observations.csv); they are not scored here.",
                "note",
            )
        return sec
    rows = observations.prepare(runs)
    labels = [r.label for r in runs]
    if not rows:
        sec.text("The score module returned no rows.", "note")
        return sec
    inside = [sum(1 for r in rows if r.within_range[i]) for i in range(len(runs))]
    measured = [sum(1 for r in rows if r.simulated[i] is not None) for i in range(len(runs))]
    counts = "; ".join(
        f"{'run ' + lab + ': ' if len(runs) > 1 else ''}{n} of {m} measured observations inside "
        "their reported range"
        for lab, n, m in zip(labels, inside, measured, strict=True)
    )
    sec.text(
        f"{counts} ({len(rows)} observations in all; an observation outside the run's dates, or "
        "of something the run does not count, is not measured)."
    )
    if len(rows) > observations.MAX_DOT_ROWS:
        sec.text(
            f"With {len(rows)} observations, they are summarised by series below (every row is "
            "in the folded table); counts of people present are drawn over the run's lines in "
            "the day-by-day figure.",
            "note",
        )
        head, body = observations.series_cells(rows, labels)
        sec.table(head, body, numeric_from=2)
        head, body = observations.table_cells(rows, labels)
        sec.raw("<details><summary>Every observation</summary>")
        sec.table(head, body, numeric_from=3)
        sec.raw("</details>")
        return sec
    _dot_plots(
        sec,
        rows,
        labels,
        "observations",
        png,
        "Each row is one observation (scenario/observations.csv): the black diamond is the "
        "reported value and its bar the range between the lowest and highest figure reported. "
        "The coloured marker is the run's value for the same place, period and kind of count, "
        "from corridor.analysis.score: green inside the range, red outside.",
    )
    head, body = observations.table_cells(rows, labels)
    sec.table(head, body, numeric_from=3)
    return sec


def _dot_plots(
    sec: Section,
    rows: list[observations.ScoreRow],
    labels: list[str],
    name: str,
    png: PngFn,
    caption: str,
) -> None:
    """The observations as dot plots: counts of people on a log axis, days on a linear one."""
    counts = [r for r in rows if not observations.is_days(r)]
    days = [r for r in rows if observations.is_days(r)]
    if counts:
        path, shown = png(name)
        _save_png(
            path,
            (12.0, 1.2 + 0.3 * len(counts)),
            lambda fig: observations.draw_scores(fig.subplots(), counts, labels),
        )
        sec.figure(
            observations.plotly_figure(counts, labels),
            caption
            + " Counts of people, on a log scale, so that counts of tens and of tens of "
            "thousands are each read on one axis"
            + (" (the observations of days are drawn below)." if days else "."),
            shown,
        )
    if days:
        path, shown = png(f"{name}-days")
        _save_png(
            path,
            (12.0, 1.4 + 0.3 * len(days)),
            lambda fig: observations.draw_scores(fig.subplots(), days, labels, days=True),
        )
        sec.figure(
            observations.plotly_figure(days, labels, days=True),
            ("The observations that count days, not people (first or median arrival: days "
             "from the period's start to the day people arrived), on a linear scale from 0."
             if counts else caption + " These observations count days (first or median "
             "arrival), on a linear scale from 0."),
            shown,
        )


def _rules_section(runs: list[RunData], png: PngFn) -> Section:
    sec = Section("rules", "Rules in force")
    a = runs[0]
    if a.rules is None:
        sec.note(a.rules_note)
        return sec
    bars = timeline.prepare(runs)
    if not bars:
        sec.text("The scenario's rules.toml defines no rules.", "note")
        return sec
    path, shown = png("rules")
    _save_png(
        path,
        (12.0, 1.4 + 0.42 * len(bars)),
        lambda fig: timeline.draw_timeline(fig.subplots(), bars, runs),
    )
    sec.figure(
        timeline.plotly_figure(bars, runs),
        "Each bar is a rule of scenario/rules.toml, coloured by its kind, from the day it takes "
        "effect to the day it ends (open-ended rules run to the right edge); grey hatched bars "
        "are rules defined but not applied in this run (run.json lists the rules applied). The "
        "dashed lines mark the first and last day of the run. Hover for where each rule applies."
        + (
            " A black outline marks a rule applied in one run and not the other."
            if len(runs) > 1
            else ""
        ),
        shown,
    )
    head = ["rule", "title", "kind", "where", "from", "until"] + (
        [f"applied ({r.label})" for r in runs] if len(runs) > 1 else ["applied"]
    )
    body = [
        [
            b.id,
            b.title,
            b.kind,
            b.where,
            b.start.isoformat() if b.start else "always",
            b.end.isoformat() if b.end else "open-ended",
            *["yes" if on else "no" for on in b.in_force],
        ]
        for b in bars
    ]
    sec.table(head, body, numeric_from=99)
    return sec


def _about_section(runs: list[RunData]) -> Section:
    sec = Section("about", "About this run")
    keys = (
        "run_id",
        "scenario",
        "scenario_digest",
        "corridor_version",
        "engine",
        "model",
        "seed",
        "start_date",
        "days",
        "rules",
        "wall_time_s",
        "created",
    )
    head = ["field"] + [f"run {r.label}" if len(runs) > 1 else "value" for r in runs]
    body = []
    for key in keys:
        values = [r.run.get(key) for r in runs]
        body.append(
            [
                key,
                *[
                    ", ".join(map(str, v)) if isinstance(v, list) else ("" if v is None else str(v))
                    for v in values
                ],
            ]
        )
    body.append(
        ["parameters", *[json.dumps(r.run.get("parameters", {}), sort_keys=True) for r in runs]]
    )
    body.append(["folder", *[str(r.run_dir) for r in runs]])
    sec.table(head, body, numeric_from=99)
    sec.text(
        "From run.json. A run folder holds a copy of its scenario (scenario/), so the run can "
        "be checked and repeated: the same scenario digest, seed and parameters give the "
        "same numbers.",
        "note",
    )
    return sec
