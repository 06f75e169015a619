"""Ensembles and studies: many runs of a scenario, on all cores or a Dask cluster, resumable.

A *study* is a list of points (settings applied to one scenario: one point for an ensemble,
the grid of a sweep, the samples of a sensitivity analysis) and a number of members per point.
Member k at every point draws from the k-th child of `numpy.random.SeedSequence(seed).spawn(…)`,
so member k is the same run whatever the backend, the number of workers, or the number of
members asked for (the k-th spawned child does not depend on how many are spawned). Points of a
study share their members' seeds (common random numbers), so differences between points are
the parameters' doing, not the draws'.

Each member runs in a worker (`run_member`), writes its tables to a temporary folder that is
renamed to its fixed place (`DIR/members/<k>/` for an ensemble, `DIR/points/<p>/members/<k>/`
for a sweep), computes its output metrics there and sends back a `MemberSummary`. The parent
records it in the run catalog (`catalog.duckdb`). Running the same command again skips the
members the catalog holds as done (and whose folder is complete) and runs the rest.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor.analysis.catalog import DONE, FAILED, MemberSummary, RunCatalog

if TYPE_CHECKING:
    from corridor.analysis.backends import Backend
    from corridor.scenario.model import Scenario

Progress = Callable[[int, int, int], None]  # (done, failed, total), after each member
MEMBERS = "members"
TMP_MARK = ".tmp-"


@dataclass(frozen=True)
class Point:
    """One point of a study: settings applied on top of the study's scenario.

    Attributes:
        index: The point's number (0 for an ensemble).
        settings: `NAME=VALUE` settings, as with `--set`.
        values: The parameter values of the point (name → value), for tables.
    """

    index: int
    settings: tuple[str, ...] = ()
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MemberTask:
    """What a worker needs to run one member (pickled; a scenario is ~100 kB)."""

    point: int
    member: int
    scenario: Scenario
    seed: int
    seed_sequence: np.random.SeedSequence
    folder: str | None
    outputs: tuple[str, ...]
    observations: bool
    engine: str = "auto"


def _replace_folder(tmp: Path, final: Path) -> None:
    """Put a finished member folder in place of any earlier one."""
    for _ in range(5):
        if final.exists():
            old = final.with_name(f".{final.name}{TMP_MARK}old-{uuid.uuid4().hex[:8]}")
            try:
                final.rename(old)
            except FileNotFoundError:  # another worker moved it first
                pass
            else:
                shutil.rmtree(old, ignore_errors=True)
        try:
            tmp.rename(final)
            return
        except OSError:  # someone put a folder there meanwhile (a stale worker): try again
            time.sleep(0.05)
    raise OSError(f"could not move {tmp} to {final}")


def run_member(task: MemberTask) -> MemberSummary:
    """Run one member in this process; the function every backend calls.

    The member's tables go to a temporary folder beside its final place, renamed into place
    once complete; without a final place they go to a temporary folder that is removed.
    Ordinary errors give a `failed` summary; an interrupt propagates.
    """
    from corridor.analysis.metrics import MemberRun, evaluate
    from corridor.api import run_into

    started = time.perf_counter()
    host = f"{socket.gethostname()}:{os.getpid()}"
    final = Path(task.folder) if task.folder else None
    if final is not None:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}{TMP_MARK}{uuid.uuid4().hex[:8]}")
        tmp.mkdir()
    else:
        import tempfile

        tmp = Path(tempfile.mkdtemp(prefix="corridor-member-"))
    try:
        result = run_into(tmp, task.scenario, seed=task.seed, seed_sequence=task.seed_sequence,
                          member=task.member, threads=1,  # the workers are the parallelism
                          engine=task.engine)
        view = MemberRun(task.scenario, tmp, result.summary)
        observations = view.observation_values() if task.observations else None
        metrics = evaluate(task.outputs, view)
        if final is not None:
            _replace_folder(tmp, final)
        return MemberSummary(
            task.point, task.member, result.run_id, result.metadata["scenario_digest"],
            task.seed, DONE, time.perf_counter() - started, metrics, observations,
            dict(result.summary["by_state"]), host=host)
    except Exception as err:  # noqa: BLE001 - a failed member is recorded, the study goes on
        return MemberSummary(task.point, task.member, seed=task.seed, status=FAILED,
                             wall_time_s=time.perf_counter() - started,
                             error=f"{type(err).__name__}: {err}", host=host)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def point_scenario(scenario: Scenario, settings: tuple[str, ...] | list[str]) -> Scenario:
    """Return the scenario with a point's settings applied and validated."""
    if not settings:
        return scenario
    from corridor.scenario.load import finalize
    from corridor.scenario.settings import apply_settings

    return finalize(apply_settings(scenario, list(settings)))


@dataclass
class Study:
    """Many runs of one scenario: points × members (see the module documentation).

    Attributes:
        kind: `ensemble`, `sweep`, `sensitivity`, … (part of the fingerprint).
        scenario: The scenario, with the command's `--set` settings applied.
        points: The points; an ensemble has one, with no settings.
        runs: Members per point.
        seed: Root seed of the members' seed sequences.
        folder: The study folder (catalog, member folders, results).
        outputs: Metrics each member computes (see `corridor.analysis.metrics`).
        keep: Whether members keep their tables in the study folder.
        observations: Whether members measure the scenario's observations.
        engine: Representation of people of every member: agents, counts or auto.
        paired: Point k runs member k only (`runs` points, one member each: an ensemble drawn
            from a posterior, `posterior_members`), instead of every point running every
            member.
    """

    kind: str
    scenario: Scenario
    points: list[Point]
    runs: int
    seed: int
    folder: Path
    outputs: tuple[str, ...] = ()
    keep: bool = True
    observations: bool = False
    engine: str = "auto"
    paired: bool = False

    def __post_init__(self) -> None:
        self.folder = Path(self.folder).resolve()  # workers may run elsewhere: no relative path

    def member_folder(self, point: int, member: int) -> Path | None:
        """Return where a member's tables are kept (None when they are not)."""
        if not self.keep:
            return None
        base = self.folder if self.kind == "ensemble" else self.folder / "points" / str(point)
        return base / MEMBERS / str(member)

    def fingerprint(self) -> dict[str, Any]:
        """Return what identifies the study (not the number of members, which may grow)."""
        return {"kind": self.kind, "scenario": self.scenario.name,
                "digest": self.scenario.digest(), "seed": int(self.seed),
                "points": [list(p.settings) for p in self.points],
                "outputs": list(self.outputs), "keep": self.keep,
                "observations": self.observations,
                **({} if self.engine == "auto" else {"engine": self.engine})}


@dataclass
class StudyResult:
    """How a study went.

    Attributes:
        total: Members in the study (points × runs).
        skipped: Members found done by an earlier command.
        done: Members done now (this command and earlier ones).
        failed: Members that failed in this command, with their error.
        wall_time_s: Time this command spent running members.
        summaries: The finished members (from the catalog), by point and member.
    """

    total: int
    skipped: int
    done: int
    failed: list[MemberSummary]
    wall_time_s: float
    summaries: list[MemberSummary]


def _check_study_folder(folder: Path) -> None:
    """Refuse to write a study into a folder, not empty, that holds no study (a home folder).

    Raises:
        OutputFolderError: `folder` is a file, or a folder of other files.
    """
    from corridor.analysis.catalog import CATALOG
    from corridor.io.rundir import check_target

    check_target(folder, overwrite=True, what="study",
                 is_ours=lambda path: (Path(path) / CATALOG).is_file())


def _clean_stale(folder: Path) -> None:
    """Remove temporary member folders and files left by a command that was killed."""
    from corridor.io.atomic import clean_stale_files

    clean_stale_files(folder)
    for parent in (folder / MEMBERS, *folder.glob(f"points/*/{MEMBERS}")):
        if parent.is_dir():
            clean_stale_files(parent)
            for stale in parent.glob(f".*{TMP_MARK}*"):
                shutil.rmtree(stale, ignore_errors=True)


def run_study(study: Study, backend: Backend, progress: Progress | None = None) -> StudyResult:
    """Run the members of a study that are not done yet and record each in the catalog.

    Args:
        study: The study.
        backend: Where the members run (see `corridor.analysis.backends`).
        progress: Called with (done, failed, total) at the start and after each member.

    Returns:
        How it went; `summaries` lists every finished member of the study.

    Raises:
        CatalogError: When the folder holds a different study.
        ScenarioError: When a point's settings are invalid.
    """
    folder = study.folder
    _check_study_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)
    scenarios = {p.index: point_scenario(study.scenario, p.settings) for p in study.points}
    seeds = np.random.SeedSequence(study.seed).spawn(study.runs)
    values = {p.index: _parameters(scenarios[p.index], p) for p in study.points}
    total = study.runs if study.paired else len(study.points) * study.runs
    with RunCatalog(folder) as catalog:
        catalog.claim(study.fingerprint(), [(p.index, list(p.settings), p.values,
                                             scenarios[p.index].digest())
                                            for p in study.points])
        done = {key for key in catalog.done() if key[1] < study.runs
                and _complete(study.member_folder(*key))}
        _clean_stale(folder)
        tasks = []
        for p in study.points:
            for k in range(study.runs):
                if (p.index, k) in done or (study.paired and k != p.index):
                    continue
                out = study.member_folder(p.index, k)
                tasks.append(MemberTask(p.index, k, scenarios[p.index], study.seed, seeds[k],
                                        None if out is None else str(out), study.outputs,
                                        study.observations, study.engine))
        skipped, failed, n_done = len(done), [], len(done)
        if progress:
            progress(n_done, 0, total)
        started = time.perf_counter()
        for task, result in backend.imap_unordered(run_member, tasks):
            if isinstance(result, BaseException):
                result = MemberSummary(task.point, task.member, seed=task.seed, status=FAILED,
                                       error=f"{type(result).__name__}: {result}")
            catalog.record(result, values[task.point], seeds[task.member].spawn_key)
            if result.status == DONE:
                n_done += 1
            else:
                failed.append(result)
            if progress:
                progress(n_done, len(failed), total)
        wall = time.perf_counter() - started
        summaries = [s for s in catalog.summaries() if s.member < study.runs]
    return StudyResult(total, skipped, n_done, failed, wall, summaries)


def _parameters(scenario: Scenario, point: Point) -> dict[str, Any]:
    """Return a member's parameters for the catalog: the model's, and the point's values."""
    params = scenario.parameters.model_dump(mode="json") if scenario.parameters else {}
    return {**params, **point.values}


def _complete(folder: Path | None) -> bool:
    from corridor.io.rundir import is_complete

    return folder is None or is_complete(folder)


# --- ensembles ------------------------------------------------------------------------------
ENSEMBLE_JSON = "ensemble.json"


@dataclass
class EnsembleResult:
    """A finished (or partly finished) ensemble.

    Attributes:
        folder: The ensemble folder.
        study: How the members went.
        bands: `bands.parquet`, or None when no member finished.
        score: The ensemble against the observations (`corridor.analysis.ensemble_score`).
        info: What `ensemble.json` holds.
    """

    folder: Path
    study: StudyResult
    bands: Path | None
    score: dict[str, Any]
    info: dict[str, Any]


def ensemble_outputs(scenario: Scenario) -> tuple[str, ...]:
    """Return the metrics every ensemble member computes: the defaults and each final state."""
    from corridor.analysis.metrics import default_outputs
    from corridor.engine.states import STATE_LABELS

    return tuple(default_outputs(scenario)) + tuple(f"final:{s}" for s in STATE_LABELS)


def run_ensemble(scenario: Scenario, runs: int, folder: Path, seed: int | None = None,
                 backend: Backend | None = None, outputs: tuple[str, ...] | None = None,
                 progress: Progress | None = None, engine: str = "auto",
                 posterior: Path | None = None) -> EnsembleResult:
    """Run (or finish) an ensemble: members, catalog, quantile bands and score.

    Args:
        scenario: The scenario (settings applied).
        runs: Number of members.
        folder: The ensemble folder (`members/<k>/`, `catalog.duckdb`, `bands.parquet`,
            `score.json`, `ensemble.json`, `scenario/`).
        seed: Root seed (default: the scenario's).
        backend: Where members run (default: local processes on every core).
        outputs: Metrics each member computes (default: `ensemble_outputs`).
        progress: Called with (done, failed, total) after each member.
        engine: Representation of people: agents, counts or auto.
        posterior: A posterior file (`corridor calibrate --posterior`): member k runs with
            the k-th of `runs` particles drawn by weight (`posterior_members`).

    Returns:
        The ensemble's result.
    """
    import datetime as dt

    import corridor
    from corridor.analysis.bands import write_bands
    from corridor.analysis.ensemble_score import SCORE, score_members
    from corridor.analysis.metrics import check
    from corridor.io.atomic import write_json
    from corridor.io.results import copy_scenario

    if runs < 1:
        from corridor.errors import CorridorError

        raise CorridorError(f"--runs must be at least 1, got {runs}")
    seed = scenario.config.seed if seed is None else int(seed)
    outputs = tuple(outputs) if outputs else ensemble_outputs(scenario)
    check(outputs, scenario)
    points, drawn = [Point(0)], None
    if posterior is not None:
        from corridor.analysis.posterior_members import draw_points

        points, drawn = draw_points(posterior, runs, seed, scenario)
    study = Study("ensemble", scenario, points, runs, seed, Path(folder), outputs,
                  keep=True, observations=bool(scenario.observations), engine=engine,
                  paired=posterior is not None)
    from corridor.analysis.backends import using

    with using(backend) as runner:
        result = run_study(study, runner, progress)
        where = runner.describe()
    folder = study.folder
    if not (folder / "scenario").is_dir():
        copy_scenario(scenario.files, folder)
    members = [study.member_folder(0, s.member) for s in result.summaries]
    bands = write_bands(folder, members) if members else None
    score = score_members(scenario, result.summaries)
    write_json(folder / SCORE, score)
    from corridor.analysis.ensemble_score import metric_distribution

    info = {
        "scenario": scenario.name, "scenario_digest": scenario.digest(), "seed": seed,
        "runs": runs, "done": result.done, "failed": len(result.failed),
        "skipped_as_done": result.skipped, "backend": where,
        "wall_time_s": round(result.wall_time_s, 3),
        "members_per_second": round((result.done - result.skipped) / result.wall_time_s, 4)
        if result.wall_time_s > 0 else None,
        "outputs": {name: metric_distribution(result.summaries, name) for name in outputs},
        **({"posterior": drawn} if drawn is not None else {}),
        "corridor_version": corridor.__version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    write_json(folder / ENSEMBLE_JSON, info)
    return EnsembleResult(folder, result, bands, score, info)
