"""Observations against the run: rows from `corridor.analysis.score.compare`.

Drawn as a table and a dot plot: the observed value with its low–high range, the run's value
beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from corridor.report.data import Observation, RunData
from corridor.report.style import FONT_STACK, fmt, pct

if TYPE_CHECKING:
    import plotly.graph_objects as go
    from matplotlib.axes import Axes

INSIDE, OUTSIDE, MISSING = "#2ca02c", "#d62728", "#999999"
MAX_DOT_ROWS = 40  # more observations than this are summarised by series instead of dotted
RUN_SYMBOLS = ("circle", "square")
RUN_MARKERS = ("o", "s")


@dataclass(frozen=True)
class ScoreRow:
    """One observation and what each run drawn made of it."""

    period_start: date
    period_end: date
    place: str
    kind: str
    value: float
    low: float
    high: float
    source: str
    simulated: tuple[float | None, ...]
    within_range: tuple[bool | None, ...]
    relative_error: tuple[float | None, ...]
    factor_off: tuple[float | None, ...] = ()
    coverage: tuple[float | None, ...] = ()

    @property
    def period(self) -> str:
        """The period as text: one date, or "start – end"."""
        if self.period_end == self.period_start:
            return self.period_start.isoformat()
        return f"{self.period_start.isoformat()} – {self.period_end.isoformat()}"

    @property
    def label(self) -> str:
        """Short row label for the dot plot."""
        return f"{self.kind.replace('_', ' ')} · {self.place} · {self.period}"


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _num(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _key(score: Any) -> tuple[str, str, str, str]:
    return (
        _day(_get(score, "period_start")).isoformat(),
        _day(_get(score, "period_end")).isoformat(),
        str(_get(score, "place")),
        str(_get(score, "kind")),
    )


def _source(observations: list[Observation], key: tuple[str, str, str, str]) -> str:
    for obs in observations:
        if (obs.period_start.isoformat(), obs.period_end.isoformat(), obs.place, obs.kind) == key:
            return obs.source
    return ""


def prepare(runs: list[RunData]) -> list[ScoreRow]:
    """Join the runs' scores on (period, place, kind), in the first run's order."""
    first = runs[0].scores or []
    others = [{_key(s): s for s in (r.scores or [])} for r in runs[1:]]
    rows = []
    for score in first:
        key = _key(score)
        per_run = [score, *[o.get(key) for o in others]]
        value = _num(_get(score, "value")) or 0.0
        rows.append(
            ScoreRow(
                period_start=_day(_get(score, "period_start")),
                period_end=_day(_get(score, "period_end")),
                place=str(_get(score, "place")),
                kind=str(_get(score, "kind")),
                value=value,
                low=_num(_get(score, "low")) if _get(score, "low") is not None else value,
                high=_num(_get(score, "high")) if _get(score, "high") is not None else value,
                source=str(_get(score, "source") or _source(runs[0].observations, key)),
                simulated=tuple(_num(_get(s, "simulated")) if s else None for s in per_run),
                within_range=tuple(_get(s, "within_range") if s else None for s in per_run),
                relative_error=tuple(
                    _num(_get(s, "relative_error")) if s else None for s in per_run
                ),
                factor_off=tuple(_num(_get(s, "factor_off")) if s else None for s in per_run),
                coverage=tuple(_num(_get(s, "coverage")) if s else None for s in per_run),
            )
        )
    return rows


def is_days(row: ScoreRow) -> bool:
    """Whether the observation counts days (first or median arrival days), not people."""
    from corridor.analysis.measures import ARRIVAL_DAY_KINDS

    return row.kind in ARRIVAL_DAY_KINDS


def zero_at(rows: list[ScoreRow]) -> float:
    """Where a run's 0 is drawn on the log axis: a third of the smallest positive value drawn."""
    values = [v for r in rows for v in (r.value, r.low, *r.simulated) if v is not None and v > 0]
    return min(values, default=1.0) / 3


def log_ticks(rows: list[ScoreRow]) -> tuple[list[float], list[str]]:
    """Ticks of the log axis: 1, 2, 5, 10, … over the values drawn, and "none" where 0 is drawn.

    Only the run's zeros are drawn at `zero_at`; a tick there reads "none", never "0" (the log
    axis has no 0, and a rounded 0.3 would read as one).
    """
    values = [v for r in rows for v in (r.value, r.high, *r.simulated) if v is not None and v > 0]
    top = max(values, default=1.0)
    bottom = zero_at(rows)
    decades = range(0, int(math.log10(max(top, 1))) + 2)
    steps = (1, 2, 5) if math.log10(max(top, 1) / max(bottom, 1e-9)) <= 3.5 else (1,)
    ticks = [m * 10**e for e in decades for m in steps]
    ticks = [t for t in ticks if bottom * 2 < t <= top * 2]
    texts = [fmt(t) for t in ticks]
    if any(0 in r.simulated for r in rows):
        ticks, texts = [bottom, *ticks], ["none", *texts]
    return ticks, texts


def _colour(within: bool | None) -> str:
    return MISSING if within is None else (INSIDE if within else OUTSIDE)


def plotly_figure(rows: list[ScoreRow], labels: list[str], days: bool = False) -> go.Figure:
    """Return the dot plot: one row per observation, log-scaled counts.

    With `days`, the rows count days (arrival days): a linear axis from 0, where 0 is a value.
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    y = [r.label for r in rows]
    fig.add_trace(
        go.Scatter(
            x=[r.value for r in rows],
            y=y,
            mode="markers",
            name="observed (bar: low–high)",
            marker={"symbol": "diamond", "size": 10, "color": "#000"},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [r.high - r.value for r in rows],
                "arrayminus": [r.value - r.low for r in rows],
                "color": "#000",
                "thickness": 1.5,
            },
            hovertemplate="%{y}<br>observed %{x:,.0f}<extra></extra>",
        )
    )
    for i, label in enumerate(labels):
        pts = [
            (r, r.simulated[i])
            for r in rows
            if r.simulated[i] is not None and (days or r.simulated[i] > 0)
        ]
        zeros = [] if days else [r for r in rows if r.simulated[i] == 0]
        name = f"run {label}" if len(labels) > 1 else "this run"
        if zeros:
            fig.add_trace(
                go.Scatter(
                    x=[zero_at(rows)] * len(zeros),
                    y=[r.label for r in zeros],
                    mode="markers",
                    name=f"{name}: none (drawn at the left edge)",
                    marker={
                        "symbol": "x-thin-open",
                        "size": 10,
                        "color": OUTSIDE,
                        "line": {"width": 2, "color": OUTSIDE},
                    },
                    hovertemplate="%{y}<br>" + name + ": 0<extra></extra>",
                )
            )
        fig.add_trace(
            go.Scatter(
                x=[v for _, v in pts],
                y=[r.label for r, _ in pts],
                mode="markers",
                name=name,
                marker={
                    "symbol": RUN_SYMBOLS[i % 2],
                    "size": 9,
                    "opacity": 0.85,
                    "color": [_colour(r.within_range[i]) for r, _ in pts],
                    "line": {"width": 1, "color": "#222"},
                },
                hovertemplate="%{y}<br>"
                + (f"run {label}: " if len(labels) > 1 else "run: ")
                + "%{x:,.0f}<extra></extra>",
            )
        )
    if days:
        top = max([v for r in rows for v in (r.high, *r.simulated) if v is not None] + [1.0])
        xaxis = {
            "type": "linear",
            "range": [-0.5, top * 1.15 + 0.5],
            "title": "days (linear scale)",
            "gridcolor": "#eeeeee",
            "dtick": 1 if top <= 12 else None,
            "zeroline": True,
        }
    fig.update_layout(
        height=140 + 26 * max(len(rows), 1),
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
        font={"family": FONT_STACK, "size": 11},
        plot_bgcolor="white",
        xaxis=xaxis if days else {
            "type": "log",
            "range": [math.log10(zero_at(rows) / 1.6), None],
            "title": "people (log scale)",
            "gridcolor": "#eeeeee",
            "tickvals": log_ticks(rows)[0],
            "ticktext": log_ticks(rows)[1],
            "tickangle": 0,
        },
        yaxis={"autorange": "reversed", "automargin": True},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
    )
    return fig


def draw_scores(ax: Axes, rows: list[ScoreRow], labels: list[str], days: bool = False) -> None:
    """Draw the dot plot with matplotlib (for the PNG); `days` as in `plotly_figure`."""
    from matplotlib.lines import Line2D

    for j, r in enumerate(rows):
        ax.errorbar(
            [r.value],
            [j],
            xerr=[[r.value - r.low], [r.high - r.value]],
            fmt="D",
            color="black",
            ms=5,
            capsize=3,
            lw=1.2,
        )
        for i in range(len(labels)):
            v = r.simulated[i]
            if v == 0 and not days:
                ax.plot([zero_at(rows)], [j], "x", color=OUTSIDE, ms=7, mew=2)
            elif v is not None and (days or v > 0):
                ax.plot(
                    [v],
                    [j],
                    RUN_MARKERS[i % 2],
                    color=_colour(r.within_range[i]),
                    mec="#222",
                    ms=7,
                    alpha=0.9,
                    zorder=3,  # over the observed diamond when they coincide
                )
    ax.set_yticks(range(len(rows)), [r.label for r in rows], fontsize=7)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    if days:
        ax.set_xlim(left=-0.5)
        ax.set_xlabel("days (linear scale)")
    else:
        ax.set_xscale("log")
        ax.set_xlim(left=zero_at(rows) / 1.6)
        ticks, texts = log_ticks(rows)
        ax.set_xticks(ticks, texts, fontsize=7)
        ax.minorticks_off()
        ax.set_xlabel("people (log scale; × at the left edge: the run has none)")
    ax.grid(axis="x", color="#eeeeee")
    handles = [Line2D([], [], marker="D", color="black", ls="-", label="observed, bar = low–high")]
    for i, label in enumerate(labels):
        name = f"run {label}" if len(labels) > 1 else "run"
        handles.append(
            Line2D(
                [],
                [],
                marker=RUN_MARKERS[i % 2],
                ls="",
                color=INSIDE,
                mec="#222",
                label=f"{name}: inside the range",
            )
        )
        handles.append(
            Line2D(
                [],
                [],
                marker=RUN_MARKERS[i % 2],
                ls="",
                color=OUTSIDE,
                mec="#222",
                label=f"{name}: outside",
            )
        )
    ax.legend(
        handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False
    )


def _off(factor: float | None) -> str:
    if factor is None:
        return "–"
    if math.isinf(factor):
        return "run has none"
    if factor <= 1.0:
        return "inside"
    return f"×{factor:.2f}" if factor < 1.1 else f"×{factor:.1f}"


def table_cells(rows: list[ScoreRow], labels: list[str]) -> tuple[list[str], list[list[str]]]:
    """Header and body cells (plain text) of the table of every observation."""
    head = ["period", "place", "what was counted", "observed", "range", "source"]
    many = len(labels) > 1
    for label in labels:
        tag = f" ({label})" if many else ""
        head += [f"run{tag}", f"within range{tag}", f"off by{tag}", f"relative error{tag}"]
    body = []
    for r in rows:
        cells = [
            r.period,
            r.place,
            r.kind.replace("_", " "),
            fmt(r.value),
            f"{fmt(r.low)}–{fmt(r.high)}" if r.low != r.high else "–",
            r.source,
        ]
        for i in range(len(labels)):
            sim, within, err = r.simulated[i], r.within_range[i], r.relative_error[i]
            factor = r.factor_off[i] if i < len(r.factor_off) else None
            cover = r.coverage[i] if i < len(r.coverage) else None
            run = "not measured" if sim is None else fmt(sim)
            if sim is not None and cover is not None and cover < 1:
                run += f" (run covers {cover:.0%} of the period)"
            cells += [
                run,
                "–" if within is None else ("yes" if within else "no"),
                _off(factor),
                "–" if err is None else f"{err:+.0%}",
            ]
        body.append(cells)
    return head, body


def series_cells(rows: list[ScoreRow], labels: list[str]) -> tuple[list[str], list[list[str]]]:
    """Header and cells of the summary by series (place and kind of count), for long lists."""
    groups: dict[tuple[str, str], list[ScoreRow]] = {}
    for r in rows:
        groups.setdefault((r.place, r.kind), []).append(r)
    many = len(labels) > 1
    head = ["place", "what was counted", "observations", "from", "to"]
    for label in labels:
        tag = f" ({label})" if many else ""
        head += [f"measured{tag}", f"within range{tag}", f"median relative error{tag}"]
    body = []
    for (place, kind), group in groups.items():
        cells = [
            place,
            kind.replace("_", " "),
            str(len(group)),
            min(r.period_start for r in group).isoformat(),
            max(r.period_end for r in group).isoformat(),
        ]
        for i in range(len(labels)):
            measured = [r for r in group if r.simulated[i] is not None]
            inside = sum(1 for r in measured if r.within_range[i])
            errors = sorted(abs(e) for r in measured if (e := r.relative_error[i]) is not None)
            median = errors[len(errors) // 2] if errors else None
            cells += [
                str(len(measured)),
                f"{inside} ({pct(inside, len(measured))})" if measured else "–",
                "–" if median is None else f"{median:.0%}",
            ]
        body.append(cells)
    return head, body
