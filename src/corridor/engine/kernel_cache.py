"""Whether numba's on-disk cache holds the kernels a run needs (without importing numba).

The first run after an install (or after a kernel's source changed) compiles the kernels, which
takes 10-20 s; later runs load them from the cache in well under a second. `cold_kernels`
tells the command line when to say so.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parent
# kernel modules by what uses them (the kernels a run calls from Python: those numba caches
# under the module's name); `row_updates` only serves rules in the flee model (`RULE_KERNELS`);
# a flee count run merges its rows in `flee_count_kernels` (with camps as sinks, which also
# split rows, `row_splits` and `merge_kernels` load too)
KERNELS = {
    ("flee", "agents"): ("flee_kernels", "kernels"),
    ("flee", "counts"): ("flee_count_kernels", "kernels"),
    ("corridor", "agents"): ("kernels", "row_updates"),
    ("corridor", "counts"): ("kernels", "count_kernels", "merge_kernels", "row_splits",
                             "row_updates"),
}
RULE_KERNELS = ("row_updates",)


def _cache_dirs(module: str) -> list[Path]:
    dirs = [ENGINE / "__pycache__"]
    custom = os.environ.get("NUMBA_CACHE_DIR")
    if custom:  # numba mirrors the source tree below it
        dirs += [p.parent for p in Path(custom).rglob(f"{module}.*.nbi")]
    return dirs


def is_cached(module: str) -> bool:
    """Whether numba has an index file for `module`, newer than its source."""
    source = ENGINE / f"{module}.py"
    if not source.is_file():
        return True
    tag = f"py{sys.version_info.major}{sys.version_info.minor}"
    built = source.stat().st_mtime
    for folder in _cache_dirs(module):
        if not folder.is_dir():
            continue
        for index in folder.glob(f"{module}.*.{tag}.nbi"):
            if index.stat().st_mtime >= built:
                return True
    return False


def cold_kernels(model: str, engine: str, rules: bool = True) -> list[str]:
    """Return the kernel modules of a model and representation that numba must compile.

    A module a run does not load must not be listed: nothing would ever cache it, and every
    run would announce a compile (Flee scenarios have no rules, so no `row_updates`).

    Args:
        model: The scenario's model (`flee` or `corridor`).
        engine: The representation (`agents` or `counts`).
        rules: Whether the scenario has rules (their kernels then load too).
    """
    modules = KERNELS.get((model, engine), KERNELS.get(("corridor", engine), ()))
    if rules:
        modules = tuple(dict.fromkeys(modules + RULE_KERNELS))
    return [m for m in modules if not is_cached(m)]
