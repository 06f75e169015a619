"""Flee's `out.csv`: read it (camp counts, simulated and observed) and write it."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corridor.errors import Problem, ScenarioError

SUMMARY_COLUMNS = ("Total error", "refugees in camps (UNHCR)", "total refugees (simulation)",
                   "raw UNHCR refugee count", "refugees in camps (simulation)", "refugee_debt")


@dataclass(frozen=True)
class FleeOutput:
    """The camp columns of one `out.csv`.

    Attributes:
        camps: Camp names, in column order.
        days: Day numbers.
        simulated: Simulated counts, shape (days, camps).
        observed: Observed counts, shape (days, camps).
        columns: Every other numeric column by name (e.g. `total refugees (simulation)`).
    """

    camps: tuple[str, ...]
    days: np.ndarray
    simulated: np.ndarray
    observed: np.ndarray
    columns: dict[str, np.ndarray]


def read_out_csv(path: str | Path) -> FleeOutput:
    """Read a Flee `out.csv` (with or without its `Date` column).

    Raises:
        ScenarioError: When the file lacks the columns of Flee's output.
    """
    path = Path(path)
    label = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise ScenarioError([Problem(label, None, None, f"cannot be read: {err}")]) from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ScenarioError([Problem(label, None, None, "is empty")])
    header = [h.strip() for h in rows[0]]
    camps = tuple(h[: -len(" sim")] for h in header if h.endswith(" sim"))
    problems = []
    if "Day" not in header:
        problems.append(Problem(label, 1, "Day", "missing column 'Day'"))
    for camp in camps:
        if f"{camp} data" not in header:
            problems.append(Problem(label, 1, f"{camp} data", f"missing column '{camp} data'"))
    if not camps:
        problems.append(Problem(label, 1, None, "no '<camp> sim' columns"))
    if problems:
        raise ScenarioError(problems)
    body = [r for r in rows[1:] if r and "".join(r).strip()]
    index = {h: i for i, h in enumerate(header)}

    def column(name: str) -> np.ndarray:
        out = np.empty(len(body), dtype=np.float64)
        for k, r in enumerate(body):
            try:
                out[k] = float(r[index[name]])
            except (ValueError, IndexError):
                got = r[index[name]] if index[name] < len(r) else ""
                raise ScenarioError([Problem(label, k + 2, name,
                                             f"'{got}' is not a number")]) from None
        return out

    sim = np.column_stack([column(f"{c} sim") for c in camps])
    obs = np.column_stack([column(f"{c} data") for c in camps])
    others = {name: column(name) for name in SUMMARY_COLUMNS if name in index}
    return FleeOutput(camps, column("Day").astype(np.int64), sim, obs, others)


def write_out_csv(sim, path: str | Path) -> Path:
    """Write Flee's `out.csv` for a finished (or partly run) simulation of the `flee` model.

    Args:
        sim: A `corridor.engine.simulation.Simulation` whose model is the flee model.
        path: Where to write.

    Returns:
        The path written.
    """
    model = sim.model
    days = model.days_done
    observed = model.camp_observed()
    names = [sim.network.names[p] for p in model.camp_places]
    header = ["Day", "Date"]
    for name in names:
        header += [f"{name} sim", f"{name} data", f"{name} error"]
    header += list(SUMMARY_COLUMNS)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for d in range(days):
        sim_row, obs_row = model.camp_counts[d], observed[d]
        raw = int(model.raw_by_day[d])
        row: list[object] = [d, sim.scenario.date_of(d).isoformat()]
        for s, o in zip(sim_row.tolist(), obs_row.tolist(), strict=True):
            row += [s, o, 0.0 if o < 1e-5 else round(abs(s / o - 1.0), 4)]
        total_error = float(np.abs(sim_row - obs_row).sum()) / raw if raw > 0 else 0.0
        row += [total_error, int(obs_row.sum()), int(model.total_agents[d]), raw,
                int(sim_row.sum()), int(model.debt_by_day[d])]
        w.writerow(row)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path
