"""The server side of the dashboard: scenarios, cached runs, bounds, locks and ensemble jobs.

Runs happen in the server process (counts representation, numba kernels compiled once and kept
warm). Each run is kept as a run folder in the workspace's temporary folder (the report's input,
and what the downloads send), keyed by scenario, seed and settings: the baseline is computed
once, a what-if seen before is not run again. One run at a time per client; the kernels run one
at a time in the process (a lock), so two clients queue rather than compete.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corridor.errors import CorridorError
from corridor.scenario import Scenario
from corridor.web.whatif import WhatIf, apply

ENGINE = "counts"
MAX_PERSON_DAYS = 200_000_000  # people × days of one run
MAX_MEMBERS = 50
MAX_KEPT_RUNS = 24


class BoundError(CorridorError):
    """A run is larger than the server allows, or the client already has one running."""


@dataclass
class RunEntry:
    """A finished run kept by the workspace."""

    key: str
    folder: Path
    scenario: Scenario
    whatif: WhatIf
    wall_time_s: float


@dataclass
class EnsembleJob:
    """An ensemble running in a background thread: baseline and what-if, member by member."""

    members: int
    done: int = 0
    total: int = 0
    error: str = ""
    finished: bool = False
    result: dict[str, Any] = field(default_factory=dict)


def people(scenario: Scenario) -> int:
    """People who depart in the scenario (0 for a model without departures)."""
    return sum(int(d.count) for d in scenario.departures)


class Workspace:
    """Scenarios by key, run folders, and what each client is running.

    Args:
        scenarios: Scenario keys → loaded scenarios (built-ins are added on demand).
        folder: Where run folders go (default: a new temporary folder).
        max_person_days: Bound of people × days of one run.
        max_members: Bound of ensemble members.
    """

    def __init__(self, scenarios: dict[str, Scenario] | None = None, folder: Path | None = None,
                 max_person_days: int = MAX_PERSON_DAYS, max_members: int = MAX_MEMBERS):
        self.scenarios: dict[str, Scenario] = dict(scenarios or {})
        self._own_folder = folder is None
        self.folder = Path(folder or tempfile.mkdtemp(prefix="corridor-serve-"))
        self.max_person_days = max_person_days
        self.max_members = max_members
        self.runs: OrderedDict[str, RunEntry] = OrderedDict()
        self.kernel_lock = threading.Lock()  # numba kernels: one run at a time in the process
        self._lock = threading.Lock()
        self._busy: set[str] = set()
        self.jobs: dict[str, EnsembleJob] = {}

    # -- scenarios -----------------------------------------------------------------------
    def scenario(self, key: str) -> Scenario:
        """Return a scenario by key: registered (command line, upload) or built-in.

        Raises:
            ScenarioError: No such scenario (the key is never used as a path).
        """
        if key in self.scenarios:
            return self.scenarios[key]
        from corridor.errors import Problem, ScenarioError
        from corridor.scenario.load import builtin_dir, builtin_names

        if key not in builtin_names():
            raise ScenarioError([Problem("scenario", None, None,
                                         f"no scenario {key!r}; choose one of the list")])
        from corridor.scenario import load_scenario

        scenario = load_scenario(builtin_dir() / key)
        self.scenarios[key] = scenario
        return scenario

    def choices(self) -> list[tuple[str, str]]:
        """(key, label) of every scenario the page offers."""
        from corridor.scenario.load import builtin_names

        keys = list(self.scenarios) + [n for n in builtin_names() if n not in self.scenarios]
        out = []
        for key in keys:
            where = ("uploaded" if key.startswith("upload-") else
                     "from the command line" if key == "cli" else "built-in")
            name = self.scenarios[key].name if key in self.scenarios else key
            out.append((key, f"{name} ({where})"))
        return out

    def add_upload(self, scenario: Scenario) -> str:
        """Register an uploaded scenario; return its key."""
        key = f"upload-{scenario.digest()[:10]}"
        self.scenarios[key] = scenario
        return key

    # -- runs ------------------------------------------------------------------------------
    def prepared(self, whatif: WhatIf) -> tuple[Scenario, int]:
        """The what-if's scenario (settings applied and checked) and seed, within bounds.

        Raises:
            ScenarioError: A setting is invalid.
            BoundError: The run is larger than allowed.
        """
        scenario = apply(self.scenario(whatif.scenario), whatif)
        size = people(scenario) * scenario.config.days
        if size > self.max_person_days:
            raise BoundError(
                f"this run is too large for the dashboard: {people(scenario):,} people × "
                f"{scenario.config.days} days = {size:,} person-days, above the bound of "
                f"{self.max_person_days:,}; run it with `corridor run` instead")
        seed = scenario.config.seed if whatif.seed is None else whatif.seed
        return scenario, seed

    @staticmethod
    def key(whatif: WhatIf, seed: int) -> str:
        """A short stable key of a what-if (scenario, seed, settings in a fixed order)."""
        text = json.dumps([whatif.scenario, seed, sorted(whatif.as_settings())])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def run(self, whatif: WhatIf, client: str = "") -> RunEntry:
        """Run a what-if (or return it from the cache) and keep its run folder.

        Raises:
            BoundError: The client has a run going, or the run is too large.
            ScenarioError: A setting is invalid.
        """
        scenario, seed = self.prepared(whatif)
        key = self.key(whatif, seed)
        with self._lock:
            if key in self.runs:
                self.runs.move_to_end(key)
                return self.runs[key]
        with self._client(client):
            return self._run(key, whatif, scenario, seed)

    def _run(self, key: str, whatif: WhatIf, scenario: Scenario, seed: int) -> RunEntry:
        import corridor
        from corridor.io.results import copy_scenario
        from corridor.web.scenario_files import changed_files

        folder = self.folder / "runs" / key
        tmp = folder.with_name(f".{key}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        started = time.perf_counter()
        with self.kernel_lock:
            result = corridor.run(scenario, seed=seed, engine=ENGINE)
        result.write(tmp)
        what = " ".join(whatif.as_settings()) or "none (the scenario as it is)"
        copy_scenario(changed_files(scenario, what), tmp)
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
        entry = RunEntry(key, folder, scenario, whatif, time.perf_counter() - started)
        with self._lock:
            self.runs[key] = entry
            while len(self.runs) > MAX_KEPT_RUNS:
                _, old = self.runs.popitem(last=False)
                shutil.rmtree(old.folder, ignore_errors=True)
        return entry

    class _Busy:
        def __init__(self, ws: Workspace, client: str):
            self.ws, self.client = ws, client

        def __enter__(self) -> None:
            with self.ws._lock:
                if self.client and self.client in self.ws._busy:
                    raise BoundError("a run of yours is still going; wait for it to finish")
                self.ws._busy.add(self.client)

        def __exit__(self, *exc: object) -> None:
            with self.ws._lock:
                self.ws._busy.discard(self.client)

    def _client(self, client: str) -> Workspace._Busy:
        return Workspace._Busy(self, client)

    # -- ensembles ---------------------------------------------------------------------------
    def start_ensemble(self, baseline: WhatIf, whatif: WhatIf, members: int,
                       client: str) -> EnsembleJob:
        """Start an ensemble of the baseline and the what-if in a background thread.

        Member k of both uses the k-th child of `SeedSequence(seed)` (as `corridor ensemble`),
        so the two ensembles share their random numbers member by member.

        Raises:
            BoundError: Too many members, the client has a run going, or runs are too large.
        """
        if not 1 <= members <= self.max_members:
            raise BoundError(f"members must be between 1 and {self.max_members}, got {members}")
        prepared = [self.prepared(baseline), self.prepared(whatif)]
        job = EnsembleJob(members, total=2 * members)
        self._client(client).__enter__()
        self.jobs[client] = job
        thread = threading.Thread(target=self._ensemble, args=(job, prepared, client),
                                  daemon=True, name=f"corridor-ensemble-{client[:8]}")
        thread.start()
        return job

    def _ensemble(self, job: EnsembleJob, prepared: list[tuple[Scenario, int]],
                  client: str) -> None:
        import numpy as np

        import corridor
        from corridor.web.bands import member_series, summarise

        try:
            out = []
            for scenario, seed in prepared:
                seeds = np.random.SeedSequence(seed).spawn(job.members)
                series = []
                for k in range(job.members):
                    with self.kernel_lock:
                        result = corridor.run(scenario, seed=seed, engine=ENGINE,
                                              seed_sequence=seeds[k], member=k)
                    series.append(member_series(result, scenario))
                    job.done += 1
                out.append(summarise(series))
            job.result = {"baseline": out[0], "whatif": out[1]}
        except Exception as err:  # noqa: BLE001 - shown on the page, without a traceback
            job.error = f"the ensemble stopped: {type(err).__name__}: {err}"
        finally:
            job.finished = True
            self._client(client).__exit__()

    def close(self) -> None:
        """Remove the workspace's temporary folder (when it made it)."""
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)
