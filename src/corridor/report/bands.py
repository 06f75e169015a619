"""The report of an ensemble folder (`corridor ensemble --out DIR`): quantile bands over days.

A separate entry point beside `write_report` (which draws one run): it reads the ensemble's
`bands.parquet`, `score.json`, `ensemble.json` and `scenario/`, and writes `DIR/report.html`
and `DIR/figures/bands-*.png`. Each panel shows the members' median (line), the 25–75 % band
(dark) and the 5–95 % band (light); observed counts of people present at a place are drawn over
the place panels.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor.report.html import Section, esc, page
from corridor.report.style import fmt, fmt_value, state_colour, state_label

if TYPE_CHECKING:
    import pyarrow as pa

MAX_PLACES = 9
PRESENT_KINDS = frozenset({"present", "count", "population", "stock"})


def _panels(bands: pa.Table, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    """Return per (place, state) the run's dates and one array per quantile (0: nobody)."""
    import pyarrow.compute as pc

    from corridor.analysis.bands import series

    first, last = (int(v.as_py()) for v in pc.min_max(bands.column("day")).values())
    day0 = bands.column("date")[0].as_py() - timedelta(days=bands.column("day")[0].as_py())
    dates = [day0 + timedelta(days=d) for d in range(first, last + 1)]
    out = {}
    for place, state in keys:
        panel: dict[Any, Any] = {"dates": dates}
        for q, t in series(bands, place, state).items():
            values = np.zeros(len(dates))
            values[t.column("day").to_numpy() - first] = t.column("count").to_numpy()
            panel[q] = values
        out[(place, state)] = panel
    return out


def _keys(bands: pa.Table) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Return the state panels (every state someone was in) and the busiest places."""
    import pyarrow.compute as pc

    from corridor.analysis.bands import ALL

    med = bands.filter(pc.equal(bands.column("quantile"), 0.5))
    states = sorted(
        {
            s
            for p, s in zip(
                med.column("place").to_pylist(), med.column("state").to_pylist(), strict=True
            )
            if p == ALL and s != ALL
        }
    )
    place_rows = med.filter(
        pc.and_(
            pc.equal(med.column("state"), ALL),
            pc.invert(pc.match_substring(med.column("place"), ">")),
        )
    )
    peak: dict[str, float] = {}
    for p, c in zip(
        place_rows.column("place").to_pylist(), place_rows.column("count").to_pylist(), strict=True
    ):
        if p != ALL:
            peak[p] = max(peak.get(p, 0.0), c)
    places = sorted(peak, key=lambda p: -peak[p])[:MAX_PLACES]
    return [(ALL, s) for s in states], [(p, ALL) for p in places]


def _observed(
    folder: Path, place_ids: list[str]
) -> dict[str, list[tuple[date, date, float, float, float]]]:
    """Return the observed counts of people present at each drawn place (best effort)."""
    try:
        from corridor.analysis.measures import Catalog
        from corridor.scenario.load import load_scenario

        scenario = load_scenario(folder / "scenario")
        catalog = Catalog.from_scenario(scenario)
    except Exception:  # noqa: BLE001 - the bands are drawn without them
        return {}
    out: dict[str, list] = {}
    for obs in scenario.observations:
        if obs.kind not in PRESENT_KINDS:
            continue
        try:
            places = catalog.where(obs.place).places
        except Exception:  # noqa: BLE001 - an observation the mapping does not know
            continue
        if len(places) == 1 and next(iter(places)) in place_ids:
            low = obs.value if obs.low is None else obs.low
            high = obs.value if obs.high is None else obs.high
            out.setdefault(next(iter(places)), []).append(
                (obs.period_start, obs.period_end, obs.value, low, high)
            )
    return out


def _draw(
    path: Path, panels: dict, labels: dict, colours: dict, observed: dict, members: int
) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n = len(panels)
    cols = 3 if n > 4 else max(n, 1)
    rows = max(1, -(-n // cols))
    fig = Figure(figsize=(4.2 * cols, 2.6 * rows + 0.4), layout="constrained")
    FigureCanvasAgg(fig)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
    for ax, (key, data) in zip(axes, panels.items(), strict=False):
        colour = colours.get(key, "#1f77b4")
        d = data["dates"]
        ax.fill_between(d, data[0.05], data[0.95], color=colour, alpha=0.18, linewidth=0)
        ax.fill_between(d, data[0.25], data[0.75], color=colour, alpha=0.38, linewidth=0)
        ax.plot(d, data[0.5], color=colour, linewidth=1.6)
        for start, end, value, low, high in observed.get(key[0], []):
            mid = start + (end - start) / 2
            ax.errorbar(
                [mid],
                [value],
                yerr=[[value - low], [high - value]],
                fmt="D",
                color="black",
                markersize=4,
                capsize=2,
            )
        ax.set_title(labels.get(key, key[0]), fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_ylim(bottom=0)
        for label in ax.get_xticklabels():
            label.set_rotation(30)
    for ax in axes[n:]:
        ax.set_visible(False)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    grey = "#555555"
    legend = {
        "median": Line2D([], [], color=grey, linewidth=1.6),
        "25–75 %": Patch(color=grey, alpha=0.38),
        "5–95 %": Patch(color=grey, alpha=0.18),
    }
    if any(observed.get(key[0]) for key in panels):
        legend["observed (low–high)"] = Line2D(
            [], [], color="black", marker="D", markersize=4, linestyle="none"
        )
    fig.legend(
        legend.values(),
        legend.keys(),
        loc="outside lower center",
        ncols=len(legend),
        fontsize=8,
        title=f"over {members} members",
        title_fontsize=8,
    )
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=100, format="png")
    data = buffer.getvalue()
    from corridor.io.atomic import temp_path

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    tmp.write_bytes(data)
    tmp.replace(path)
    return data


def _img(section: Section, png: bytes, path: Path, caption: str) -> None:
    encoded = base64.b64encode(png).decode("ascii")
    section.raw(
        f'<figure><img style="width:100%;height:auto" alt="{esc(caption)}" '
        f'src="data:image/png;base64,{encoded}"><figcaption>{esc(caption)} The image '
        f"is also in <code>{esc(path.name)}</code>.</figcaption></figure>"
    )


def _score_section(score: dict[str, Any]) -> Section:
    sec = Section("observations", "Observations against the ensemble")
    rows = []
    for r in score.get("observations", []):
        period = (
            r["period_start"]
            if r["period_start"] == r["period_end"]
            else f"{r['period_start']} – {r['period_end']}"
        )
        has = r["members"] > 0
        rows.append(
            [
                period,
                r["place"],
                r["kind"],
                fmt(r["value"]),
                *(fmt(r[k]) if has else "–" for k in ("p05", "p50", "p95")),
                {True: "yes", False: "no", None: "–"}[r["inside_band"]],
                f"{r['members_within_range']:.0%}" if has else "–",
            ]
        )
    if rows:
        sec.table(
            [
                "period",
                "place",
                "kind",
                "observed",
                "5 %",
                "median",
                "95 %",
                "in 90 % band",
                "members in range",
            ],
            rows,
            numeric_from=3,
        )
        share = score.get("share_inside_band")
        sec.text(
            f"{share:.0%} of the observations lie inside the members' 90 % band "
            "(5 %–95 %). Each member measures an observation as `corridor score` does "
            "for one run.",
            "note",
        )
    else:
        sec.text("The scenario has no observations.", "note")
    ard = score.get("ard")
    if ard:
        sec.text(
            f"ARD over the camps (Flee's validation metric, rescaled): mean "
            f"{ard['mean']:.3f}, standard deviation {ard['sd']:.3f}, 5–95 % "
            f"{ard['p05']:.3f}–{ard['p95']:.3f}, over {ard['members']} members."
        )
    return sec


def write_ensemble_report(folder: Path, out: Path | None = None) -> Path:
    """Write the report of an ensemble folder: bands per state and place, and the score.

    Args:
        folder: An ensemble folder (`bands.parquet`, `ensemble.json`, `score.json`).
        out: Where to write the HTML (default: `folder/report.html`).

    Returns:
        The path of the HTML file.
    """
    from corridor.analysis.bands import read_bands
    from corridor.io.atomic import write_text

    folder = Path(folder)
    bands = read_bands(folder)
    members = int((bands.schema.metadata or {}).get(b"members", b"0"))
    info = json.loads((folder / "ensemble.json").read_text(encoding="utf-8"))
    score_path = folder / "score.json"
    score = json.loads(score_path.read_text(encoding="utf-8")) if score_path.is_file() else {}
    out = Path(out) if out else folder / "report.html"
    figures = out.parent / "figures"
    state_keys, place_keys = _keys(bands)
    sections = []

    sec = Section("outputs", "Outputs over the members")
    rows = [
        [name, *(fmt_value(d[k]) if d else "–" for k in ("mean", "p05", "p50", "p95"))]
        for name, d in info.get("outputs", {}).items()
        if d and (not name.startswith("final:") or d["max"] > 0)
    ]
    sec.table(["output", "mean", "5 %", "median", "95 %"], rows)
    sections.append(sec)

    sec = Section("states", "People in each state, day by day")
    panels = _panels(bands, state_keys)
    png = _draw(
        figures / "bands-states.png",
        panels,
        {k: state_label(k[1]) for k in panels},
        {k: state_colour(k[1]) for k in panels},
        {},
        members,
    )
    _img(
        sec,
        png,
        figures / "bands-states.png",
        "People in each state, wherever they are: the "
        "members' median (line), 25–75 % (dark) and 5–95 % (light) bands, from "
        "bands.parquet.",
    )
    sections.append(sec)

    if place_keys:
        sec = Section("places", "People at the busiest places")
        panels = _panels(bands, place_keys)
        observed = _observed(folder, [p for p, _ in place_keys])
        png = _draw(
            figures / "bands-places.png", panels, {k: k[0] for k in panels}, {}, observed, members
        )
        _img(
            sec,
            png,
            figures / "bands-places.png",
            "People at the places with the highest "
            "median count, in any state; diamonds are observed counts of people present "
            "there (bar: the observed low–high range).",
        )
        sections.append(sec)
    sections.append(_score_section(score))

    title = f"Corridor ensemble: {info.get('scenario', '')}"
    subtitle = (
        f"{members} members · root seed {info.get('seed')} · "
        f"{info.get('backend', '')} · {info.get('wall_time_s', 0):.1f} s"
    )
    created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    footer = (
        f"Written by corridor {info.get('corridor_version', '')} on {created} from "
        f"{folder}. The page needs no network."
    )
    summary = [
        f"{members} runs of {info.get('scenario', '')} with seeds spawned from "
        f"{info.get('seed')}; every panel shows how far the runs spread."
    ]
    write_text(out, page(title, subtitle, summary, sections, footer))
    return out
