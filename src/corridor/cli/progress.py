"""Progress bars for anything that takes more than a moment, on stderr (stdout is the result).

rich's progress and console modules (50-70 ms to import) are imported only when a bar is
shown, so `--quiet` runs and runs without a report do without them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

_active: list[Progress] = []  # the bar on screen, if any: a second one joins it as a new line


@contextlib.contextmanager
def day_progress(total: int, label: str, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """Yield a callback `update(days_done)` that drives a progress bar on stderr."""
    if not enabled:
        yield lambda _done: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[unit]}"), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task(label, total=total, unit="days")
        _active.append(bar)
        try:
            yield lambda done: bar.update(task, completed=done)
        finally:
            _active.remove(bar)


@contextlib.contextmanager
def report_progress(enabled: bool = True, console: Console | None = None,
                    ) -> Iterator[Callable[[str, int, int], None]]:
    """Yield a callback `step(name, done, total)` showing the report's progress on stderr.

    One line, "writing the report: NAME", with a spinner, the steps done and the time, on a
    terminal only: nothing is printed when stderr is a file or a pipe (or `enabled` is false).
    Inside `corridor run` it is a second line under the run's bar.

    Args:
        enabled: False for `--quiet`.
        console: Where to draw (default: stderr); tests pass a console that is a terminal.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    console = console or Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield lambda _name, _done, _total: None
        return

    def text(name: str) -> str:
        return f"[bold]writing the report[/bold]: {name}"

    if _active:  # under the run's bar: a task of the same display
        bar = _active[-1]
        task = bar.add_task(text("starting"), total=None, unit="steps")
        try:
            yield lambda name, done, total: bar.update(task, completed=done, total=total,
                                                       description=text(name))
        finally:
            bar.remove_task(task)
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=20),
               MofNCompleteColumn(), TextColumn("steps"), TimeElapsedColumn())
    with Progress(*columns, transient=True, console=console) as bar:
        task = bar.add_task(text("starting"), total=None)
        yield lambda name, done, total: bar.update(task, completed=done, total=total,
                                                   description=text(name))
