"""Where numba caches the compiled kernels, with a fallback when the usual places are read-only.

numba caches `cache=True` functions beside the source (`__pycache__`) or, when that is not
writable, under the user's cache folder (`~/.cache`). With neither writable (an installed
package and no writable `$HOME`, as in some containers and CI jobs) numba refuses to compile
at all. `ensure_cache()` runs before any kernel is defined and then points numba at a private
folder in the temporary directory, or, failing that too, compiles without a cache (slower
start, same results). Either way it says so once on stderr.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

_done = False


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
        return True
    except OSError:
        return False


def _user_cache() -> Path | None:
    try:
        from numba.misc.appdirs import AppDirs

        return Path(AppDirs(appname="numba", appauthor=False).user_cache_dir)
    except Exception:  # noqa: BLE001 - numba's helper moved or $HOME is unusable
        return None


def _note(message: str) -> None:
    try:
        print(f"note: {message}", file=sys.stderr)
    except (OSError, ValueError):
        pass


def ensure_cache() -> str:
    """Make sure numba can cache (or compile without caching) the kernels.

    Returns:
        `"default"` when numba's own places are writable, `"temporary"` when the cache moved to
        the temporary folder, `"off"` when kernels are compiled without a cache.
    """
    global _done
    if _done:
        return "default"
    _done = True
    _import_numba()
    from numba.core import config

    given = os.environ.get("NUMBA_CACHE_DIR") or config.CACHE_DIR
    if given:
        if _writable(Path(given)):
            return "default"
    else:
        beside = Path(__file__).resolve().parent / "__pycache__"
        user = _user_cache()
        if _writable(beside) or (user is not None and _writable(user)):
            return "default"
    user_id = os.getuid() if hasattr(os, "getuid") else 0
    fallback = Path(tempfile.gettempdir()) / f"corridor-numba-{user_id}"
    if _writable(fallback):
        config.CACHE_DIR = str(fallback)
        os.environ["NUMBA_CACHE_DIR"] = str(fallback)  # for worker processes
        _note(f"numba cannot write its cache beside Corridor or in the user cache folder; "
              f"compiled kernels are cached in {fallback} (set NUMBA_CACHE_DIR to choose)")
        return "temporary"
    _compile_without_cache()
    _note("no writable folder for numba's cache (set NUMBA_CACHE_DIR); kernels are compiled "
          "on every run without a cache (slower start, same results)")
    return "off"


def _import_numba() -> None:
    """Import numba without letting it import SciPy's linear algebra (about 0.3 s, unused).

    numba probes `scipy.linalg.cython_blas` (for `np.dot` and `np.linalg` inside kernels) when
    `numba.np.arraymath` is imported, which loading the first kernel does; no Corridor kernel
    uses them, and importing `scipy.linalg` (with NumPy's f2py)
    is the largest single part of importing numba where SciPy is installed. SciPy is hidden
    only while numba is imported and only when nothing imported it before; it imports as
    usual afterwards (numba then reports no BLAS to kernels compiled in this process).
    """
    if "numba" in sys.modules or "scipy" in sys.modules:
        return
    sys.modules["scipy"] = None  # type: ignore[assignment]  # makes `import scipy` fail
    try:
        import numba  # noqa: F401
        import numba.np.arraymath  # noqa: F401  # the probe; else the first kernel loaded runs it
    finally:
        del sys.modules["scipy"]


def _compile_without_cache() -> None:
    """Let `cache=True` functions compile without a cache instead of failing."""
    from numba.core.dispatcher import Dispatcher

    original = Dispatcher.enable_caching

    def enable_caching(self: Dispatcher) -> None:
        try:
            original(self)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            pass  # the dispatcher keeps its NullCache

    Dispatcher.enable_caching = enable_caching  # type: ignore[method-assign]
