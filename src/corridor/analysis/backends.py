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

from corridor.errors import CorridorError

T = TypeVar("T")

PER_WORKER = 4  # tasks handed out per worker at a time
WORKER_TIMEOUT_S = 60.0  # how long a Dask cluster may have no worker before a study fails


class NoWorkersError(CorridorError):
    """A Dask cluster had no worker for longer than the worker timeout."""


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


PARENT_POLL_S = 0.5  # how often a worker looks whether its parent is still there


def _worker_start(parent: int, deathsig: bool) -> None:
    """Tie a worker process to its parent, and make a Ctrl-C end it at once, quietly.

    A worker must not outlive the command that started it (a `kill -9` of the parent would
    otherwise leave the workers, and with them multiprocessing's resource tracker, waiting on
    their task queue forever). On Linux the kernel sends the worker SIGKILL when its parent
    dies (`prctl(PR_SET_PDEATHSIG)`; asked only when the pool was started from the main thread,
    since the signal follows the thread that started the worker). Everywhere, a daemon thread
    looks every `PARENT_POLL_S` seconds whether the parent is still the worker's parent, and
    ends the worker when it is not. A member's temporary folder left behind is removed by the
    next command.

    Args:
        parent: Process id of the process that runs the pool.
        deathsig: Whether to ask the kernel for SIGKILL on the parent's death.
    """
    import signal
    import threading

    signal.signal(signal.SIGINT, lambda _signum, _frame: os._exit(130))
    if deathsig:
        _kill_me_with_parent()
    if os.getppid() != parent:  # the parent died before this line
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="corridor-parent-watch", daemon=True).start()


def _on_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _kill_me_with_parent() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where it cannot."""
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        return libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


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

        self._deathsig = _on_main_thread()  # workers start in the thread that submits
        return ProcessPoolExecutor(max_workers=self.workers, initializer=_worker_start,
                                   initargs=(os.getpid(), self._deathsig),
                                   mp_context=multiprocessing.get_context("spawn"))

    def imap_unordered(self, fn: Callable[[T], Any], tasks: Iterable[T]
                       ) -> Iterator[tuple[T, Any]]:
        """Yield (task, result) as the worker processes finish them."""
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        if self._deathsig and not _on_main_thread():  # see `_worker_start`
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
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
        worker_timeout: Seconds the cluster may have no worker at all while tasks are
            waiting; then the study stops with an error naming the scheduler (the members
            finished so far are kept).
    """

    def __init__(self, scheduler: Any, retries: int = 1, timeout: float = 10.0,
                 worker_timeout: float = WORKER_TIMEOUT_S):
        from dask.distributed import Client

        if not worker_timeout > 0:
            raise CorridorError(f"--worker-timeout must be more than 0 seconds, got "
                                f"{worker_timeout}")
        if isinstance(scheduler, Client):
            self.client, self._own = scheduler, False
        else:
            try:
                self.client, self._own = Client(scheduler, timeout=timeout), True
            except OSError as err:
                raise CorridorError(f"cannot reach the Dask scheduler at {scheduler}: {err}. "
                                    "Start one with `dask scheduler` and workers with "
                                    "`dask worker ADDRESS`.") from None
        self.retries = retries
        self.worker_timeout = float(worker_timeout)
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
        """Yield (task, result) as the cluster finishes them.

        Raises:
            NoWorkersError: The cluster had no worker for `worker_timeout` seconds while
                tasks were waiting.
        """
        import uuid

        from dask.distributed import wait

        prefix = f"corridor-{uuid.uuid4().hex[:8]}"
        pending = deque(enumerate(tasks))
        running: dict[Any, T] = {}
        since: float | None = None  # when the cluster was first seen without workers

        def submit() -> None:
            while pending and len(running) < PER_WORKER * self.workers:
                i, task = pending.popleft()
                future = self.client.submit(fn, task, key=f"{prefix}-{i}", pure=False,
                                            retries=self.retries)
                running[future] = task

        submit()
        while running:
            try:
                done, _ = wait(list(running), timeout=min(1.0, self.worker_timeout),
                               return_when="FIRST_COMPLETED")
            except TimeoutError:
                done = set()
            if not done:
                if self.client.nthreads():
                    since = None
                    continue
                now = time.monotonic()
                since = now if since is None else since
                if now - since >= self.worker_timeout:
                    for future in running:
                        future.cancel()
                    raise NoWorkersError(
                        f"the Dask scheduler {self.address} has had no worker for "
                        f"{self.worker_timeout:g} s with {len(running) + len(pending)} members "
                        f"waiting; start workers with `dask worker {self.address}` and run the "
                        "same command again (the members done are kept), or give more time "
                        "with --worker-timeout")
                continue
            since = None
            for future in done:
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


def make_backend(jobs: int | None = None, scheduler: str | None = None,
                 worker_timeout: float = WORKER_TIMEOUT_S) -> Backend:
    """Return the backend the command-line options ask for.

    Args:
        jobs: Local worker processes (default: every core); 1 runs in this process.
        scheduler: Address of a Dask scheduler; when given, `jobs` is ignored.
        worker_timeout: With a scheduler: seconds without any worker before a study fails.
    """
    if scheduler:
        return DaskBackend(scheduler, worker_timeout=worker_timeout)
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
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
