"""Daily counts per country, place and state (from `daily.parquet`), observations over them.

An observation is drawn where it measures the same thing as a line: a count of people present
(`PRESENT_KINDS`) at a place of the scenario goes on the place panel, in a country on the country
panel; a count whose kind is a state goes on the state panel (against the run's total in that
state, wherever they are — the observation's own area is in its hover text). Other observations
(flows, cumulative counts, regions) are compared in the observations section, through the score
module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

import numpy as np

from corridor.report.data import Observation, RunData, normalise
from corridor.report.geo import country_name
from corridor.report.style import (
    EXTRA_COLOURS,
    FONT_STACK,
    RUN_DASHES,
    RUN_MPL_DASHES,
    STATE_LABELS,
    fmt,
    state_colour,
    state_label,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PRESENT_KINDS = frozenset({"present", "count", "population", "stock"})
DEPARTED = "__departed__"
PLACE_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    *EXTRA_COLOURS,
)


@dataclass
class Series:
    """One line: a place's or a state's count on each day of the run."""

    key: str
    label: str
    colour: str
    values: np.ndarray


@dataclass
class Panel:
    """One panel of the figure: its lines and the observations drawn over them."""

    title: str
    series: list[Series] = field(default_factory=list)
    observations: list[tuple[Observation, str]] = field(default_factory=list)
    observed_keys: list[str] = field(default_factory=list)  # the line each observation is on


@dataclass
class DailyData:
    """The panels of the daily-counts figure for one run: countries, places, states."""

    dates: list[date]
    panels: list[Panel] = field(default_factory=list)

    @property
    def n_observations(self) -> int:
        """Observations drawn over the lines, in all panels."""
        return sum(len(p.observations) for p in self.panels)


def _pivot(run: RunData, key: str) -> dict[str, np.ndarray]:
    """Sum `count` by (day, key) into one array over the run's days per key value."""
    table = run.daily.group_by(["day", key]).aggregate([("count", "sum")])
    out: dict[str, np.ndarray] = {}
    for day, k, n in zip(
        table["day"].to_pylist(),
        table[key].to_pylist(),
        table["count_sum"].to_pylist(),
        strict=True,
    ):
        if 0 <= day < run.days:
            out.setdefault(k, np.zeros(run.days, dtype=np.int64))[day] += n
    return out


def top_places(run: RunData, n: int = 8) -> list[str]:
    """Place ids with the highest peak count, plus those with a drawable observation."""
    by_place = {k: v for k, v in _pivot(run, "place").items() if ">" not in k}
    ranked = sorted(by_place, key=lambda k: int(by_place[k].max()), reverse=True)[:n]
    for obs in run.observations:
        pid = run.resolve_place(obs.place)
        if obs.kind in PRESENT_KINDS and pid and pid not in ranked:
            ranked.append(pid)
    return ranked


def scenario_countries(run: RunData) -> list[str]:
    """ISO codes of the scenario's countries, in places.csv order."""
    return list(dict.fromkeys(p.country for p in run.places.values()))


def _country_of(run: RunData, position: str) -> str:
    """Country of a position; people on a route count in the country of the place they left."""
    place = run.places.get(position.split(">", 1)[0])
    return place.country if place else "??"


def prepare(
    run: RunData,
    places: list[str],
    states: list[str] | None = None,
    countries: list[str] | None = None,
) -> DailyData:
    """Compute the panels of one run.

    Args:
        run: The run.
        places: Place ids to draw (use `top_places`; the same list for both runs in compare mode).
        states: States to draw; default: every state in the run.
        countries: Countries to draw; default: the scenario's.
    """
    dates = [run.start_date + timedelta(days=d) for d in range(run.days)]
    zeros = np.zeros(run.days, dtype=np.int64)
    by_position = _pivot(run, "place")

    countries = countries or scenario_countries(run)
    by_country = {c: zeros.copy() for c in countries}
    for position, values in by_position.items():
        code = _country_of(run, position)
        if code in by_country:
            by_country[code] = by_country[code] + values
    c_colour = {c: PLACE_COLOURS[i % len(PLACE_COLOURS)] for i, c in enumerate(countries)}
    country_panel = Panel(
        "People in each country (people on the road count in the country they left)",
        [Series(c, country_name(c), c_colour[c], by_country[c]) for c in countries],
    )

    colour = {pid: PLACE_COLOURS[i % len(PLACE_COLOURS)] for i, pid in enumerate(places)}
    place_panel = Panel(
        "People at the busiest places (not counting people on the road between places)",
        [Series(p, run.place_name(p), colour[p], by_position.get(p, zeros)) for p in places],
    )

    by_state = _pivot(run, "state")
    order = list(STATE_LABELS)
    states = states or sorted(by_state, key=lambda s: (order.index(s) if s in order else 99, s))
    state_panel = Panel(
        "People in each state",
        [Series(st, state_label(st), state_colour(st), by_state.get(st, zeros)) for st in states]
        + [
            Series(
                DEPARTED, "departed so far (all states)", "#000000", sum(by_state.values(), zeros)
            )
        ],
    )

    names = {normalise(country_name(c)): c for c in countries} | {c.lower(): c for c in countries}
    for obs in run.observations:
        if obs.period_end < run.start_date or obs.period_start > run.end_date:
            continue  # outside the run: nothing to compare it with
        pid = run.resolve_place(obs.place)
        if obs.kind in PRESENT_KINDS and pid in colour:
            place_panel.observations.append((obs, colour[pid]))
            place_panel.observed_keys.append(pid)
        elif obs.kind in PRESENT_KINDS and normalise(obs.place) in names:
            code = names[normalise(obs.place)]
            country_panel.observations.append((obs, c_colour[code]))
            country_panel.observed_keys.append(code)
        elif obs.kind in STATE_LABELS or obs.kind in by_state:
            state_panel.observations.append((obs, state_colour(obs.kind)))
            state_panel.observed_keys.append(obs.kind)
    return DailyData(dates=dates, panels=[country_panel, place_panel, state_panel])


def obs_span(obs: Observation) -> tuple[datetime, datetime, datetime]:
    """Where an observation is drawn on the date axis: box start, marker, box end.

    The run's lines have one point per day at midnight; an observation of the days d0..d1 is a
    box from half a day before d0 to half a day after d1, its marker in the middle (on the
    line's point when it is one day).
    """
    start = datetime.combine(obs.period_start, time()) - timedelta(hours=12)
    end = datetime.combine(obs.period_end, time()) + timedelta(hours=12)
    return start, start + (end - start) / 2, end


def observed_point(obs: Observation, colour: str, size: int) -> dict:
    """Plotly scatter settings of an observation's point: a diamond with its low–high bar."""
    return {
        "mode": "markers",
        "marker": {"symbol": "diamond", "size": size, "color": colour,
                   "line": {"width": 1.2, "color": "#000"}},
        "error_y": {"type": "data", "symmetric": False, "array": [obs.high - obs.value],
                    "arrayminus": [obs.value - obs.low], "color": "#000", "thickness": 1.2},
        "hovertext": obs_hover(obs),
        "hoverinfo": "text",
    }


def obs_hover(obs: Observation) -> str:
    """Hover text of an observation: what, where, when, the figure and its range, the source."""
    period = obs.period_start.isoformat()
    if obs.period_end != obs.period_start:
        period += f" to {obs.period_end.isoformat()}"
    text = (
        f"<b>observed: {obs.kind}, {obs.place}</b><br>{period}<br>{fmt(obs.value)} "
        f"(range {fmt(obs.low)}–{fmt(obs.high)})"
    )
    if obs.source:
        text += f"<br>source: {obs.source}"
    if obs.note:
        text += f"<br>{obs.note}"
    return text


def _add_obs_plotly(
    fig: go.Figure, observations: list[tuple[Observation, str]], row: int, legend: str
) -> None:
    import plotly.graph_objects as go

    for i, (obs, colour) in enumerate(observations):
        x0, mid, x1 = obs_span(obs)
        fig.add_trace(
            go.Scatter(
                x=[x0, x1, x1, x0, x0],
                y=[obs.low, obs.low, obs.high, obs.high, obs.low],
                fill="toself",
                fillcolor=colour,
                opacity=0.25,
                line={"width": 0},
                mode="lines",
                hoverinfo="skip",
                showlegend=False,
                legendgroup=f"obs{row}",
            ),
            row=row,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=[mid],
                y=[obs.value],
                **observed_point(obs, colour, 10),
                name="observed (low–high)",
                legendgroup=f"obs{row}",
                legend=legend,
                showlegend=i == 0,
            ),
            row=row,
            col=1,
        )


def plotly_figure(runs: list[tuple[str, DailyData]]) -> go.Figure:
    """Return the interactive figure, one panel under another; run B dashed in compare mode."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    panels = runs[0][1].panels
    fig = make_subplots(
        rows=len(panels),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        subplot_titles=[p.title for p in panels],
    )
    compare = len(runs) > 1
    legends = ["legend"] + [f"legend{i}" for i in range(2, len(panels) + 1)]
    for r, (label, data) in enumerate(runs):
        suffix = f" ({label})" if compare else ""
        dash = RUN_DASHES[r % len(RUN_DASHES)]
        for row, panel in enumerate(data.panels, start=1):
            for s in panel.series:
                fig.add_trace(
                    go.Scatter(
                        x=data.dates,
                        y=s.values,
                        mode="lines",
                        name=s.label,
                        showlegend=r == 0,
                        line={
                            "color": s.colour,
                            "dash": "dot" if s.key == DEPARTED else dash,
                            "width": 1.3 if s.key == DEPARTED else 2,
                        },
                        legendgroup=f"{row}:{s.key}",
                        hovertemplate=f"{s.label}{suffix}<br>%{{x|%d %b %Y}}: %{{y:,d}}"
                        "<extra></extra>",
                        legend=legends[row - 1],
                    ),
                    row=row,
                    col=1,
                )
            if compare:
                fig.add_trace(
                    go.Scatter(
                        x=[None],
                        y=[None],
                        mode="lines",
                        name=f"run {label}",
                        line={"color": "#333", "dash": dash},
                        legend=legends[row - 1],
                    ),
                    row=row,
                    col=1,
                )
            if r == 0:
                _add_obs_plotly(fig, panel.observations, row, legends[row - 1])
    height = 330 * len(panels)
    layout = {
        "height": height,
        "margin": {"l": 60, "r": 10, "t": 40, "b": 30},
        "font": {"family": FONT_STACK, "size": 12},
        "hovermode": "closest",
        "plot_bgcolor": "white",
    }
    for i, name in enumerate(legends):
        domain = fig.layout[f"yaxis{'' if i == 0 else i + 1}"].domain
        layout[name] = {
            "y": domain[1],
            "yanchor": "top",
            "x": 1.01,
            "font": {"size": 10},
            "tracegroupgap": 0,
        }
    fig.update_layout(**layout)
    fig.update_xaxes(showgrid=True, gridcolor="#eeeeee", linecolor="#999999")
    fig.update_yaxes(
        showgrid=True,
        gridcolor="#eeeeee",
        linecolor="#999999",
        rangemode="tozero",
        tickformat=",d",
        title_text="people",
    )
    return fig


def draw_daily(fig: Figure, runs: list[tuple[str, DailyData]]) -> None:
    """Draw the figure with matplotlib (for the PNG): the panels share the date axis."""
    import matplotlib.dates as mdates

    panels = runs[0][1].panels
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    fig.subplots_adjust(left=0.07, right=0.77, top=0.97, bottom=0.06, hspace=0.2)
    compare = len(runs) > 1
    for r, (label, data) in enumerate(runs):
        for ax, panel in zip(axes, data.panels, strict=True):
            for s in panel.series:
                ax.plot(
                    data.dates,
                    s.values,
                    color=s.colour,
                    ls=":" if s.key == DEPARTED else RUN_MPL_DASHES[r % 2],
                    lw=1.0 if s.key == DEPARTED else 1.5,
                    label=s.label if r == 0 else None,
                )
            if compare:
                ax.plot([], [], color="#333333", ls=RUN_MPL_DASHES[r % 2], label=f"run {label}")
            if r == 0:
                _draw_obs(ax, panel.observations)
    for ax, panel in zip(axes, panels, strict=True):
        ax.set_title(panel.title, loc="left", fontsize=10)
        ax.set_ylabel("people")
        ax.set_ylim(bottom=0)
        ax.grid(color="#eeeeee")
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    axes[-1].xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%Y"))


def _draw_obs(ax: Axes, observations: list[tuple[Observation, str]]) -> None:
    for i, (obs, colour) in enumerate(observations):
        x0, mid, x1 = obs_span(obs)
        ax.fill_between([x0, x1], obs.low, obs.high, color=colour, alpha=0.25, lw=0)
        ax.errorbar(
            [mid],
            [obs.value],
            yerr=[[obs.value - obs.low], [obs.high - obs.value]],
            fmt="D",
            color=colour,
            mec="black",
            ecolor="black",
            ms=5,
            capsize=3,
            label="observed (low–high)" if i == 0 else None,
        )


def add_scale_buttons(fig: go.Figure, panels: int) -> go.Figure:
    """Add "linear" / "log scale" buttons (top right) that switch every panel's y axis.

    On a log axis a count of hundreds is read beside one of tens of thousands; days with
    nobody (0) are left out of the lines there.
    """
    names = ["yaxis"] + [f"yaxis{i}" for i in range(2, panels + 1)]

    def scale(kind: str) -> dict[str, object]:
        out: dict[str, object] = {}
        for name in names:
            out[f"{name}.type"] = kind
            out[f"{name}.autorange"] = True
        return out

    menu = {
        "type": "buttons",
        "direction": "right",
        "buttons": [
            {"label": "linear", "method": "relayout", "args": [scale("linear")]},
            {"label": "log scale", "method": "relayout", "args": [scale("log")]},
        ],
        "x": 1.0,
        "xanchor": "right",
        "y": 1.0,
        "yanchor": "bottom",
        "pad": {"b": 22},
        "showactive": True,
    }
    fig.update_layout(updatemenus=[*(fig.layout.updatemenus or []), menu],
                      margin={"t": 80})
    return fig
