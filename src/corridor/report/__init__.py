"""`corridor report`: one self-contained, offline HTML report of a run (and PNGs of its figures).

Needs the `report` extra (matplotlib, plotly); both are imported only when a report is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = ["write_report"]


def write_report(run_dir: Path, compare: Path | None = None, out: Path | None = None,
                 staged_as: Path | None = None,
                 progress: Callable[[str, int, int], None] | None = None) -> Path:
    """Write `report.html` (and `figures/*.png`) for a run folder; see `build.write_report`."""
    from corridor.report.build import write_report as _write

    return _write(run_dir, compare=compare, out=out, staged_as=staged_as, progress=progress)
