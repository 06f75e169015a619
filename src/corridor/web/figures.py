"""The dashboard's figures, from two run folders (baseline and what-if).

Data preparation is the report's (`corridor.report`: `load_run`, `maps.prepare`,
`daily.prepare`, `stages.build`, `observations.prepare`, `timeline.prepare`) so the page and the
HTML report show the same numbers; what is new here is what only a live page can do: the day
slider on the map, the difference map, the Sankey as an interactive plotly diagram.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow.compute as pc

from corridor.report import daily, maps, observations, stages, timeline
from corridor.report.data import RunData, load_run
from corridor.report.style import FONT_STACK

if TYPE_CHECKING:
    import plotly.graph_objects as go

LABELS = ("baseline", "what-if")
MORE, FEWER = "#c0392b", "#2471a3"


@dataclass
class Pair:
    """The two runs drawn side by side, and their outcome diagrams."""

    base: RunData
    what: RunData
    sankeys: tuple[stages.SankeyData, stages.SankeyData]
    scores: tuple[list[observations.ScoreRow], str] | None = field(default=None, repr=False)

    @property
    def runs(self) -> list[RunData]:
        """Both runs, baseline first."""
        return [self.base, self.what]


class _Kept:
    """What is computed from one run folder and does not change: kept across what-ifs.

    A run folder of the workspace never changes once written (a run seen again is the same
    run), so the baseline is read, and its map drawn, once for all what-ifs against it. Keyed
    by folder and the time `run.json` was written; the few most recent are kept.
    """

    def __init__(self, size: int = 8):
        self.size = size
        self._items: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, make: Any) -> Any:
        """The value of a key, made (by `make()`) on first use."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


_KEPT = _Kept(16)


def _stamp(folder: Path) -> tuple[str, int]:
    """A run folder and when its `run.json` was written (a rewritten folder is new)."""
    folder = Path(folder)
    try:
        written = (folder / "run.json").stat().st_mtime_ns
    except OSError:
        written = -1
    return str(folder.resolve()), written


def _kept(run: RunData, what: str, make: Any, *extra: Any) -> Any:
    return _KEPT.get((_stamp(run.run_dir), run.label, what, *extra), make)


def load_pair(base: Path, what: Path) -> Pair:
    """Read both run folders as the report does (each folder read once, see `_Kept`)."""
    def read(folder: Path, label: str) -> tuple[RunData, stages.SankeyData]:
        def make() -> tuple[RunData, stages.SankeyData]:
            run = load_run(folder, label)
            return run, stages.build(run)

        return _KEPT.get((_stamp(folder), label, "run"), make)

    (a, sa), (b, sb) = read(base, LABELS[0]), read(what, LABELS[1])
    return Pair(a, b, (sa, sb))


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


def _map_data(run: RunData, window: tuple[float, float, float, float] | None = None
              ) -> maps.MapData:
    """The report's map of a run (kept: the baseline's is drawn for every what-if)."""
    return _kept(run, "map", lambda: maps.prepare(run, window=window), window)


def _map_half(run: RunData, m: maps.MapData, title: str, col: int) -> list[dict[str, Any]]:
    """The traces of one run's map (the report's), for subplot column `col` (1 or 2)."""
    def make() -> list[dict[str, Any]]:
        fig = maps.plotly_figure([(title, maps.relabel(m, 0.45))])
        traces = fig.to_plotly_json()["data"]
        axis = "" if col == 1 else str(col)
        for trace in traces:
            trace["xaxis"], trace["yaxis"] = f"x{axis}", f"y{axis}"
            if col != 1:
                trace["showlegend"] = False
        return traces

    return _kept(run, "map-half", make, m.window, title, col)


def _map_layout(base: RunData, first: maps.MapData) -> dict[str, Any]:
    """The layout of the side-by-side map (axes, titles, size): the baseline's alone decides it."""
    def make() -> dict[str, Any]:
        bare = replace(first, places=[], routes=[], flows=[], labelled={})
        fig = maps.plotly_figure([(LABELS[0], bare), (LABELS[1], bare)])
        return fig.to_plotly_json()["layout"]

    return _kept(base, "map-layout", make, first.window)


def _copy(value: Any) -> Any:
    """A copy of nested dicts and lists (kept figure parts are never changed in place)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _styled(fig: dict[str, Any], height: int | None = None) -> dict[str, Any]:
    """`_style` for a figure given as a dict."""
    layout = fig["layout"]
    layout["font"] = {**layout.get("font", {}), "family": FONT_STACK, "size": 12}
    layout["margin"] = {**layout.get("margin", {}), "l": 10, "r": 10, "t": 40, "b": 10}
    layout["paper_bgcolor"] = "white"
    if height:
        layout["height"] = height
    return fig


def map_figure(pair: Pair) -> dict[str, Any]:
    """Both runs side by side: flows over the run, and people at each place on a day.

    The day slider (with a play button) moves the circles, which are sized by the number of
    people at the place that day, in the browser, with no call to the server. Drawn as a plain
    plotly figure dict: the baseline's half, the layout and the frames' fixed parts are kept
    across what-ifs, and each frame carries only what changes (sizes and counts).
    """
    first = _map_data(pair.base)
    second = _map_data(pair.what, first.window)
    data = [*_map_half(pair.base, first, LABELS[0], 1),
            *_map_half(pair.what, second, LABELS[1], 2)]
    layout = _copy(_map_layout(pair.base, first))
    ids = [p.id for p in first.places]
    present = [_kept(r, "present", lambda r=r: _present(r, ids), tuple(ids)) for r in pair.runs]
    peak = max(int(p.max()) for p in present) or 1
    dates = [pair.base.start_date.fromordinal(pair.base.start_date.toordinal() + d)
             for d in range(pair.base.days)]

    def changing(col: int, day: int) -> dict[str, Any]:
        counts = present[col][day]
        return {"marker": {"size": np.round(4 + 40 * np.sqrt(counts / peak), 2).tolist(),
                           "color": "rgba(230,126,34,0.55)",
                           "line": {"width": 1, "color": "#a04000"}},
                "customdata": counts.tolist()}

    indices = []
    for col in (0, 1):
        axis = "" if col == 0 else "2"
        data.append({"type": "scatter", "mode": "markers", "name": "people there that day",
                     "text": [p.name for p in first.places],
                     "hovertemplate": "<b>%{text}</b><br>%{customdata:,} people there"
                                      "<extra></extra>",
                     "showlegend": col == 0, "x": [p.lon for p in first.places],
                     "y": [p.lat for p in first.places], "xaxis": f"x{axis}",
                     "yaxis": f"y{axis}", **changing(col, 0)})
        indices.append(len(data) - 1)
    step = max(1, pair.base.days // 72)
    days = list(range(0, pair.base.days, step))
    frames = [{"name": str(d), "traces": indices, "data": [changing(0, d), changing(1, d)]}
              for d in days]
    layout["sliders"] = [{
        "active": 0, "currentvalue": {"prefix": "day: "}, "pad": {"t": 30},
        "steps": [{"label": dates[d].isoformat(), "method": "animate",
                   "args": [[str(d)], {"mode": "immediate", "frame": {"duration": 0,
                                                                      "redraw": False},
                                       "transition": {"duration": 0}}]} for d in days]}]
    layout["updatemenus"] = [{
        "type": "buttons", "showactive": False, "x": 0, "y": -0.02, "xanchor": "right",
        "yanchor": "top", "pad": {"t": 30, "r": 10},
        "buttons": [{"label": "▶ play", "method": "animate",
                     "args": [None, {"frame": {"duration": 120, "redraw": False},
                                     "fromcurrent": True, "transition": {"duration": 0}}]},
                    {"label": "❚❚ pause", "method": "animate",
                     "args": [[None], {"mode": "immediate", "frame": {"duration": 0,
                                                                      "redraw": False}}]}]}]
    layout["height"] = (layout.get("height") or 500) + 60
    layout["legend"] = {**layout.get("legend", {}), "y": 1.08}
    return _styled({"data": data, "layout": layout, "frames": frames})


def difference_map(pair: Pair) -> dict[str, Any]:
    """Flows of the what-if minus the baseline: red lines more people, blue fewer."""
    base = _map_data(pair.base)
    what = _map_data(pair.what, base.window)
    totals: dict[tuple[str, str], list[Any]] = {}
    for sign, m in ((-1, base), (1, what)):
        for f in m.flows:
            key = tuple(sorted((f.a.id, f.b.id)))
            entry = totals.setdefault(key, [f.a, f.b, 0])
            entry[2] += sign * f.total

    def make() -> dict[str, Any]:
        fig = maps.plotly_figure([("what-if − baseline: people who moved along each route",
                                   replace(maps.relabel(base, 0.9), flows=[]))])
        return fig.to_plotly_json()

    kept = _kept(pair.base, "difference-map", make, base.window)
    fig = {"data": list(kept["data"]), "layout": _copy(kept["layout"])}
    data = fig["data"]
    biggest = max((abs(v[2]) for v in totals.values()), default=0) or 1
    for a, b, diff in sorted(totals.values(), key=lambda v: abs(v[2])):
        if diff == 0:
            continue
        data.append({"type": "scatter", "x": [a.lon, b.lon, None], "y": [a.lat, b.lat, None],
                     "mode": "lines",
                     "line": {"color": MORE if diff > 0 else FEWER,
                              "width": 1 + 11 * abs(diff) / biggest},
                     "opacity": 0.75, "hoverinfo": "text", "showlegend": False,
                     "hovertext": f"{a.name} – {b.name}: {diff:+,} people"})
    for colour, name in ((MORE, "more people in the what-if"), (FEWER, "fewer people")):
        data.append({"type": "scatter", "x": [None], "y": [None], "mode": "lines",
                     "line": {"color": colour, "width": 4}, "name": name})
    return _styled(fig)


def daily_figure(pair: Pair) -> go.Figure:
    """Daily counts by country, place and state against the observations (report's panels)."""
    places = _kept(pair.base, "top-places", lambda: daily.top_places(pair.base))
    countries = list(dict.fromkeys(c for r in pair.runs for c in daily.scenario_countries(r)))

    def prepare(run: RunData, states: list[str] | None) -> daily.DailyData:
        key = (tuple(places), tuple(states) if states is not None else None, tuple(countries))
        return _kept(run, "daily", lambda: daily.prepare(run, places, states, countries), key)

    states: list[str] = []
    for r in pair.runs:
        found = prepare(r, None).panels[-1].series
        states += [s.key for s in found if s.key not in states and s.key != daily.DEPARTED]
    # dates as a numpy array: plotly checks it at once, not date by date (same figure)
    prepared = [(r.label, replace(data, dates=np.array(data.dates, dtype="datetime64[D]")))
                for r in pair.runs for data in [prepare(r, states)]]
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
    """The observations scored for both runs, and a one-line summary (worked out once)."""
    if pair.scores is None:
        pair.scores = _score_rows(pair)
    return pair.scores


def _score_rows(pair: Pair) -> tuple[list[observations.ScoreRow], str]:
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
