"""The forecast page (`forecast.html`): fans of the forecast against the counts.

Self-contained like the report (plotly.js embedded, no link outside the file). Two figures:

- the daily fan (5–95 % and 25–75 % bands, median) of the caravan cohort at the places where
  the most people are forecast, from `bands.parquet`;
- every observation's predictive band (what would be observed, with the observation error)
  against its value: counts known at the time in black, counts that came later in red.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

FORECAST_HTML = "forecast.html"
MAX_PLACES = 6


def _label(place: str, names: dict[str, str]) -> str:
    """A position's display name: a place's name, or "From → To" for a link."""
    if ">" in place:
        a, b = place.split(">", 1)
        return f"{names.get(a, a)} → {names.get(b, b)}"
    return names.get(place, place)


def _fan(bands, cohort: str | None, skip: frozenset[str] = frozenset(),
         names: dict[str, str] | None = None):
    import plotly.graph_objects as go
    import pyarrow.compute as pc
    from plotly.subplots import make_subplots

    want = cohort or "*"
    rows = bands.filter(pc.and_(pc.equal(bands["state"], "*"), pc.equal(bands["cohort"], want)))
    med = rows.filter(pc.equal(rows["quantile"], 0.5)).to_pylist()
    peak: dict[str, float] = {}
    for r in med:
        if r["place"] not in skip:
            peak[r["place"]] = max(peak.get(r["place"], 0.0), r["count"])
    places = [p for p, v in sorted(peak.items(), key=lambda kv: -kv[1]) if v > 0][:MAX_PLACES]
    if not places:
        return None
    titles = [_label(p, names or {}) for p in places]
    fig = make_subplots(rows=len(places), cols=1, shared_xaxes=True, subplot_titles=titles,
                        vertical_spacing=0.04)
    data = rows.to_pylist()
    for i, place in enumerate(places, start=1):
        series: dict[float, list[tuple[dt.date, float]]] = {}
        for r in data:
            if r["place"] == place:
                series.setdefault(r["quantile"], []).append((r["date"], r["count"]))
        for q in series:
            series[q].sort()
        dates = [d for d, _ in series[0.5]]
        for lo, hi, color in ((0.05, 0.95, "rgba(140,45,25,0.18)"),
                              (0.25, 0.75, "rgba(140,45,25,0.35)")):
            upper = [v for _, v in series[hi]]
            lower = [v for _, v in series[lo]]
            fig.add_trace(go.Scatter(x=dates + dates[::-1], y=upper + lower[::-1],
                                     fill="toself", fillcolor=color, line={"width": 0},
                                     name=f"{round(lo * 100)}–{round(hi * 100)} %",
                                     showlegend=i == 1, hoverinfo="skip"), row=i, col=1)
        fig.add_trace(go.Scatter(x=dates, y=[v for _, v in series[0.5]], mode="lines",
                                 line={"color": "#8c2d19"}, name="median", showlegend=i == 1),
                      row=i, col=1)
    fig.update_layout(height=180 * len(places) + 80, margin={"l": 60, "r": 20, "t": 40, "b": 30})
    return fig


def _observations(rows: list[dict[str, Any]]):
    import plotly.graph_objects as go

    if not rows:
        return None
    labels = [f"{r['place']} · {r['kind']}{' · ' + r['cohort'] if r['cohort'] else ''} · "
              f"{r['period_start']}–{r['period_end']}" for r in rows]
    fig = go.Figure()
    for lo, hi, width, name in (("q05", "q95", 3, "5–95 %"), ("q25", "q75", 9, "25–75 %")):
        xs, ys = [], []
        for label, r in zip(labels, rows, strict=True):
            xs += [max(r[lo], 0.5), max(r[hi], 0.5), None]
            ys += [label, label, None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=name,
                                 line={"width": width, "color": "rgba(140,45,25,0.45)"}))
    for known, color, name in ((True, "#1f2328", "known at the time"),
                               (False, "#d62728", "came later")):
        pick = [(label, r) for label, r in zip(labels, rows, strict=True) if r["known"] == known]
        if pick:
            fig.add_trace(go.Scatter(x=[max(r["value"], 0.5) for _, r in pick],
                                     y=[label for label, _ in pick], mode="markers",
                                     marker={"color": color, "size": 8}, name=name))
    fig.update_xaxes(type="log", title="count (days for arrival days)")
    fig.update_layout(height=24 * len(rows) + 140, margin={"l": 20, "r": 20, "t": 30, "b": 40},
                      yaxis={"autorange": "reversed", "automargin": True})
    return fig


def write_forecast_report(folder: Path, summary: dict[str, Any], cohort: str | None,
                          skip: frozenset[str] = frozenset(),
                          names: dict[str, str] | None = None) -> Path:
    """Write `forecast.html` into a forecast folder and return its path.

    Args:
        folder: The forecast folder (`bands.parquet`).
        summary: What `forecast.json` holds.
        cohort: The caravan's cohort (the fan shows it).
        skip: Places left out of the fan (the origins, where those who have not left or
            came back are).
        names: Place id → display name, for the panels' titles (ids without it).
    """
    import pyarrow.parquet as pq

    from corridor.io.atomic import write_text
    from corridor.report.html import Section, page

    folder = Path(folder)
    bands = pq.read_table(folder / "bands.parquet")
    fan = Section("fan", "The forecast fan")
    fig = _fan(bands, cohort, skip, names)
    if fig is None:
        fan.text("Nobody of the caravan is forecast at any place in the horizon.")
    else:
        fan.figure(fig, f"People of the {cohort or 'every'} cohort at the places with the most "
                        f"people (origins left out), per day from {summary['as_of']}: weighted "
                        f"quantiles over the {summary['runs']} members of the posterior (no "
                        f"observation error).")
    obs = Section("counts", "Forecast against the counts")
    fig = _observations(summary["observations"])
    if fig is None:
        obs.text("The scenario has no observations.")
    else:
        obs.figure(fig, "Each observation: the band of what would be observed (members with "
                        "their observation error); black: counts known at the time and "
                        "assimilated, red: counts that came later (not used).")
    post = Section("posterior", "What was assimilated")
    post.table(["quantity", "prior centre", "posterior 5 %", "median", "95 %", "what"],
               [[name, f"{q['prior_center']:.4g}", f"{q['q05']:.4g}", f"{q['q50']:.4g}",
                 f"{q['q95']:.4g}", q["what"]] for name, q in summary["quantities"].items()])
    post.table(["stage", "date", "counts assimilated", "days run", "ESS", "failed"],
               [[str(i + 1), s["date"], str(s["n_observations"]), str(s["days"]),
                 f"{s['ess']:.1f}", str(s["failed"])] for i, s in enumerate(summary["stages"])])
    html = page(f"Forecast of {summary['scenario']} as of {summary['as_of']}",
                f"{summary['runs']} members per stage, {len(summary['stages'])} stages, "
                f"horizon {summary['horizon_days']} days",
                [f"{summary['n_known']} counts known by {summary['as_of']} assimilated; "
                 f"{summary['n_later']} later counts shown against the forecast, never used."],
                [fan, obs, post], "Corridor forecast (docs/forecasting.md)")
    path = folder / FORECAST_HTML
    write_text(path, html)
    return path
