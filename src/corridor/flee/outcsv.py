"""Flee's `out.csv`: read it (camp counts, simulated and observed) and write it."""

from __future__ import annotations

import csv
import io
import json
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


def out_csv_text(names: list[str], dates: list[str], simulated: np.ndarray,
                 observed: np.ndarray, everybody: np.ndarray, raw: np.ndarray,
                 debt: np.ndarray) -> str:
    """Return the text of Flee's `out.csv`.

    Args:
        names: Camp names (Flee's), in column order.
        dates: ISO date of each day.
        simulated: People in each camp per day (days × camps).
        observed: Observed count of each camp per day (days × camps), whole people.
        everybody: People in the simulation per day (places and links).
        raw: The raw UNHCR count per day.
        debt: The spawning debt per day.
    """
    header = ["Day", "Date"]
    for name in names:
        header += [f"{name} sim", f"{name} data", f"{name} error"]
    header += list(SUMMARY_COLUMNS)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for d, date in enumerate(dates):
        sim_row, obs_row = simulated[d], observed[d]
        r = int(raw[d])
        row: list[object] = [d, date]
        for s, o in zip(sim_row.tolist(), obs_row.tolist(), strict=True):
            row += [int(s), int(o), 0.0 if o < 1e-5 else round(abs(s / o - 1.0), 4)]
        total_error = float(np.abs(sim_row - obs_row).sum()) / r if r > 0 else 0.0
        row += [total_error, int(obs_row.sum()), int(everybody[d]), r, int(sim_row.sum()),
                int(debt[d])]
        w.writerow(row)
    return buf.getvalue()


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
    names = [sim.network.names[p] for p in model.camp_places]
    text = out_csv_text(names, [sim.scenario.date_of(d).isoformat() for d in range(days)],
                        model.camp_counts[:days], model.camp_observed(),
                        model.total_agents[:days], model.raw_by_day[:days],
                        model.debt_by_day[:days])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def spawn_totals(total_daily: np.ndarray, insert_day0: bool) -> tuple[np.ndarray, np.ndarray]:
    """Return Flee's raw UNHCR count and spawning debt per day from the daily UNHCR total.

    The raw count is the running sum of the daily differences (so the total itself); the debt
    is what the total has fallen by and later rises have not yet paid back (section 4.2 of
    `docs/flee-compatibility.md`).
    """
    days = len(total_daily)
    raw = np.asarray(total_daily, dtype=np.int64).copy()
    debt = np.zeros(days, dtype=np.int64)
    owed = 0
    for d in range(days):
        diff = int(raw[d]) if d == 0 else int(raw[d] - raw[d - 1])
        wanted = 0 if d == 0 and insert_day0 else diff - owed
        owed = -wanted if wanted < 0 else 0
        debt[d] = owed
    return raw, debt


def _present_by_place(run_dir: Path, days: int, names: list[str]) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """People per day at each of `names` (days × names), and everybody per day."""
    import pyarrow.parquet as pq

    table = pq.read_table(run_dir / "daily.parquet", columns=["day", "place", "count"])
    day = table.column("day").to_numpy().astype(np.int64)
    count = table.column("count").to_numpy().astype(np.float64)
    place = table.column("place").dictionary_encode().combine_chunks()
    labels = place.dictionary.to_pylist()
    codes = place.indices.to_numpy(zero_copy_only=False)
    index = {n: j for j, n in enumerate(names)}
    col = np.array([index.get(label, -1) for label in labels], dtype=np.int64)[codes] \
        if len(codes) else np.zeros(0, dtype=np.int64)
    ok = (day >= 0) & (day < days)
    everybody = np.bincount(day[ok], weights=count[ok], minlength=days)[:days]
    out = np.zeros((days, len(names)))
    at = ok & (col >= 0)
    np.add.at(out, (day[at], col[at]), count[at])
    return out.astype(np.int64), everybody.astype(np.int64)


def export_flee(run_dir: str | Path, dest: str | Path) -> Path:
    """Write Flee 3.1's `out.csv` for a finished run of the `flee` model.

    The columns are Flee's (see `read_out_csv` and section 5 of `docs/flee-compatibility.md`):
    camps in `locations.csv` order under their Flee names, the observed counts interpolated as
    Flee does and divided by `hasten`, the raw UNHCR count and the spawning debt recomputed from
    the scenario's totals (spawning is deterministic in count).

    Args:
        run_dir: A run folder written by `corridor run --out` (with `scenario/` and
            `daily.parquet`).
        dest: The file to write (`out.csv`), or a folder to write `out.csv` into.

    Returns:
        The path written.

    Raises:
        ScenarioError: When the run is not of the flee model or has no daily counts.
    """
    from corridor.flee.extras import PRESENT, FleeExtras
    from corridor.flee.validation import CountSeries
    from corridor.io.atomic import write_text
    from corridor.scenario import load_scenario

    run_dir = Path(run_dir)
    folder = run_dir / "scenario"
    if not (folder / "scenario.toml").is_file() or not (run_dir / "daily.parquet").is_file():
        raise ScenarioError([Problem(str(run_dir), None, None, "is not a run folder (expected "
                                     "scenario/scenario.toml and daily.parquet, as written by "
                                     "`corridor run --out DIR`)")])
    sc = load_scenario(folder)
    if sc.config.model != "flee":
        raise ScenarioError([Problem(str(folder / "scenario.toml"), None, "model",
                                     f"'{sc.config.model}': Flee's out.csv needs a run of the "
                                     "flee model")])
    run = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    days = int(run.get("days", sc.config.days))
    p = sc.parameters
    if isinstance(run.get("parameters"), dict):  # the run's own (with --set overrides)
        p = type(p).model_validate(run["parameters"])
    hasten = max(int(p.hasten), 1)
    camps = [pl for pl in sc.places if pl.kind in ("camp", "idp_camp")]
    sim_counts, everybody = _present_by_place(run_dir, days, [pl.id for pl in camps])
    start = sc.config.start_date
    observed = np.zeros((days, len(camps)), dtype=np.int64)
    for j, pl in enumerate(camps):
        pts = sorted(((o.period_start - start).days, o.value / hasten)
                     for o in sc.observations
                     if o.place == pl.id and o.kind == PRESENT and o.period_start == o.period_end)
        if pts:
            observed[:, j] = CountSeries(pl.id, (), np.array([d for d, _ in pts]),
                                         np.array([v for _, v in pts])).daily(days)
    extras: FleeExtras = sc.extras.get("flee", FleeExtras())
    total = extras.total_series(start)
    if total is None or p.conflict_driven_spawning:
        raw = debt = np.zeros(days, dtype=np.int64)
    else:
        series = CountSeries("total", total.files, total.days, total.counts / hasten)
        raw, debt = spawn_totals(series.daily(days), p.insert_day0)
    text = out_csv_text([pl.name for pl in camps],
                        [sc.date_of(d).isoformat() for d in range(days)],
                        sim_counts, observed, everybody, raw, debt)
    dest = Path(dest)
    path = dest / "out.csv" if dest.is_dir() else dest
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, text)
    return path
