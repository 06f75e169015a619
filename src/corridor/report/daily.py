"""Daily counts per place and per state (from `daily.parquet`), with the observations over them.

An observation is drawn where it measures the same thing as a line: a count of people present
(`PRESENT_KINDS`) at a place of the scenario goes on the place panel; a count whose kind is a state
goes on the state panel (against the run's total in that state, wherever they are — the
observation's own area is in its hover text). Other observations (flows, cumulative counts,
regions) are compared in the observations section, through the score module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np

from corridor.report.data import Observation, RunData
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
    from matplotlib.figure import Figure

PRESENT_KINDS = frozenset({"present", "count", "population", "stock"})
ON_THE_ROAD = "__road__"
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
class DailyData:
    """Lines and observations of the daily-counts figure for one run."""

    dates: list[date]
    places: list[Series] = field(default_factory=list)
    states: list[Series] = field(default_factory=list)
    departed: Series | None = None
    place_obs: list[tuple[Observation, str]] = field(default_factory=list)
    state_obs: list[tuple[Observation, str]] = field(default_factory=list)


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


def prepare(run: RunData, places: list[str], states: list[str] | None = None) -> DailyData:
    """Compute the lines of one run for the given places (and states; default: all in the run)."""
    dates = [run.start_date + timedelta(days=d) for d in range(run.days)]
    data = DailyData(dates=dates)
    by_place = _pivot(run, "place")
    zeros = np.zeros(run.days, dtype=np.int64)
    colour = {pid: PLACE_COLOURS[i % len(PLACE_COLOURS)] for i, pid in enumerate(places)}
    for pid in places:
        data.places.append(Series(pid, run.place_name(pid), colour[pid], by_place.get(pid, zeros)))
    road = sum((v for k, v in by_place.items() if ">" in k), zeros)
    data.places.append(Series(ON_THE_ROAD, "on the road (between places)", "#555555", road))
    by_state = _pivot(run, "state")
    order = list(STATE_LABELS)
    states = states or sorted(by_state, key=lambda s: (order.index(s) if s in order else 99, s))
    for st in states:
        data.states.append(Series(st, state_label(st), state_colour(st), by_state.get(st, zeros)))
    data.departed = Series(
        "departed", "departed so far (all states)", "#000000", sum(by_state.values(), zeros)
    )
    for obs in run.observations:
        pid = run.resolve_place(obs.place)
        if obs.kind in PRESENT_KINDS and pid in colour:
            data.place_obs.append((obs, colour[pid]))
        elif obs.kind in STATE_LABELS or obs.kind in by_state:
            data.state_obs.append((obs, state_colour(obs.kind)))
    return data


def _obs_hover(obs: Observation) -> str:
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


def _add_obs_plotly(fig: go.Figure, observations: list[tuple[Observation, str]], row: int) -> None:
    import plotly.graph_objects as go

    for i, (obs, colour) in enumerate(observations):
        x0, x1 = obs.period_start, obs.period_end + timedelta(days=1)
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
                legendgroup="obs",
            ),
            row=row,
            col=1,
        )
        mid = obs.period_start + (obs.period_end - obs.period_start) / 2 + timedelta(hours=12)
        fig.add_trace(
            go.Scatter(
                x=[mid],
                y=[obs.value],
                mode="markers",
                marker={
                    "symbol": "diamond",
                    "size": 10,
                    "color": colour,
                    "line": {"width": 1.2, "color": "#000"},
                },
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [obs.high - obs.value],
                    "arrayminus": [obs.value - obs.low],
                    "color": "#000",
                    "thickness": 1.2,
                },
                hovertext=_obs_hover(obs),
                hoverinfo="text",
                name="observed (low–high)",
                legendgroup="obs",
                showlegend=i == 0 and row == 1,
            ),
            row=row,
            col=1,
        )


def plotly_figure(runs: list[tuple[str, DailyData]]) -> go.Figure:
    """Return the interactive figure: places on top, states below; run B dashed in compare mode."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=(
            "People at each place (top places) and on the road",
            "People in each state",
        ),
    )
    compare = len(runs) > 1
    for r, (label, data) in enumerate(runs):
        suffix = f" ({label})" if compare else ""
        dash = RUN_DASHES[r % len(RUN_DASHES)]
        for row, series in ((1, data.places), (2, [*data.states, data.departed])):
            for s in series:
                if s is None:
                    continue
                fig.add_trace(
                    go.Scatter(
                        x=data.dates,
                        y=s.values,
                        mode="lines",
                        name=s.label,
                        showlegend=r == 0,
                        line={
                            "color": s.colour,
                            "dash": "dot" if s.key == "departed" else dash,
                            "width": 1.3 if s.key == "departed" else 2,
                        },
                        legendgroup=f"{row}:{s.key}",
                        hovertemplate=f"{s.label}{suffix}<br>%{{x|%d %b %Y}}: %{{y:,d}}"
                        "<extra></extra>",
                        legend="legend" if row == 1 else "legend2",
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
                    legend="legend",
                ),
                row=1,
                col=1,
            )
        if r == 0:
            _add_obs_plotly(fig, data.place_obs, 1)
            _add_obs_plotly(fig, data.state_obs, 2)
    fig.update_layout(
        height=940,
        margin={"l": 60, "r": 10, "t": 40, "b": 30},
        font={"family": FONT_STACK, "size": 12},
        hovermode="closest",
        plot_bgcolor="white",
        legend={"y": 1.0, "yanchor": "top", "x": 1.01, "font": {"size": 10}},
        legend2={"y": 0.45, "yanchor": "top", "x": 1.01, "font": {"size": 10}},
    )
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
    """Draw the figure with matplotlib (for the PNG): two panels sharing the date axis."""
    import matplotlib.dates as mdates

    axes = fig.subplots(2, 1, sharex=True)
    titles = ("People at each place (top places) and on the road", "People in each state")
    compare = len(runs) > 1
    for r, (label, data) in enumerate(runs):
        for ax, series in zip(axes, (data.places, [*data.states, data.departed]), strict=True):
            for s in series:
                if s is None:
                    continue
                ax.plot(
                    data.dates,
                    s.values,
                    color=s.colour,
                    ls=":" if s.key == "departed" else RUN_MPL_DASHES[r % 2],
                    lw=1.0 if s.key == "departed" else 1.5,
                    label=s.label if r == 0 else None,
                )
            if compare:
                ax.plot([], [], color="#333333", ls=RUN_MPL_DASHES[r % 2], label=f"run {label}")
        if r == 0:
            for ax, observations in zip(axes, (data.place_obs, data.state_obs), strict=True):
                for i, (obs, colour) in enumerate(observations):
                    x0, x1 = obs.period_start, obs.period_end + timedelta(days=1)
                    ax.fill_between([x0, x1], obs.low, obs.high, color=colour, alpha=0.25, lw=0)
                    mid = (
                        obs.period_start
                        + (obs.period_end - obs.period_start) / 2
                        + timedelta(hours=12)
                    )
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
    for ax, title in zip(axes, titles, strict=True):
        ax.set_title(title, loc="left", fontsize=10)
        ax.set_ylabel("people")
        ax.set_ylim(bottom=0)
        ax.grid(color="#eeeeee")
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    axes[1].xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%Y"))
