"""Timeline of the rules in force (a Gantt chart over the run's window).

Rules come from `corridor.rules.load_rules` (each has `id`, `kind`, `start`, `end`, `where`,
`enabled`). Whether a rule was in force *in this run* is read from `run.json` (`rules`: the ids
enabled), falling back to the rule's own `enabled` flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape
from typing import TYPE_CHECKING, Any

from corridor.report.data import RunData
from corridor.report.geo import country_name
from corridor.report.style import EXTRA_COLOURS, FONT_STACK

if TYPE_CHECKING:
    import plotly.graph_objects as go
    from matplotlib.axes import Axes

KIND_PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    *EXTRA_COLOURS,
)
OFF_COLOUR = "#d0d0d0"


@dataclass(frozen=True)
class RuleBar:
    """One rule as drawn: its dates clipped to the window, and where it was in force."""

    id: str
    kind: str
    where: str
    title: str
    start: date | None
    end: date | None
    in_force: tuple[bool, ...]  # one flag per run drawn

    @property
    def differs(self) -> bool:
        """Whether the rule acted in some of the runs drawn but not in all (compare mode)."""
        return any(self.in_force) and not all(self.in_force)

    def label(self, runs: list[str]) -> str:
        """Row label: the rule id, and which run had it when runs differ."""
        text = self.id
        if len(runs) > 1 and any(self.in_force) and not all(self.in_force):
            text += " — only in " + ", ".join(
                r for r, on in zip(runs, self.in_force, strict=True) if on
            )
        elif not any(self.in_force):
            text += " — not applied"
        return text


def _field(rule: Any, name: str) -> Any:
    return rule.get(name) if isinstance(rule, dict) else getattr(rule, name, None)


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _scope(where: Any, run: RunData) -> str:
    """A `Where` scope (place, route or border) in words, with place names."""
    place, route, border = (_field(where, k) for k in ("place", "route", "border"))
    if place:
        return f"at {run.place_name(place)}"
    if route:
        return f"on {run.place_name(route)}"
    if border and ">" in border:
        a, b = border.split(">", 1)
        return f"on the {country_name(a)} → {country_name(b)} border"
    return str(where)


# Fields that say where a rule acts, by kind (first present wins); `where` scopes come first.
WHERE_FIELDS: tuple[tuple[str, str], ...] = (
    ("port", "at {}"),
    ("place", "at {}"),
    ("crossing", "at {}"),
    ("city", "in {}"),
    ("places_", "at {}"),
    ("from_places", "from {}"),
    ("regions", "leaving {}"),
    ("partner", "transfers to {}"),
)


def _where(rule: Any, run: RunData) -> str:
    """Where a rule acts, in words (place names, not ids)."""
    where = _field(rule, "where")
    if where is not None and not isinstance(where, str | list | tuple | dict):
        return _scope(where, run)
    if isinstance(where, str) and where:
        return f"at {run.place_name(where)}" if where in run.places else where
    for name, template in WHERE_FIELDS:
        value = _field(rule, name)
        if not value:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        if name == "partner":
            names = [country_name(str(v)) for v in values]
        elif name == "regions":
            names = [str(v) for v in values]
        else:
            names = [run.place_name(str(v)) for v in values]
        return template.format(", ".join(names))
    places = rule.places() if callable(getattr(rule, "places", None)) else []
    return ", ".join(run.place_name(p) for p in dict.fromkeys(places)) or "–"


def _applies(run: RunData, rule: Any) -> bool:
    """Whether a rule acted in this run: listed in run.json (or enabled) and applied in reality."""
    if _field(rule, "applied") is False:
        return False  # on paper only (signed, never applied)
    ids = run.run.get("rules")
    if isinstance(ids, list):
        return str(_field(rule, "id")) in {str(i) for i in ids}
    enabled = _field(rule, "enabled")
    return True if enabled is None else bool(enabled)


def prepare(runs: list[RunData]) -> list[RuleBar]:
    """Return one bar per rule id over the runs (union, first run's order first)."""
    seen: dict[str, Any] = {}
    for run in runs:
        for rule in run.rules or []:
            seen.setdefault(str(_field(rule, "id")), rule)
    bars = []
    for rid, rule in seen.items():
        flags = []
        for run in runs:
            own = {str(_field(r, "id")): r for r in run.rules or []}
            flags.append(rid in own and _applies(run, own[rid]))
        bars.append(
            RuleBar(
                id=rid,
                kind=str(_field(rule, "kind") or ""),
                where=_where(rule, runs[0]),
                title=str(_field(rule, "title") or ""),
                start=_as_date(_field(rule, "start")),
                end=_as_date(_field(rule, "end")),
                in_force=tuple(flags),
            )
        )
    return bars


def window(runs: list[RunData]) -> tuple[date, date]:
    """Dates shown: the runs' span with a margin of a tenth on each side (at least a week)."""
    start = min(r.start_date for r in runs)
    end = max(r.end_date for r in runs) + timedelta(days=1)
    pad = max((end - start) / 10, timedelta(days=7))
    return start - pad, end + pad


def _kind_colours(bars: list[RuleBar]) -> dict[str, str]:
    kinds = list(dict.fromkeys(b.kind for b in bars))
    return {k: KIND_PALETTE[i % len(KIND_PALETTE)] for i, k in enumerate(kinds)}


def _span(bar: RuleBar, lo: date, hi: date) -> tuple[date, date]:
    start = max(bar.start or lo, lo)
    end = min((bar.end + timedelta(days=1)) if bar.end else hi, hi)
    return start, max(end, start)


def _run_marks(run: RunData) -> list[tuple[date, str]]:
    """Where to draw the run's first and last day: the start of day 0, the end of the last day."""
    return [
        (run.start_date, f"first day\n{run.start_date.isoformat()}"),
        (run.end_date + timedelta(days=1), f"last day\n{run.end_date.isoformat()}"),
    ]


def _hover(bar: RuleBar) -> str:
    title = f" — {escape(bar.title)}" if bar.title else ""
    text = (
        f"<b>{escape(bar.id)}</b>{title}<br>kind: {escape(bar.kind)}<br>"
        f"where: {escape(bar.where)}<br>{_period_text(bar)}"
    )
    return text.replace("%", "%%") + "<extra></extra>"


def _period_text(bar: RuleBar) -> str:
    since = bar.start.isoformat() if bar.start else "always"
    until = bar.end.isoformat() if bar.end else "open-ended"
    return f"{since} → {until}"


def plotly_figure(bars: list[RuleBar], runs: list[RunData]) -> go.Figure:
    """Return the interactive timeline (hover gives kind, where, dates)."""
    import plotly.graph_objects as go

    lo, hi = window(runs)
    colours = _kind_colours(bars)
    names = [r.label for r in runs]
    labels = [b.label(names) for b in bars]
    fig = go.Figure()
    shown: set[str] = set()
    for bar, label in zip(bars, labels, strict=True):
        start, end = _span(bar, lo, hi)
        on = any(bar.in_force)
        fig.add_trace(
            go.Bar(
                y=[label],
                base=[start.isoformat()],
                x=[(end - start).total_seconds() * 1000],
                orientation="h",
                marker={
                    "color": colours[bar.kind] if on else OFF_COLOUR,
                    "pattern": {"shape": "" if on else "/"},
                    "line": {"color": "#000", "width": 3 if bar.differs else 0},
                },
                name=bar.kind,
                legendgroup=bar.kind,
                showlegend=on and bar.kind not in shown,
                hovertemplate=_hover(bar),
            )
        )
        if on:
            shown.add(bar.kind)
    for line_at, text in _run_marks(runs[0]):
        fig.add_vline(
            x=(line_at - date(1970, 1, 1)).days * 86_400_000,  # plotly dates: ms since epoch
            line={"color": "#000", "dash": "dash", "width": 1.2},
            annotation_text=text.replace("\n", " "),
            annotation_position="top",
        )
    fig.update_layout(
        barmode="overlay",
        height=120 + 34 * max(len(bars), 1),
        margin={"l": 10, "r": 10, "t": 40, "b": 30},
        font={"family": FONT_STACK, "size": 12},
        plot_bgcolor="white",
        xaxis={"type": "date", "range": [lo.isoformat(), hi.isoformat()], "gridcolor": "#eeeeee"},
        yaxis={"autorange": "reversed", "automargin": True},
        legend={"title": {"text": "rule kind"}, "font": {"size": 11}},
    )
    return fig


def draw_timeline(ax: Axes, bars: list[RuleBar], runs: list[RunData]) -> None:
    """Draw the timeline with matplotlib (for the PNG)."""
    import matplotlib.dates as mdates
    from matplotlib.patches import Patch

    lo, hi = window(runs)
    colours = _kind_colours(bars)
    names = [r.label for r in runs]
    for i, bar in enumerate(bars):
        start, end = _span(bar, lo, hi)
        on = any(bar.in_force)
        ax.barh(
            i,
            (end - start).days,
            left=start,
            height=0.6,
            color=colours[bar.kind] if on else OFF_COLOUR,
            hatch=None if on else "//",
            edgecolor="#000000" if bar.differs else "#555555",
            linewidth=2.0 if bar.differs else 0.5,
        )
        note = []
        if bar.start and bar.start < lo:
            note.append(f"◀ since {bar.start.isoformat()}")
        if bar.end and bar.end + timedelta(days=1) > hi:
            note.append(f"until {bar.end.isoformat()} ▶")
        ax.text(
            start + timedelta(days=1),
            i,
            f" {bar.where}" + ("  " + "  ".join(note) if note else ""),
            va="center",
            ha="left",
            fontsize=7,
            color="white" if on else "#333333",
            clip_on=True,
        )
    for line_at, text in _run_marks(runs[0]):
        ax.axvline(line_at, color="black", ls="--", lw=1)
        ax.text(line_at, -0.8, text, ha="center", va="bottom", fontsize=7)
    ax.set_yticks(range(len(bars)), [b.label(names) for b in bars], fontsize=8)
    ax.set_ylim(len(bars) - 0.5, -1.6)
    ax.set_axisbelow(True)
    ax.set_xlim(lo, hi)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%Y"))
    ax.grid(axis="x", color="#eeeeee")
    ax.legend(
        handles=[Patch(color=c, label=k) for k, c in colours.items()]
        + [Patch(facecolor=OFF_COLOUR, hatch="//", edgecolor="#555", label="not applied")],
        fontsize=7,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        title="rule kind",
        title_fontsize=8,
    )
