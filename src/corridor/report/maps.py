"""The corridor map: country outlines, the route network, flows as lines, places by kind.

`prepare` computes what to draw once; `plotly_figure` and `draw_map` render it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from corridor.engine.states import STATE_LABELS, State
from corridor.report import geo
from corridor.report.data import Place, RunData
from corridor.report.style import FONT_STACK, KIND_LABELS, fmt, kind_colour

IN_TRANSIT = STATE_LABELS[State.IN_TRANSIT]

if TYPE_CHECKING:
    import plotly.graph_objects as go
    from matplotlib.axes import Axes

FLOW_COLOUR = "#c0392b"
MAX_FLOW_WIDTH_PX = 14.0  # plotly, pixels
MAX_FLOW_WIDTH_PT = 9.0  # matplotlib, points
CHAR_WIDTH = 0.0065  # width of a label character, as a fraction of the map's width
LINE_HEIGHT = 0.03  # height of a label, as a fraction of the map's height


@dataclass(frozen=True)
class Flow:
    """People who moved along one route over the whole run, both directions together."""

    a: Place
    b: Place
    forward: int  # a -> b
    backward: int  # b -> a

    @property
    def total(self) -> int:
        """People in both directions."""
        return self.forward + self.backward


@dataclass
class MapData:
    """What the map draws.

    Attributes:
        window: (lon_min, lat_min, lon_max, lat_max).
        places: Places of the scenario.
        through: People who arrived at each place over the run (sum of inflows).
        routes: Route ends (pairs of places) of the network.
        flows: Flows along routes, largest first.
        labelled: Ids of the places whose name is written on the map, with the side it is on.
        countries: ISO codes of the countries the scenario's places are in.
        story: Person-days the run's first cohort (the caravan) spent at each place where
            it was in numbers (at least a tenth of its busiest place; `story_places`): their
            names come first on the map, after the origins.
    """

    window: tuple[float, float, float, float]
    places: list[Place]
    through: dict[str, int]
    routes: list[tuple[Place, Place]] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    labelled: dict[str, str] = field(default_factory=dict)
    countries: set[str] = field(default_factory=set)
    story: dict[str, int] = field(default_factory=dict)

    @property
    def max_flow(self) -> int:
        """Largest flow (at least 1, to scale widths)."""
        return max((f.total for f in self.flows), default=1) or 1


def _flows(run: RunData) -> list[Flow]:
    table = run.flows.group_by(["from_place", "to_place"]).aggregate([("count", "sum")])
    pairs: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for src, dst, n in zip(
        table["from_place"].to_pylist(),
        table["to_place"].to_pylist(),
        table["count_sum"].to_pylist(),
        strict=True,
    ):
        if src not in run.places or dst not in run.places or src == dst:
            continue
        key = (src, dst) if src <= dst else (dst, src)
        pairs[key][0 if key == (src, dst) else 1] += int(n)
    flows = [Flow(run.places[a], run.places[b], f, r) for (a, b), (f, r) in pairs.items()]
    return sorted(flows, key=lambda f: f.total, reverse=True)


def _through(run: RunData) -> dict[str, int]:
    table = run.flows.group_by("to_place").aggregate([("count", "sum")])
    out = dict(zip(table["to_place"].to_pylist(), table["count_sum"].to_pylist(), strict=True))
    daily = run.daily.filter(pc.equal(run.daily["day"], 0))
    for place, n in zip(daily["place"].to_pylist(), daily["count"].to_pylist(), strict=True):
        out[place] = out.get(place, 0) + int(n)  # people counted on day 0 never "arrived"
    return {k: int(v) for k, v in out.items()}


def story_places(run: RunData) -> dict[str, int]:
    """Person-days the first cohort (the caravan) spent travelling at each place it was at.

    Only state `in_transit` counts (not those waiting to leave, held or settled). A place counts
    with at least a tenth of the busiest place's person-days: where the caravan waited or
    slept, not the towns it drove through. Without daily counts by cohort, people of the cohort
    arriving at each place stand in (see MapData).
    """
    from corridor.report import cohorts

    if "cohort" not in run.flows.schema.names or not cohorts.has_cohorts(run):
        return {}
    first = cohorts.names(run)[0]
    if cohorts.has_daily(run):
        table = cohorts.cohort_run(run, first).daily
        table = table.filter(pc.and_(pc.is_in(table["place"], pa.array(list(run.places))),
                                     pc.equal(table["state"], IN_TRANSIT)))
        table = table.group_by("place").aggregate([("count", "sum")])
        keys = table["place"].to_pylist()
    else:
        table = run.flows.filter(pc.equal(run.flows["cohort"], first))
        table = table.group_by("to_place").aggregate([("count", "sum")])
        keys = table["to_place"].to_pylist()
    counts = dict(zip(keys, table["count_sum"].to_pylist(), strict=True))
    if not counts:
        return {}
    floor = max(counts.values()) / 10
    return {k: int(v) for k, v in counts.items() if v >= floor}


def _labelled(
    places: list[Place], through: dict[str, int], window: tuple[float, ...], scale: float = 1.0,
    story: dict[str, int] | None = None,
) -> dict[str, str]:
    """Pick place names to write, and where ("right", "left", "bottom right", "bottom left").

    Origins come first, then the places the first cohort's story passes (`story`, busiest
    first), then border places, then the busiest. A name goes to the right of its
    marker, else to the left, else is left out, so that no two names (and no name and another
    place's marker) overlap; text boxes are estimated from the name's length. `scale` is the
    drawing's width relative to a full-width map (names take more room on a smaller drawing).
    """
    x0, y0, x1, y1 = window
    char_w, line_h = CHAR_WIDTH * (x1 - x0) / scale, LINE_HEIGHT * (y1 - y0) / scale
    priority = {
        "origin": 0,
        "conflict_zone": 0,
        "border_city": 1,
        "camp": 1,
        "port_of_entry": 2,
        "border_crossing": 2,
        "destination": 2,
    }
    story = story or {}

    def rank(p: Place) -> tuple[float, int, str]:
        if p.id in story and priority.get(p.kind, 3) > 0:
            return (0.5, -story[p.id], p.name)
        return (priority.get(p.kind, 3), -through.get(p.id, 0), p.name)

    ranked = sorted(places, key=rank)
    markers = {
        p.id: (p.lon - char_w / 2, p.lat - line_h / 3, p.lon + char_w / 2, p.lat + line_h / 3)
        for p in places
    }
    boxes: list[tuple[float, float, float, float]] = []
    chosen: dict[str, str] = {}

    def free(box: tuple[float, float, float, float], own: Place) -> bool:
        # markers at (nearly) the same spot as this place do not block its name; the names of
        # origins and of the story's places may cover other markers (never another name)
        others = [
            b
            for pid, b in markers.items()
            if pid != own.id and abs(b[0] + char_w / 2 - own.lon) > char_w
            and own.id not in story and priority.get(own.kind, 3) > 0
        ] + boxes
        inside = box[0] >= x0 and box[2] <= x1 and box[1] >= y0 and box[3] <= y1
        return inside and all(
            box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in others
        )

    for p in ranked:
        width = char_w * (len(p.name) + 1)
        right = (p.lon + char_w / 2, p.lat - line_h / 4, p.lon + char_w / 2 + width, p.lat + line_h)
        left = (p.lon - char_w / 2 - width, p.lat - line_h / 4, p.lon - char_w / 2, p.lat + line_h)
        # below the marker when both sides above are taken (a long name nearby, the edge)
        below_right = (right[0], p.lat - line_h, right[2], p.lat + line_h / 4)
        below_left = (left[0], p.lat - line_h, left[2], p.lat + line_h / 4)
        for side, box in (("right", right), ("left", left), ("bottom right", below_right),
                          ("bottom left", below_left)):
            if free(box, p):
                boxes.append(box)
                chosen[p.id] = side
                break
    return chosen


def _text_position(side: str) -> str:
    """Plotly's textposition of a name placed on `side` of its marker."""
    return side if side.startswith("bottom") else f"top {side}"


def dense_zone(m: MapData) -> tuple[float, float, float, float] | None:
    """Return a window around the most crowded group of places (for a zoomed inset), if any."""
    x0, y0, x1, y1 = m.window
    radius = 0.07 * ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
    best: list[Place] = []
    for p in m.places:
        near = [
            q for q in m.places if ((p.lon - q.lon) ** 2 + (p.lat - q.lat) ** 2) ** 0.5 < radius
        ]
        if len(near) > len(best):
            best = near
    unlabelled = [q for q in best if q.id not in m.labelled]
    if len(best) < 5 or len(unlabelled) < 2:
        return None
    return geo.extent([q.lon for q in best], [q.lat for q in best], margin=0.15, min_span=0.5)


def prepare(run: RunData, window: tuple[float, float, float, float] | None = None) -> MapData:
    """Compute the map of one run (pass `window` to draw two runs on the same frame)."""
    places = list(run.places.values())
    window = window or geo.extent([p.lon for p in places], [p.lat for p in places])
    through = _through(run)
    story = story_places(run)
    routes = [
        (run.places[r.start], run.places[r.end])
        for r in run.routes
        if r.start in run.places and r.end in run.places
    ]
    return MapData(
        window=window,
        places=places,
        through=through,
        routes=routes,
        flows=_flows(run),
        labelled=_labelled(places, through, window, story=story),
        countries={p.country for p in places},
        story=story,
    )


def relabel(m: MapData, scale: float) -> MapData:
    """The same map with names chosen for a drawing `scale` times as wide as a full-width one."""
    inside = [
        p
        for p in m.places
        if m.window[0] <= p.lon <= m.window[2] and m.window[1] <= p.lat <= m.window[3]
    ]
    return replace(m, labelled=_labelled(inside, m.through, m.window, scale, m.story))


def country_labels(m: MapData) -> list[tuple[str, float, float]]:
    """Names of the scenario's countries, at the middle of their largest outline if in view."""
    x0, y0, x1, y1 = m.window
    out = []
    for country in geo.visible(m.window):
        if country.iso_a2 not in m.countries:
            continue
        ring = max(country.rings, key=len)
        cx = sum(x for x, _ in ring) / len(ring)
        cy = sum(y for _, y in ring) / len(ring)
        if x0 < cx < x1 and y0 < cy < y1:
            out.append((geo.country_name(country.iso_a2).upper(), cx, cy))
    return out


def _outline_xy(window: tuple[float, float, float, float], only: set[str] | None, skip: set[str]):  # noqa: ANN202
    xs: list[float | None] = []
    ys: list[float | None] = []
    for country in geo.visible(window):
        if (only is not None and country.iso_a2 not in only) or country.iso_a2 in skip:
            continue
        for ring in country.rings:
            xs += [x for x, _ in ring] + [None]
            ys += [y for _, y in ring] + [None]
    return xs, ys


def _hover(m: MapData, p: Place) -> str:
    kind = KIND_LABELS.get(p.kind, p.kind)
    return (
        f"<b>{p.name}</b><br>{kind}, {geo.country_name(p.country)}<br>"
        f"{fmt(m.through.get(p.id, 0))} people arrived here over the run"
    )


def add_plotly_traces(
    fig: go.Figure, m: MapData, col: int | None = None, legend: bool = True
) -> None:
    """Add the map's traces to a plotly figure (to subplot column `col` when given)."""
    import plotly.graph_objects as go

    where = {"row": 1, "col": col} if col else {}
    for only, fill in ((m.countries, "#e6e1d3"), (None, "#f7f7f4")):
        xs, ys = _outline_xy(m.window, only, set() if only else m.countries)
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                fill="toself",
                fillcolor=fill,
                line={"color": "#a7a7a7", "width": 0.7},
                hoverinfo="skip",
                showlegend=False,
            ),
            **where,
        )
    labels = country_labels(m)
    if labels:
        fig.add_trace(
            go.Scatter(
                x=[c[1] for c in labels],
                y=[c[2] for c in labels],
                mode="text",
                text=[c[0] for c in labels],
                hoverinfo="skip",
                showlegend=False,
                textfont={"size": 11, "color": "#9a9486"},
            ),
            **where,
        )
    if m.routes:
        xs, ys = [], []
        for a, b in m.routes:
            xs += [a.lon, b.lon, None]
            ys += [a.lat, b.lat, None]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={"color": "#9e9e9e", "width": 0.8, "dash": "dot"},
                hoverinfo="skip",
                name="route (network)",
                showlegend=legend,
                legendgroup="routes",
            ),
            **where,
        )
    for f in m.flows:
        width = 1.0 + (MAX_FLOW_WIDTH_PX - 1.0) * f.total / m.max_flow
        fig.add_trace(
            go.Scatter(
                x=[f.a.lon, f.b.lon],
                y=[f.a.lat, f.b.lat],
                mode="lines",
                line={"color": FLOW_COLOUR, "width": width},
                opacity=0.55,
                hoverinfo="skip",
                showlegend=False,
            ),
            **where,
        )
    if m.flows:
        fig.add_trace(
            go.Scatter(
                x=[(f.a.lon + f.b.lon) / 2 for f in m.flows],
                y=[(f.a.lat + f.b.lat) / 2 for f in m.flows],
                mode="markers",
                marker={"size": 9, "color": FLOW_COLOUR, "opacity": 0.0},
                hovertext=[
                    f"<b>{f.a.name} – {f.b.name}</b><br>{fmt(f.total)} people moved along it"
                    f"<br>{f.a.name} → {f.b.name}: {fmt(f.forward)}"
                    f"<br>{f.b.name} → {f.a.name}: {fmt(f.backward)}"
                    for f in m.flows
                ],
                hoverinfo="text",
                name="people moved (line width)",
                showlegend=legend,
                legendgroup="flows",
            ),
            **where,
        )
    for kind in dict.fromkeys(p.kind for p in m.places):
        group = [p for p in m.places if p.kind == kind]
        fig.add_trace(
            go.Scatter(
                x=[p.lon for p in group],
                y=[p.lat for p in group],
                mode="markers+text",
                marker={
                    "size": 9,
                    "color": kind_colour(kind),
                    "line": {"width": 0.8, "color": "#222"},
                },
                text=[p.name if p.id in m.labelled else "" for p in group],
                textposition=[_text_position(m.labelled.get(p.id, "right")) for p in group],
                textfont={"size": 10, "color": "#222"},
                hovertext=[_hover(m, p) for p in group],
                hoverinfo="text",
                name=KIND_LABELS.get(kind, kind),
                legendgroup=kind,
                showlegend=legend,
            ),
            **where,
        )


def plotly_figure(maps: list[tuple[str, MapData]]) -> go.Figure:
    """Return the interactive map; two runs (compare mode) are drawn side by side."""
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=1, cols=len(maps), subplot_titles=[t for t, _ in maps], horizontal_spacing=0.03
    )
    x0, y0, x1, y1 = maps[0][1].window
    for i, (_, m) in enumerate(maps, start=1):
        add_plotly_traces(fig, m, col=i, legend=i == 1)
        suffix = "" if i == 1 else str(i)
        fig.update_layout(
            {
                f"xaxis{suffix}": {
                    "range": [x0, x1],
                    "showgrid": False,
                    "zeroline": False,
                    "showticklabels": False,
                    "constrain": "domain",
                },
                f"yaxis{suffix}": {
                    "range": [y0, y1],
                    "showgrid": False,
                    "zeroline": False,
                    "showticklabels": False,
                    "scaleanchor": f"x{suffix}",
                    "scaleratio": geo.aspect(y0, y1),
                    "constrain": "domain",
                },
            }
        )
    ratio = (x1 - x0) / ((y1 - y0) * geo.aspect(y0, y1))  # width / height of one map
    width = 1100 / len(maps)  # about the page's width, shared by the maps
    fig.update_layout(
        height=int(min(max(width / ratio, 300), 820)) + 80,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        plot_bgcolor="#dbe9f4",
        font={"family": FONT_STACK, "size": 12},
        legend={"orientation": "h", "y": -0.02, "x": 0, "font": {"size": 11}},
        hoverlabel={"bgcolor": "white"},
    )
    return fig


def zoom(m: MapData) -> MapData | None:
    """The map of the most crowded group of places (see `dense_zone`), or None if none is."""
    zone = dense_zone(m)
    if zone is None:
        return None
    inside = [p for p in m.places if zone[0] <= p.lon <= zone[2] and zone[1] <= p.lat <= zone[3]]
    return replace(m, window=zone, labelled=_labelled(inside, m.through, zone, story=m.story))


def mark_zoom(ax: Axes, zoomed: MapData, label: str) -> None:
    """Outline on a map the window of its zoom, with a label."""
    from matplotlib.patches import Rectangle

    x0, y0, x1, y1 = zoomed.window
    ax.add_patch(
        Rectangle(
            (x0, y0),
            x1 - x0,
            y1 - y0,
            fill=False,
            edgecolor="#333333",
            linewidth=1.2,
            linestyle="--",
            zorder=6,
        )
    )
    ax.text(
        x0,
        y0,
        f" {label}",
        fontsize=8,
        va="top",
        ha="left",
        zorder=6,
        color="#333333",
        fontweight="bold",
    )


def draw_map(ax: Axes, m: MapData, title: str = "", legend: bool = True) -> None:
    """Draw the map on a matplotlib axes (for the PNG).

    Args:
        ax: Axes to draw on.
        m: What to draw, from `prepare` (or `zoom`).
        title: Title above the map.
        legend: Draw the legend of kinds and flow widths.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Polygon

    x0, y0, x1, y1 = m.window
    ax.set_facecolor("#dbe9f4")
    for country in geo.visible(m.window):
        fill = "#e6e1d3" if country.iso_a2 in m.countries else "#f7f7f4"
        for ring in country.rings:
            ax.add_patch(
                Polygon(
                    ring, closed=True, facecolor=fill, edgecolor="#a7a7a7", linewidth=0.5, zorder=1
                )
            )
    for name, cx, cy in country_labels(m):
        ax.text(
            cx,
            cy,
            name,
            fontsize=8,
            color="#9a9486",
            ha="center",
            va="center",
            zorder=1.5,
            style="italic",
        )
    for a, b in m.routes:
        ax.plot([a.lon, b.lon], [a.lat, b.lat], color="#9e9e9e", lw=0.6, ls=":", zorder=2)
    for f in m.flows:
        width = 0.6 + (MAX_FLOW_WIDTH_PT - 0.6) * f.total / m.max_flow
        ax.plot(
            [f.a.lon, f.b.lon],
            [f.a.lat, f.b.lat],
            color=FLOW_COLOUR,
            lw=width,
            alpha=0.55,
            solid_capstyle="round",
            zorder=3,
        )
    kinds = list(dict.fromkeys(p.kind for p in m.places))
    for kind in kinds:
        group = [p for p in m.places if p.kind == kind]
        ax.scatter(
            [p.lon for p in group],
            [p.lat for p in group],
            s=28,
            c=kind_colour(kind),
            edgecolors="#222222",
            linewidths=0.6,
            zorder=4,
        )
    for p in m.places:
        if p.id in m.labelled:
            side = m.labelled[p.id]
            left, below = side.endswith("left"), side.startswith("bottom")
            ax.annotate(
                p.name,
                (p.lon, p.lat),
                xytext=(-4 if left else 4, -3 if below else 3),
                ha="right" if left else "left",
                va="top" if below else "baseline",
                textcoords="offset points",
                fontsize=7.5,
                zorder=5,
                bbox={
                    "boxstyle": "round,pad=0.1",
                    "facecolor": "white",
                    "alpha": 0.6,
                    "linewidth": 0,
                },
            )
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            color=kind_colour(k),
            markeredgecolor="#222",
            label=KIND_LABELS.get(k, k),
        )
        for k in kinds
    ]
    for share in (1.0, 0.5, 0.1):
        n = m.max_flow * share
        handles.append(
            Line2D(
                [],
                [],
                color=FLOW_COLOUR,
                alpha=0.55,
                lw=0.6 + (MAX_FLOW_WIDTH_PT - 0.6) * share,
                label=f"{fmt(n)} people moved",
            )
        )
    if legend:
        ax.legend(handles=handles, loc="lower left", fontsize=7, framealpha=0.85)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(geo.aspect(y0, y1))
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, loc="left", fontsize=11)
