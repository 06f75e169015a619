"""`corridor score`: a run against its scenario's observations."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from corridor.cli.errors import fail, handle_errors


def _num(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "–"
    if math.isinf(value):
        return "inf"
    if percent:
        return f"{value:+.0%}"
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.2f}"


def _part_share(part: dict[str, Any], key: str) -> str:
    value = part[key]
    return "–" if value is None else f"{value:.0%} ({round(value * part['n'])} of {part['n']})"


def format_table(result: dict[str, Any]) -> str:
    """Return a score as a plain-text table with the overall figures below it."""
    head = ("period", "place", "kind", "observed", "range", "run", "in range", "±25 %",
            "rel. error", "factor")
    rows = []
    for o in result.get("observations", ()):
        start, end = str(o["period_start"]), str(o["period_end"])
        period = start if start == end else f"{start}..{end}"
        rng = "" if o["low"] == o["high"] else f"{_num(o['low'])}–{_num(o['high'])}"
        flag = {True: "yes", False: "no", None: "–"}
        run = _num(o["simulated"])
        if o["simulated"] is not None and o["coverage"] < 1:
            run += f" ({o['coverage']:.0%} of period)"
        place = o["place"] + (f" [{o['cohort']}]" if o.get("cohort") else "")
        kind = o["kind"] + (" (fitted)" if o.get("fitted") else "")
        rows.append((period, place, kind, _num(o["value"]), rng, run,
                     flag[o["within_range"]], flag[o["within_widened"]],
                     _num(o["relative_error"], percent=True),
                     "" if o["factor_off"] is None else (
                         "inf" if math.isinf(o["factor_off"]) else f"{o['factor_off']:.2f}")))
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(head)]
    right = {3, 4, 5, 8, 9}

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    out = [line(head), line(tuple("-" * w for w in widths)), *(line(r) for r in rows), ""]
    if "observations" not in result:
        out = [f"{result['n_observations']:,} observations (one row each with --rows)", ""]
    n = result["n_observations"]

    def share(key: str) -> str:
        value = result[key]
        return "–" if value is None else f"{value:.0%} ({round(value * n)} of {n})"

    out.append(f"within the observed range:        {share('matched_share')}")
    out.append(f"within the range widened by 25 %: {share('matched_share_widened')}")
    fitted = (result.get("in_sample") or {}).get("n", 0)
    for key, label in (("out_of_sample", "out of sample (not fitted)"),
                       ("in_sample", "in sample (fitted: sized an input)")):
        part = result.get(key)
        if part and fitted:  # apart only when some observation was fitted
            out.append(f"{label}: {_part_share(part, 'within_range')} within the range, "
                       f"{_part_share(part, 'within_25')} within the range widened by 25 %")
    mare = result["mean_abs_relative_error"]
    out.append(f"mean absolute relative error:     {'–' if mare is None else f'{mare:.0%}'}")
    out.append("largest factor off the range:     " + largest_factor(result))
    for t in result.get("transit_days", []):
        out.append(f"transit days ({t['kind']}) to {t['place']}"
                   + (f" [{t['cohort']}]" if t["cohort"] else "")
                   + f": observed {_num(t['observed'])}, run {_num(t['simulated'])}")
    if result.get("ard") is not None:
        out.append(f"ARD over the camps (Flee):        {result['ard']:.3f}")
    return "\n".join(out)


def largest_factor(result: dict[str, Any]) -> str:
    """Say how far the worst observation is off its range, and which one it is.

    An infinite factor is explained: the run has 0 where people were observed (or people where
    0 were observed); a ratio to zero has no finite size.
    """
    factor = result.get("max_factor_off")
    where = result.get("max_factor_where")
    if factor is None:
        return "–"
    label = ""
    if where:
        period = str(where["period_start"]) if where["period_start"] == where["period_end"] \
            else f"{where['period_start']}–{where['period_end']}"
        cohort = f" [{where['cohort']}]" if where.get("cohort") else ""
        label = f" ({where['place']}{cohort}, {where['kind']}, {period})"
    if not math.isinf(factor):
        return f"{factor:.2f}{label}"
    observed = _num(where["value"]) if where else "people"
    if where and where["low"] != where["high"]:
        observed = f"{_num(where['low'])}–{_num(where['high'])}"
    if where and (where["simulated"] or 0) > 0:
        text = f"no finite factor: the run has {_num(where['simulated'])} where 0 were observed"
    else:
        text = f"no finite factor: the run has 0 where {observed} were observed"
    n = result.get("n_infinite_factor") or 1
    more = f"; {n} observations are like this" if n > 1 else ""
    return f"{text}{label}{more}"


def register(app: typer.Typer) -> None:
    """Add `corridor score` to the app."""

    @app.command()
    @handle_errors
    def score(
        run_dir: Annotated[Path, typer.Argument(help="A run folder (corridor run --out DIR).")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the score as JSON.")]
        = False,
        rows: Annotated[bool | None, typer.Option(
            "--rows/--no-rows", help="Include one row per observation (default: yes, except "
            "for runs of the flee model, whose thousands of daily camp counts are summed up "
            "by the ARD).")] = None,
    ) -> None:
        """Compare a run with its scenario's observations (scenario/observations.csv)."""
        from corridor.analysis.score import score as score_run
        from corridor.analysis.score import to_json

        if (run_dir / "ensemble.json").is_file():  # corridor ensemble: the members' spread
            from corridor.analysis.ensemble_score import format_score, score_ensemble

            result = score_ensemble(run_dir)
            typer.echo(to_json(result) if as_json else format_score(result))
            return
        from corridor.io.rundir import require_complete

        require_complete(run_dir)
        result = score_run(run_dir)
        if not result["observations"]:
            fail(f"the scenario of {run_dir} has no observations (scenario/observations.csv): "
                 f"there is nothing to score")
        if rows is False or (rows is None and result.get("ard") is not None):
            result = summary_only(result)
        typer.echo(to_json(result) if as_json else format_table(result))


def summary_only(result: dict[str, Any]) -> dict[str, Any]:
    """Return a score without its per-observation rows (`--rows` brings them back)."""
    return {k: v for k, v in result.items() if k != "observations"}
