"""Where the members of a study run: this process, local processes, or a Dask cluster.

A backend runs one function over many tasks and yields each (task, result) as soon as it is
done, in any order; a task that raised yields its exception instead. Only a bounded number of
tasks is handed out at a time (a few per worker), so a study of thousands of members holds
thousands of small task records, not thousands of pickled scenarios.

- `InlineBackend`: in this process, one after the other (`--jobs 1`).
- `ProcessBackend`: `concurrent.futures.ProcessPoolExecutor` with the `spawn` start method (no
  state is inherited from the parent, so it behaves the same on Linux, macOS and Windows). If a
  worker process dies (killed, out of memory), the pool is started again and the tasks it had
  are handed out again.
- `DaskBackend`: a `dask.distributed.Client` connected to a running scheduler (`dask scheduler`,
  `dask worker`). Dask hands the tasks of a lost worker to the others by itself.

Every draw of a run is determined by its member's seed, so the backend and the number of workers
never change a result.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

PER_WORKER = 4  # tasks handed out per worker at a time


def default_jobs() -> int:
    """Return the number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Backend:
    """Runs a function over tasks; see the module documentation."""

    workers: int = 1

    def imap_unordered(self, fn: Callable[[T], Any], tasks: Iterable[T]
                       ) -> Iterator[tuple[T, Any]]:
        """Yield (task, fn(task)) as each finishes; (task, exception) when one raised."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the workers (pending tasks are dropped)."""

    def describe(self) -> str:
        """Return a short description for messages."""
        return type(self).__name__

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InlineBackend(Backend):
    """Runs every task in this process, in order."""

    def imap_unordered(self, fn: Callable[[T], Any], tasks: Iterable[T]
                       ) -> Iterator[tuple[T, Any]]:
        """Yield (task, fn(task)) one task after the other."""
        for task in tasks:
            try:
                result = fn(task)
            except Exception as err:  # noqa: BLE001 - reported per task, like the others
                result = err
            yield task, result

    def describe(self) -> str:
        """Return "this process"."""
        return "this process"


def _worker_start() -> None:
    """Make a Ctrl-C end a worker process at once, without a traceback.

    A terminal sends it to the whole process group; the member's temporary folder is removed
    by the next command.
    """
    import signal

    signal.signal(signal.SIGINT, lambda _signum, _frame: os._exit(130))


class ProcessBackend(Backend):
    """Runs tasks in a pool of local worker processes (spawned, not forked).

    Args:
        workers: Number of processes.
        max_restarts: How many times a broken pool (a worker died) is replaced in one call.
    """

    def __init__(self, workers: int, max_restarts: int = 3):
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self.max_restarts = max_restarts
        self.restarts = 0
        self._pool = self._new_pool()

    def _new_pool(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(max_workers=self.workers, initializer=_worker_start,
                                   mp_context=multiprocessing.get_context("spawn"))

    def imap_unordered(self, fn: Callable[[T], Any], tasks: Iterable[T]
                       ) -> Iterator[tuple[T, Any]]:
        """Yield (task, result) as the worker processes finish them."""
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        pending = deque(tasks)
        running: dict[Any, T] = {}
        restarts = 0
        while pending or running:
            while pending and len(running) < PER_WORKER * self.workers:
                task = pending.popleft()
                running[self._pool.submit(fn, task)] = task
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            lost: list[T] = []
            if any(isinstance(f.exception(), BrokenProcessPool) for f in done):
                done, _ = wait(running)  # a broken pool fails every task it holds at once
            for future in done:
                task = running.pop(future)
                error = future.exception()
                if isinstance(error, BrokenProcessPool):
                    lost.append(task)
                else:
                    yield task, (error if error is not None else future.result())
            if lost:
                restarts += 1
                self.restarts += 1
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
                if restarts > self.max_restarts:
                    for task in lost:
                        yield task, RuntimeError(f"worker processes died {restarts} times")
                    continue
                pending.extendleft(reversed(lost))

    def close(self) -> None:
        """Stop the pool without waiting for tasks that were not started."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def describe(self) -> str:
        """Return e.g. "4 local processes"."""
        return f"{self.workers} local process{'es' if self.workers > 1 else ''}"


class DaskBackend(Backend):
    """Runs tasks on a Dask distributed cluster.

    Args:
        scheduler: The scheduler's address (`tcp://host:8786`), or a connected
            `dask.distributed.Client`.
        retries: How many times Dask retries a task that raised.
        timeout: Seconds to wait for the scheduler.
    """

    def __init__(self, scheduler: Any, retries: int = 1, timeout: float = 10.0):
        from dask.distributed import Client

        if isinstance(scheduler, Client):
            self.client, self._own = scheduler, False
        else:
            try:
                self.client, self._own = Client(scheduler, timeout=timeout), True
            except OSError as err:
                from corridor.errors import CorridorError

                raise CorridorError(f"cannot reach the Dask scheduler at {scheduler}: {err}. "
                                    "Start one with `dask scheduler` and workers with "
                                    "`dask worker ADDRESS`.") from None
        self.retries = retries
        self.address = self.client.scheduler.address
        self._threads, self._asked = 1, -math.inf

    @property
    def workers(self) -> int:  # type: ignore[override]
        """The number of worker threads the cluster has (at least 1; asked every 5 s)."""
        now = time.monotonic()
        if now - self._asked > 5.0:
            self._threads = max(sum(self.client.nthreads().values()), 1)
            self._asked = now
        return self._threads

    def imap_unordered(self, fn: Callable[[T], Any], tasks: Iterable[T]
                       ) -> Iterator[tuple[T, Any]]:
        """Yield (task, result) as the cluster finishes them."""
        import uuid

        from dask.distributed import as_completed

        prefix = f"corridor-{uuid.uuid4().hex[:8]}"
        pending = deque(enumerate(tasks))
        running: dict[Any, T] = {}
        finished = as_completed()

        def submit() -> None:
            while pending and len(running) < PER_WORKER * self.workers:
                i, task = pending.popleft()
                future = self.client.submit(fn, task, key=f"{prefix}-{i}", pure=False,
                                            retries=self.retries)
                running[future] = task
                finished.add(future)

        submit()
        for future in finished:
            task = running.pop(future)
            try:
                result = future.result()
            except Exception as err:  # noqa: BLE001 - a lost task is reported, not fatal
                result = err
            future.release()
            yield task, result
            submit()

    def close(self) -> None:
        """Disconnect from the scheduler (when this backend connected)."""
        if self._own:
            self.client.close()

    def describe(self) -> str:
        """Return e.g. "Dask cluster tcp://10.0.0.1:8786 (8 threads)"."""
        return f"Dask cluster {self.address} ({self.workers} worker threads)"


def make_backend(jobs: int | None = None, scheduler: str | None = None) -> Backend:
    """Return the backend the command-line options ask for.

    Args:
        jobs: Local worker processes (default: every core); 1 runs in this process.
        scheduler: Address of a Dask scheduler; when given, `jobs` is ignored.
    """
    if scheduler:
        return DaskBackend(scheduler)
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        from corridor.errors import CorridorError

        raise CorridorError(f"--jobs must be at least 1, got {jobs}")
    return InlineBackend() if jobs == 1 else ProcessBackend(jobs)


@contextlib.contextmanager
def using(backend: Backend | None) -> Iterator[Backend]:
    """Yield the given backend, or a local one on every core that is closed afterwards."""
    if backend is not None:
        yield backend
        return
    with make_backend() as own:
        yield own
