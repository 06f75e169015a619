"""Close-ups of the observations drawn over the day-by-day lines, each on its own scale.

On the day-by-day panels an observation of a few hundred people sits on the zero line of a
chart that reaches 100,000. Here every line that has observations gets its own small panel: the
dates of its observations (with a week either side) and a linear scale from 0 to the largest
value in that window, so that the observed range (a shaded box over the period, a bar from the
lowest to the highest reported figure) and the run's line can be read against each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np

from corridor.report.daily import DailyData, obs_span, observed_point
from corridor.report.data import Observation
from corridor.report.style import FONT_STACK, RUN_DASHES, RUN_MPL_DASHES, fmt

if TYPE_CHECKING:
    import plotly.graph_objects as go
    from matplotlib.figure import Figure

PAD_DAYS = 7  # days drawn either side of a line's observations
COLUMNS = 3  # panels per row


@dataclass
class CloseUp:
    """One small panel: a line of the day-by-day figure around the dates of its observations."""

    title: str
    colour: str
    dates: list[date]
    values: list[tuple[str, np.ndarray]]  # (run label, counts on `dates`), one per run
    observations: list[Observation] = field(default_factory=list)

    @property
    def top(self) -> float:
        """Top of the panel's scale: the largest count or observed figure in the window."""
        highest = [float(v.max()) for _, v in self.values if len(v)]
        highest += [o.high for o in self.observations] + [o.value for o in self.observations]
        return max(highest, default=1.0) or 1.0


def prepare(runs: list[tuple[str, DailyData]]) -> list[CloseUp]:
    """One close-up per line of the first run that has observations drawn over it.

    Args:
        runs: (label, panels) of each run, as drawn in the day-by-day figure; the observations
            are the first run's, the other runs' lines of the same key are drawn beside it.
    """
    first = runs[0][1]
    out = []
    for p, panel in enumerate(first.panels):
        groups: dict[str, list[Observation]] = {}
        for (obs, _), key in zip(panel.observations, panel.observed_keys, strict=True):
            groups.setdefault(key, []).append(obs)
        for key, group in groups.items():
            series = next((s for s in panel.series if s.key == key), None)
            if series is None:
                continue
            lo = min(o.period_start for o in group) - timedelta(days=PAD_DAYS)
            hi = max(o.period_end for o in group) + timedelta(days=PAD_DAYS)
            index = [i for i, d in enumerate(first.dates) if lo <= d <= hi]
            if not index:
                continue
            values = []
            for label, data in runs:
                line = next((s for s in data.panels[p].series if s.key == key), None)
                if line is not None:
                    values.append((label, np.asarray(line.values)[index[0] : index[-1] + 1]))
            kinds = sorted({o.kind.replace("_", " ") for o in group})
            if p < 2:  # a place or a country: say what was counted there
                title = f"{series.label}: {', '.join(kinds)}"
            else:
                title = f"state: {series.label}"
            out.append(
                CloseUp(
                    title=title,
                    colour=series.colour,
                    dates=first.dates[index[0] : index[-1] + 1],
                    values=values,
                    observations=sorted(group, key=lambda o: (o.period_start, o.place)),
                )
            )
    return out


def _grid(n: int) -> tuple[int, int]:
    cols = min(COLUMNS, n)
    return math.ceil(n / cols), cols


def plotly_figure(closeups: list[CloseUp]) -> go.Figure:
    """Return the small multiples: one panel per close-up, each with its own axes."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    rows, cols = _grid(len(closeups))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[c.title for c in closeups],
        horizontal_spacing=0.07,
        vertical_spacing=0.3 / rows if rows > 1 else 0.1,
    )
    shown: set[str] = set()
    for n, c in enumerate(closeups):
        row, col = n // cols + 1, n % cols + 1
        for r, (label, values) in enumerate(c.values):
            name = "run" if len(c.values) == 1 else f"run {label}"
            fig.add_trace(
                go.Scatter(
                    x=c.dates,
                    y=values,
                    mode="lines",
                    name=name,
                    line={"color": c.colour, "dash": RUN_DASHES[r % len(RUN_DASHES)], "width": 2},
                    showlegend=False,
                    hovertemplate=f"{name}<br>%{{x|%d %b %Y}}: %{{y:,d}}<extra></extra>",
                ),
                row=row,
                col=col,
            )
        for obs in c.observations:
            x0, mid, x1 = obs_span(obs)
            fig.add_trace(
                go.Scatter(
                    x=[x0, x1, x1, x0, x0],
                    y=[obs.low, obs.low, obs.high, obs.high, obs.low],
                    fill="toself",
                    fillcolor=c.colour,
                    opacity=0.25,
                    line={"width": 0},
                    mode="lines",
                    hoverinfo="skip",
                    showlegend=False,
                ),
                row=row,
                col=col,
            )
            fig.add_trace(
                go.Scatter(
                    x=[mid],
                    y=[obs.value],
                    **observed_point(obs, c.colour, 9),
                    name="observed (box: period and low–high range)",
                    showlegend="obs" not in shown,
                ),
                row=row,
                col=col,
            )
            shown.add("obs")
        fig.update_yaxes(range=[0, c.top * 1.12], row=row, col=col)
    for r, dash in enumerate(RUN_DASHES[: len(closeups[0].values)] if closeups else []):
        label = closeups[0].values[r][0]
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                name="run's line" if len(closeups[0].values) == 1 else f"run {label}",
                line={"color": "#333", "dash": dash},
            )
        )
    fig.update_layout(
        height=90 + 250 * rows,
        margin={"l": 50, "r": 10, "t": 60, "b": 30},
        font={"family": FONT_STACK, "size": 11},
        plot_bgcolor="white",
        hovermode="closest",
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "top", "yref": "container"},
    )
    fig.update_annotations(font={"size": 11})
    fig.update_xaxes(showgrid=True, gridcolor="#eeeeee", linecolor="#999999", tickformat="%d %b")
    fig.update_yaxes(showgrid=True, gridcolor="#eeeeee", linecolor="#999999", tickformat=",d")
    return fig


def draw(fig: Figure, closeups: list[CloseUp]) -> None:
    """Draw the small multiples with matplotlib (for the PNG)."""
    import matplotlib.dates as mdates

    rows, cols = _grid(len(closeups))
    axes = fig.subplots(rows, cols, squeeze=False)
    for n, ax in enumerate(axes.flat):
        if n >= len(closeups):
            ax.set_axis_off()
            continue
        c = closeups[n]
        for r, (label, values) in enumerate(c.values):
            name = "run" if len(c.values) == 1 else f"run {label}"
            ax.plot(c.dates, values, color=c.colour, ls=RUN_MPL_DASHES[r % 2], lw=1.6, label=name)
        for i, obs in enumerate(c.observations):
            x0, mid, x1 = obs_span(obs)
            ax.fill_between([x0, x1], obs.low, obs.high, color=c.colour, alpha=0.25, lw=0)
            ax.errorbar(
                [mid],
                [obs.value],
                yerr=[[obs.value - obs.low], [obs.high - obs.value]],
                fmt="D",
                color=c.colour,
                mec="black",
                ecolor="black",
                ms=5,
                capsize=3,
                label="observed (low–high)" if i == 0 else None,
            )
        ax.set_title(c.title, loc="left", fontsize=9)
        ax.set_ylim(0, c.top * 1.12)
        ax.grid(color="#eeeeee")
        ax.yaxis.set_major_formatter(lambda v, _: fmt(v))
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=5))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
        ax.tick_params(labelsize=8)
        if n == 0:
            ax.legend(fontsize=7, loc="upper left", frameon=False)
