"""The outcomes Sankey diagram, drawn with matplotlib as an alluvial chart.

The same drawing is the PNG and, as inline SVG, the page's figure: every box is labelled with its
count and share, to the right of the box, so labels never face each other across a gap (plotly's
Sankey puts labels of the last two columns face to face, and they overlap).
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np

from corridor.report.stages import Node, SankeyData
from corridor.report.style import fmt, pct

if TYPE_CHECKING:
    from matplotlib.axes import Axes

LABEL_WIDTH = 26  # characters per line of a box label, so labels stay within their column
GAP = 0.025  # vertical gap between the boxes of a column, as a fraction of the height
MIN_BOX = 0.022  # smallest box height, as a fraction of the height (a group of a few people)


def _layout(data: SankeyData, gap: float) -> dict[Node, tuple[float, float]]:
    """Vertical extent (top, bottom) of each node; 1.0 is the figure height, y grows downward.

    Nodes are ordered in their column by the mean position of the nodes feeding them (fewer
    crossings), then with nodes that lead on first, then by size. Heights are proportional to
    people, with a floor (`MIN_BOX`) for the smallest groups.
    """
    columns: dict[int, list[Node]] = {}
    for node in data.totals:
        columns.setdefault(node.column, []).append(node)

    def height(node: Node, scale: float) -> float:
        # a floor, so that a box of a handful of people is still a box its label can point at
        return max(data.totals[node] * scale, MIN_BOX)

    scale = min(
        (1.0 - gap * (len(nodes) - 1)) / max(sum(data.totals[n] for n in nodes), 1)
        for nodes in columns.values()
    )
    for _ in range(20):  # shrink until every column fits with its floored boxes
        tallest = max(
            sum(height(n, scale) for n in nodes) + gap * (len(nodes) - 1)
            for nodes in columns.values()
        )
        if tallest <= 1.0 + 1e-9:
            break
        scale *= 0.97
    leads_on = {a for a, _ in data.links}
    extent: dict[Node, tuple[float, float]] = {}
    for col in sorted(columns):

        def centre(node: Node) -> float:
            feeds = [
                (extent[a], v) for (a, b), v in data.links.items() if b == node and a in extent
            ]
            if not feeds:
                return 0.0
            return sum((t + b) / 2 * v for (t, b), v in feeds) / sum(v for _, v in feeds)

        order = sorted(
            columns[col], key=lambda n: (round(centre(n), 3), n not in leads_on, -data.totals[n])
        )
        y = 0.0
        for node in order:
            h = height(node, scale)
            extent[node] = (y, y + h)
            y += h + gap
    return extent


def _band(
    ax: Axes, x0: float, x1: float, top0: float, bot0: float, top1: float, bot1: float, colour: str
) -> None:
    t = np.linspace(0.0, 1.0, 40)
    s = 3 * t**2 - 2 * t**3
    xs = x0 + (x1 - x0) * t
    ax.fill_between(
        xs,
        top0 + (top1 - top0) * s,
        bot0 + (bot1 - bot0) * s,
        color=colour,
        alpha=0.35,
        linewidth=0,
    )


def draw_alluvial(ax: Axes, data: SankeyData, title: str = "") -> None:
    """Draw the outcomes diagram on a matplotlib axes (for the PNG).

    Args:
        ax: Axes to draw on; its limits and frame are set here.
        data: Nodes and links from `stages.build`.
        title: Optional title above the diagram.
    """
    if not data.totals:
        ax.text(0.5, 0.5, "No outcomes in this run", ha="center", va="center")
        ax.set_axis_off()
        return
    extent = _layout(data, GAP)
    width = 0.1
    n_cols = max(n.column for n in data.totals) + 1
    x_of = {c: c * 1.0 for c in range(n_cols)}
    out_used: dict[Node, float] = {}
    in_used: dict[Node, float] = {}
    links = sorted(data.links.items(), key=lambda kv: (extent[kv[0][0]][0], extent[kv[0][1]][0]))
    for (a, b), value in links:
        ha = (extent[a][1] - extent[a][0]) * value / data.totals[a]
        hb = (extent[b][1] - extent[b][0]) * value / data.totals[b]
        top0 = extent[a][0] + out_used.get(a, 0.0)
        top1 = extent[b][0] + in_used.get(b, 0.0)
        out_used[a] = out_used.get(a, 0.0) + ha
        in_used[b] = in_used.get(b, 0.0) + hb
        _band(
            ax,
            x_of[a.column] + width / 2,
            x_of[b.column] - width / 2,
            top0,
            top0 + ha,
            top1,
            top1 + hb,
            data.colours.get(b, "#999999"),
        )
    for node, (top, bottom) in extent.items():
        x = x_of[node.column]
        ax.add_patch(
            _rect(
                x - width / 2,
                top,
                width,
                max(bottom - top, 0.002),
                data.colours.get(node, "#999999"),
            )
        )
    _labels(ax, data, extent, x_of, width)
    ax.set_xlim(-width, n_cols - 1 + 0.95)
    ax.set_ylim(1.02, -0.06)
    ax.set_axis_off()
    if title:
        ax.set_title(title, loc="left", fontsize=11)


def _rect(x: float, y: float, w: float, h: float, colour: str):  # noqa: ANN202 - matplotlib type
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, facecolor=colour, edgecolor="#333333", linewidth=0.5)


def _labels(
    ax: Axes,
    data: SankeyData,
    extent: dict[Node, tuple[float, float]],
    x_of: dict[int, float],
    width: float,
) -> None:
    """Label each node to its right, pushing labels down where small nodes crowd together."""
    line = 0.026  # height of a line of label text, as a fraction of the drawing's height
    by_col: dict[int, list[Node]] = {}
    for node in extent:
        by_col.setdefault(node.column, []).append(node)
    for col, nodes in by_col.items():
        below = -1.0  # bottom of the previous label in this column
        for node in sorted(nodes, key=lambda n: extent[n][0]):
            top, bottom = extent[node]
            share = pct(data.totals[node], data.departed)
            text = textwrap.fill(f"{node.label} · {fmt(data.totals[node])} ({share})", LABEL_WIDTH)
            half = line * (text.count("\n") + 1) / 2
            centre = (top + bottom) / 2
            y = max(centre, below + half)
            below = y + half
            if y - centre > line / 2:  # pushed down by crowded neighbours: draw a leader
                x = x_of[col] + width / 2
                ax.plot([x, x + 0.015, x + 0.03], [centre, y, y], color="#777777", lw=0.6)
            ax.text(
                x_of[col] + width / 2 + 0.03,
                y,
                text,
                va="center",
                ha="left",
                fontsize=9,
                linespacing=1.1,
                bbox={
                    "boxstyle": "round,pad=0.15",
                    "facecolor": "white",
                    "alpha": 0.75,
                    "linewidth": 0,
                },
            )
