"""Ensemble bands for the dashboard: each member's daily totals by state, then quantiles."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow.compute as pc

QUANTILES = (0.05, 0.5, 0.95)


def member_series(result: Any, scenario: Any) -> dict[str, Any]:
    """People in each state on each day, and on the last day, for one member."""
    days = scenario.config.days
    table = result.daily.group_by(["day", "state"]).aggregate([("count", "sum")])
    states: dict[str, list[int]] = {}
    for state in pc.unique(table["state"]).to_pylist():
        sub = table.filter(pc.equal(table["state"], state))
        values = np.zeros(days, dtype=np.int64)
        values[np.asarray(sub["day"])] = np.asarray(sub["count_sum"])
        states[state] = values.tolist()
    return {"daily": states, "final": dict(result.summary["by_state"])}


def summarise(members: list[dict[str, Any]]) -> dict[str, Any]:
    """The 5 %, 50 % and 95 % quantiles over the members, per state and day, and at the end."""
    states = sorted({s for m in members for s in m["daily"]})
    days = len(next(iter(members[0]["daily"].values()), []))
    daily = {}
    final = {}
    for state in states:
        stack = np.array([m["daily"].get(state, [0] * days) for m in members], dtype=float)
        daily[state] = np.quantile(stack, QUANTILES, axis=0).round(1).tolist()
        ends = np.array([m["final"].get(state, 0) for m in members], dtype=float)
        final[state] = np.quantile(ends, QUANTILES).round(1).tolist()
    return {"members": len(members), "daily": daily, "final": final}


def bands_figure(result: dict[str, Any], start_date: Any, top: int = 6) -> Any:
    """Median lines and 5–95 % bands of the largest states, baseline solid, what-if dashed."""
    import datetime as dt

    import plotly.graph_objects as go

    from corridor.report.style import state_colour, state_label

    base, what = result["baseline"], result["whatif"]
    peak = {s: max(v[2]) for s, v in base["daily"].items()}
    chosen = sorted(peak, key=lambda s: -peak[s])[:top]
    fig = go.Figure()
    for label, data, dash in (("baseline", base, "solid"), ("what-if", what, "dash")):
        for state in chosen:
            lo, mid, hi = data["daily"].get(state, [[0], [0], [0]])
            dates = [start_date + dt.timedelta(days=d) for d in range(len(mid))]
            colour = state_colour(state)
            fig.add_trace(go.Scatter(x=dates + dates[::-1], y=hi + lo[::-1], fill="toself",
                                     fillcolor=colour, opacity=0.15, line={"width": 0},
                                     hoverinfo="skip", showlegend=False))
            fig.add_trace(go.Scatter(x=dates, y=mid, mode="lines", line={"color": colour,
                                     "dash": dash}, name=f"{state_label(state)} ({label})"))
    fig.update_layout(title=f"{base['members']} members each: median and 5–95 % band",
                      height=460, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig
