"""The dashboard's figures, from two run folders (baseline and what-if).

Data preparation is the report's (`corridor.report`: `load_run`, `maps.prepare`,
`daily.prepare`, `stages.build`, `observations.prepare`, `timeline.prepare`) so the page and the
HTML report show the same numbers; what is new here is what only a live page can do: the day
slider on the map, the difference map, the Sankey as an interactive plotly diagram.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow.compute as pc

from corridor.report import daily, maps, observations, stages, timeline
from corridor.report.data import RunData, load_run
from corridor.report.style import FONT_STACK

if TYPE_CHECKING:
    from pathlib import Path

    import plotly.graph_objects as go

LABELS = ("baseline", "what-if")
MORE, FEWER = "#c0392b", "#2471a3"


@dataclass
class Pair:
    """The two runs drawn side by side, and their outcome diagrams."""

    base: RunData
    what: RunData
    sankeys: tuple[stages.SankeyData, stages.SankeyData]

    @property
    def runs(self) -> list[RunData]:
        """Both runs, baseline first."""
        return [self.base, self.what]


def load_pair(base: Path, what: Path) -> Pair:
    """Read both run folders as the report does."""
    a, b = load_run(base, LABELS[0]), load_run(what, LABELS[1])
    return Pair(a, b, (stages.build(a), stages.build(b)))


def headline(pair: Pair) -> list[dict[str, Any]]:
    """Rows of the headline table: departed, reached the border and how, final states."""
    rows = []

    def row(key: str, label: str, a: int, b: int) -> None:
        rows.append({"key": key, "what": label, "baseline": a, "what-if": b, "difference": b - a})

    row("departed", "departed", pair.base.departed, pair.what.departed)
    sa, sb = pair.sankeys
    label = sa.border_label or "Reached the border"
    row("reached-border", label, sum(sa.border.values()), sum(sb.border.values()))
    for approach in (stages.PORT, stages.BETWEEN, stages.NOT_CROSSED):
        a = sum(v for k, v in sa.border.items() if k[0] == approach)
        b = sum(v for k, v in sb.border.items() if k[0] == approach)
        if a or b:
            row(f"border-{approach}", f"  … {approach}", a, b)
    states = dict.fromkeys(list(pair.base.summary["by_state"]) +
                           list(pair.what.summary["by_state"]))
    for state in states:
        a = int(pair.base.summary["by_state"].get(state, 0))
        b = int(pair.what.summary["by_state"].get(state, 0))
        row(f"state-{state}", f"last day: {state.replace('_', ' ')}", a, b)
    return rows


def _style(fig: go.Figure, height: int | None = None) -> go.Figure:
    fig.update_layout(font={"family": FONT_STACK, "size": 12}, margin={"l": 10, "r": 10,
                      "t": 40, "b": 10}, paper_bgcolor="white")
    if height:
        fig.update_layout(height=height)
    return fig


def rules_figure(pair: Pair) -> go.Figure:
    """The rules on a timeline, both runs (a black outline: applied in one run only)."""
    return _style(timeline.plotly_figure(timeline.prepare(pair.runs), pair.runs))


def _present(run: RunData, ids: list[str]) -> np.ndarray:
    """People at each place (rows: days, columns: `ids`), on-road positions left out."""
    table = run.daily.group_by(["day", "place"]).aggregate([("count", "sum")])
    out = np.zeros((run.days, len(ids)), dtype=np.int64)
    index = {p: i for i, p in enumerate(ids)}
    for day, place, n in zip(table["day"].to_pylist(), table["place"].to_pylist(),
                             table["count_sum"].to_pylist(), strict=True):
        if place in index and 0 <= day < run.days:
            out[day, index[place]] += n
    return out


def map_figure(pair: Pair) -> go.Figure:
    """Both runs side by side: flows over the run, and people at each place on a day.

    The day slider (with a play button) moves the circles, which are sized by the number of
    people at the place that day, in the browser, with no call to the server.
    """
    import plotly.graph_objects as go

    first = maps.prepare(pair.base)
    prepared = [maps.relabel(first, 0.45),
                maps.relabel(maps.prepare(pair.what, window=first.window), 0.45)]
    fig = maps.plotly_figure(list(zip(LABELS, prepared, strict=True)))
    ids = [p.id for p in first.places]
    xs = [p.lon for p in first.places]
    ys = [p.lat for p in first.places]
    present = [_present(r, ids) for r in pair.runs]
    peak = max(int(p.max()) for p in present) or 1
    dates = [pair.base.start_date.fromordinal(pair.base.start_date.toordinal() + d)
             for d in range(pair.base.days)]
    names = [p.name for p in first.places]

    def trace(col: int, day: int) -> dict[str, Any]:
        counts = present[col][day]
        return {"x": xs, "y": ys, "marker": {"size": (4 + 40 * np.sqrt(counts / peak)).tolist(),
                                             "color": "rgba(230,126,34,0.55)",
                                             "line": {"width": 1, "color": "#a04000"}},
                "customdata": counts.tolist()}

    indices = []
    for col in (0, 1):
        fig.add_trace(go.Scatter(mode="markers", name="people there that day", text=names,
                                 hovertemplate="<b>%{text}</b><br>%{customdata:,} people there"
                                 "<extra></extra>", showlegend=col == 0, **trace(col, 0)),
                      row=1, col=col + 1)
        indices.append(len(fig.data) - 1)
    step = max(1, pair.base.days // 72)
    days = list(range(0, pair.base.days, step))
    fig.frames = [go.Frame(name=str(d), traces=indices, data=[trace(0, d), trace(1, d)])
                  for d in days]
    fig.update_layout(
        sliders=[{"active": 0, "currentvalue": {"prefix": "day: "}, "pad": {"t": 30},
                  "steps": [{"label": dates[d].isoformat(), "method": "animate",
                             "args": [[str(d)], {"mode": "immediate", "frame": {"duration": 0,
                                                 "redraw": False}, "transition": {"duration": 0}}]}
                            for d in days]}],
        updatemenus=[{"type": "buttons", "showactive": False, "x": 0, "y": -0.02,
                      "xanchor": "right", "yanchor": "top", "pad": {"t": 30, "r": 10},
                      "buttons": [{"label": "▶ play", "method": "animate",
                                   "args": [None, {"frame": {"duration": 120, "redraw": False},
                                                   "fromcurrent": True,
                                                   "transition": {"duration": 0}}]},
                                  {"label": "❚❚ pause", "method": "animate",
                                   "args": [[None], {"mode": "immediate", "frame": {
                                       "duration": 0, "redraw": False}}]}]}],
    )
    fig.update_layout(height=(fig.layout.height or 500) + 60, legend={"y": 1.08})
    return _style(fig)


def difference_map(pair: Pair) -> go.Figure:
    """Flows of the what-if minus the baseline: red lines more people, blue fewer."""
    import plotly.graph_objects as go

    base = maps.prepare(pair.base)
    what = maps.prepare(pair.what, window=base.window)
    totals: dict[tuple[str, str], list[Any]] = {}
    for sign, m in ((-1, base), (1, what)):
        for f in m.flows:
            key = tuple(sorted((f.a.id, f.b.id)))
            entry = totals.setdefault(key, [f.a, f.b, 0])
            entry[2] += sign * f.total
    fig = maps.plotly_figure([("what-if − baseline: people who moved along each route",
                               replace(maps.relabel(base, 0.9), flows=[]))])
    biggest = max((abs(v[2]) for v in totals.values()), default=0) or 1
    for a, b, diff in sorted(totals.values(), key=lambda v: abs(v[2])):
        if diff == 0:
            continue
        fig.add_trace(go.Scatter(
            x=[a.lon, b.lon, None], y=[a.lat, b.lat, None], mode="lines",
            line={"color": MORE if diff > 0 else FEWER, "width": 1 + 11 * abs(diff) / biggest},
            opacity=0.75, hoverinfo="text", showlegend=False,
            hovertext=f"{a.name} – {b.name}: {diff:+,} people"))
    for colour, name in ((MORE, "more people in the what-if"), (FEWER, "fewer people")):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line={"color": colour,
                                                                           "width": 4}, name=name))
    return _style(fig)


def daily_figure(pair: Pair) -> go.Figure:
    """Daily counts by country, place and state against the observations (report's panels)."""
    places = daily.top_places(pair.base)
    countries = list(dict.fromkeys(c for r in pair.runs for c in daily.scenario_countries(r)))
    states: list[str] = []
    for r in pair.runs:
        found = daily.prepare(r, places, countries=countries).panels[-1].series
        states += [s.key for s in found if s.key not in states and s.key != daily.DEPARTED]
    prepared = [(r.label, daily.prepare(r, places, states, countries)) for r in pair.runs]
    return _style(daily.plotly_figure(prepared))


def sankey_figure(pair: Pair) -> go.Figure:
    """The outcomes diagram of both runs (departure → countries → border → outcome)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=2, cols=1, specs=[[{"type": "domain"}], [{"type": "domain"}]],
                        subplot_titles=list(LABELS), vertical_spacing=0.08)
    for row, data in enumerate(pair.sankeys, start=1):
        nodes = sorted(data.totals, key=lambda n: (n.column, -data.totals[n]))
        index = {n: i for i, n in enumerate(nodes)}
        fig.add_trace(go.Sankey(
            arrangement="snap",
            node={"label": [data.label(n) for n in nodes], "pad": 8, "thickness": 14,
                  "color": [data.colours.get(n, "#999") for n in nodes]},
            link={"source": [index[a] for a, _ in data.links],
                  "target": [index[b] for _, b in data.links],
                  "value": list(data.links.values()), "color": "rgba(150,150,150,0.35)"},
        ), row=row, col=1)
    return _style(fig, 900)


def score_rows(pair: Pair) -> tuple[list[observations.ScoreRow], str]:
    """The observations scored for both runs, and a one-line summary."""
    if pair.base.scores is None:
        return [], pair.base.scores_note.text or "no observations to score"
    rows = observations.prepare(pair.runs)
    parts = []
    for i, label in enumerate(LABELS):
        inside = sum(1 for r in rows if r.within_range[i])
        measured = sum(1 for r in rows if r.simulated[i] is not None)
        parts.append(f"{label}: {inside} of {measured} measured observations inside their range")
    return rows, "; ".join(parts)


def score_figure(pair: Pair) -> go.Figure | None:
    """The observations against both runs (report's figure), or None without observations."""
    rows, _ = score_rows(pair)
    if not rows:
        return None
    return _style(observations.plotly_figure(rows[: observations.MAX_DOT_ROWS], list(LABELS)))


def border_count(run: RunData) -> int:
    """People who reached the (U.S.) border in a run, as the report counts them."""
    return sum(stages.build(run).border.values())


def state_totals(run: RunData) -> dict[str, np.ndarray]:
    """People in each state on each day (all places)."""
    out: dict[str, np.ndarray] = {}
    table = run.daily.group_by(["day", "state"]).aggregate([("count", "sum")])
    for state in pc.unique(table["state"]).to_pylist():
        sub = table.filter(pc.equal(table["state"], state))
        values = np.zeros(run.days, dtype=np.int64)
        values[np.asarray(sub["day"])] = np.asarray(sub["count_sum"])
        out[state] = values
    return out
