"""An ensemble against the observations: the members' spread for each observed count.

Each member measures every observation of the scenario in its worker, with the score module's
measure mapping (`corridor.analysis.measures`, the same as `corridor score` on one run), and the
values are kept in the run catalog. Here they become, per observation, the 5/25/50/75/95 %
quantiles over the members, whether the observed value lies inside the 90 % band (5 %–95 %),
whether the observed low–high range overlaps it, and the share of members whose value lies in
the observed range. Overall: the share of observations inside the 90 % band (an observation no
member covers counts as outside). For Flee scenarios, the distribution of the members' ARD.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor.analysis.bands import QUANTILES
from corridor.analysis.metrics import observed_ranges

if TYPE_CHECKING:
    from corridor.analysis.catalog import MemberSummary
    from corridor.scenario.model import Scenario

SCORE = "score.json"


def _quantiles(values: list[float]) -> dict[str, float]:
    q = np.quantile(np.asarray(values, dtype=np.float64), QUANTILES)
    return {f"p{round(p * 100):02d}": float(v) for p, v in zip(QUANTILES, q, strict=True)}


def observation_bands(scenario: Scenario, summaries: list[MemberSummary]) -> list[dict[str, Any]]:
    """Return one row per observation: observed value and range, members' quantiles, verdicts."""
    rows = []
    for i, (obs, (value, low, high)) in enumerate(zip(scenario.observations,
                                                      observed_ranges(scenario), strict=True)):
        values = [s.observations[i] for s in summaries
                  if s.observations is not None and s.observations[i] is not None]
        row: dict[str, Any] = {
            "period_start": obs.period_start.isoformat(), "period_end": obs.period_end.isoformat(),
            "place": obs.place, "kind": obs.kind, "value": value, "low": low, "high": high,
            "cohort": obs.cohort, "fitted": obs.fitted, "members": len(values)}
        if values:
            q = _quantiles(values)
            row.update(q)
            row["inside_band"] = q["p05"] <= value <= q["p95"]
            row["range_overlaps_band"] = q["p05"] <= high and low <= q["p95"]
            row["members_within_range"] = float(np.mean([low <= v <= high for v in values]))
        else:
            row.update({"inside_band": None, "range_overlaps_band": None,
                        "members_within_range": None})
        rows.append(row)
    return rows


def metric_distribution(summaries: list[MemberSummary], name: str) -> dict[str, float] | None:
    """Return mean, standard deviation, min, quantiles and max of a metric over the members."""
    values = [s.metrics[name] for s in summaries if name in s.metrics]
    if not values:
        return None
    arr = np.asarray(values, dtype=np.float64)
    return {"members": len(values), "mean": float(arr.mean()), "sd": float(arr.std(ddof=1))
            if len(arr) > 1 else 0.0, "min": float(arr.min()), **_quantiles(values),
            "max": float(arr.max())}


def score_members(scenario: Scenario, summaries: list[MemberSummary]) -> dict[str, Any]:
    """Score an ensemble's members against the scenario's observations.

    Returns:
        `observations` (rows of `observation_bands`), `n_observations`, `n_measured`,
        `share_inside_band` (None without observations), `mean_members_within_range`,
        `members` and `ard` (the ARD's distribution over the members; None when not measured).
    """
    rows = observation_bands(scenario, summaries)
    measured = [r for r in rows if r["members"]]
    within = [r["members_within_range"] for r in measured]
    return {
        "members": len(summaries),
        "n_observations": len(rows),
        "n_measured": len(measured),
        "share_inside_band": (sum(bool(r["inside_band"]) for r in rows) / len(rows)
                              if rows else None),
        "mean_members_within_range": float(np.mean(within)) if within else None,
        "ard": metric_distribution(summaries, "ard"),
        "observations": rows,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def score_ensemble(folder: Path) -> dict[str, Any]:
    """Score an ensemble folder written by `corridor ensemble` (its catalog and scenario copy).

    Raises:
        CatalogError: When the folder has no catalog.
        ScenarioError: When its scenario copy is invalid.
    """
    from corridor.analysis.catalog import RunCatalog
    from corridor.scenario.load import load_scenario

    folder = Path(folder)
    with RunCatalog(folder, read_only=True) as catalog:
        summaries = catalog.summaries()
    scenario = load_scenario(folder / "scenario")
    return score_members(scenario, summaries)


def format_score(result: dict[str, Any], max_rows: int | None = None) -> str:
    """Return an ensemble score as a plain-text table and the overall figures.

    Args:
        result: From `score_members` or `score_ensemble`.
        max_rows: Leave the table out when there are more observations than this.
    """
    head = ("period", "place", "kind", "observed", "p05", "p50", "p95", "in band",
            "members in range")
    lines = []
    shown = result["observations"]
    if max_rows is not None and len(shown) > max_rows:
        shown = []
    for r in shown:
        period = r["period_start"] if r["period_start"] == r["period_end"] else \
            f"{r['period_start']}..{r['period_end']}"
        has = r["members"] > 0
        lines.append((period, r["place"], r["kind"], f"{r['value']:,.0f}",
                      *(f"{r[k]:,.0f}" if has else "–" for k in ("p05", "p50", "p95")),
                      {True: "yes", False: "no", None: "–"}[r["inside_band"]],
                      f"{r['members_within_range']:.0%}" if has else "–"))
    widths = [max([len(h)] + [len(row[i]) for row in lines]) for i, h in enumerate(head)]

    def fmt(cells: tuple[str, ...]) -> str:
        return "  ".join(c.rjust(w) if 3 <= i <= 6 else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    out = [fmt(head), fmt(tuple("-" * w for w in widths)), *(fmt(r) for r in lines), ""]
    if not lines:
        out = [f"({len(result['observations'])} observations: the table is in score.json, or "
               "`corridor score DIR`)"]
    n = result["n_observations"]
    share = result["share_inside_band"]
    if share is not None:
        out.append(f"observations inside the 90 % band of {result['members']} members: "
                   f"{share:.0%} ({round(share * n)} of {n})")
    if result["mean_members_within_range"] is not None:
        out.append(f"members within the observed range (mean over observations): "
                   f"{result['mean_members_within_range']:.0%}")
    ard = result.get("ard")
    if ard:
        out.append(f"ARD over the camps (Flee): mean {ard['mean']:.3f}, sd {ard['sd']:.3f}, "
                   f"5–95 % {ard['p05']:.3f}–{ard['p95']:.3f} over {ard['members']} members")
    return "\n".join(out)
