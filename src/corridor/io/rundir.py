"""A run folder as one unit: built under a hidden sibling, renamed into place when complete.

`building(DIR)` checks the target (a folder that is not a run is never replaced; a run is
replaced only when asked), creates `.DIR.tmp-<pid>-<token>` beside it, yields it to be filled
and, when the body finishes, puts it in place of DIR in one step (`renameat2(RENAME_EXCHANGE)`
on Linux, which swaps the two folders atomically; elsewhere two renames, the old run parked
as `.DIR.old-<pid>-<token>` in between and restored by the next run if a kill fell there).
A failure or an interrupt deletes the hidden folder: DIR is then exactly as it was. Hidden
folders of the same DIR whose process is dead (a run killed with SIGKILL) are removed by the
next run that writes DIR.

A run folder is complete when its `run.json` says `"complete": true`, which is written last,
after the tables, the copy of the scenario and the report; `require_complete` is what readers
call before trusting a folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from corridor.errors import CorridorError

RUN_JSON = "run.json"
STAGE = ".tmp-"
OLD = ".old-"
_HIDDEN = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)-[0-9a-f]+$")


class OutputFolderError(CorridorError):
    """The output folder cannot be used or written (exit 2, with what to do)."""


def is_run_folder(path: Path) -> bool:
    """Whether a folder holds a run (a `run.json`, complete or not)."""
    return (Path(path) / RUN_JSON).is_file()


def is_complete(path: Path) -> bool:
    """Whether a folder holds a run whose `run.json` says it is complete."""
    try:
        data = json.loads((Path(path) / RUN_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("complete") is True


def require_complete(path: Path) -> None:
    """Refuse a folder that is not a complete run.

    Raises:
        OutputFolderError: No `run.json`, or one that does not say `"complete": true`.
    """
    path = Path(path)
    if not is_run_folder(path):
        raise OutputFolderError(f"{path} is not a run folder (no {RUN_JSON}); write one with "
                                f"`corridor run SCENARIO --out {path}`")
    if not is_complete(path):
        raise OutputFolderError(
            f"{path} is not a complete run ({RUN_JSON} does not say \"complete\": true): it "
            "was interrupted, or written by an older Corridor; run it again with "
            f"`corridor run SCENARIO --out {path} --overwrite`")


def check_target(final: Path, overwrite: bool, what: str = "run",
                 is_ours: object = is_run_folder) -> None:
    """Refuse an output folder that must not be written.

    Args:
        final: The folder to write.
        overwrite: Whether an existing folder of this kind may be replaced.
        what: What the folder holds, for messages ("run", "scenario").
        is_ours: Tells whether an existing folder holds a `what` (and so may be replaced).

    Raises:
        OutputFolderError: `final` is a file; or a folder, not empty, that is not a `what`; or
            a `what` and `overwrite` is false.
    """
    final = Path(final)
    if final.exists() and not final.is_dir():
        raise OutputFolderError(f"{final} is a file, not a folder: choose a folder for --out")
    for parent in final.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputFolderError(f"{parent} is a file: cannot write {final} under it; "
                                        "choose another --out")
            break
    if not final.is_dir() or not any(final.iterdir()):
        return
    if not is_ours(final):  # type: ignore[operator]
        raise OutputFolderError(
            f"{final} is a folder that does not hold a {what} and is not empty: Corridor never "
            "replaces it; choose a new folder with --out")
    if not overwrite:
        raise OutputFolderError(f"{final} holds a {what} already; pass --overwrite to replace "
                                "it, or choose another folder with --out")


def pid_alive(pid: int) -> bool:
    """Whether a process is alive (this one always is)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(final: Path) -> list[Path]:
    """Remove the hidden folders a killed run of `final` left; restore a parked old run.

    Only hidden siblings named after `final` whose process is no longer alive are touched.

    Returns:
        The paths removed or restored.
    """
    final = Path(final)
    parent = final.parent
    if not parent.is_dir():
        return []
    found = []
    for path in parent.iterdir():
        m = _HIDDEN.match(path.name)
        if m is None or m["name"] != final.name or pid_alive(int(m["pid"])):
            continue
        if m["kind"] == "old" and not final.exists():
            with contextlib.suppress(OSError):
                path.rename(final)  # killed between the two renames: the old run comes back
                found.append(path)
                continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        found.append(path)
    return found


def hidden_sibling(final: Path, kind: str = "tmp") -> Path:
    """Return a new hidden name beside `final`: `.NAME.<kind>-<pid>-<token>`."""
    final = Path(final)
    return final.with_name(f".{final.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux `renameat2(RENAME_EXCHANGE)`); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def put_in_place(stage: Path, final: Path) -> None:
    """Put a finished hidden folder in place of `final` (which may exist), then drop the old."""
    if final.is_dir():
        if _exchange(stage, final):
            shutil.rmtree(stage, ignore_errors=True)  # now the old folder
            return
        old = hidden_sibling(final, "old")
        os.rename(final, old)
        os.rename(stage, final)
        shutil.rmtree(old, ignore_errors=True)
        return
    os.rename(stage, final)


def _writing_failed(final: Path, err: OSError) -> OutputFolderError:
    reason = err.strerror or str(err)
    hint = {errno.ENOSPC: "free some space or choose another --out",
            errno.EDQUOT: "free some space or choose another --out",
            errno.EROFS: "the file system is read-only: choose another --out",
            errno.EACCES: "no permission to write there: choose another --out",
            errno.EPERM: "no permission to write there: choose another --out",
            }.get(err.errno or 0, "choose another --out")
    return OutputFolderError(f"could not write {final}: {reason}; nothing was kept, and any "
                             f"earlier run there is unchanged ({hint})")


@contextlib.contextmanager
def building(final: Path, overwrite: bool = False, what: str = "run",
             is_ours: object = is_run_folder) -> Iterator[Path]:
    """Build a folder under a hidden sibling and put it in place of `final` at the end.

    Args:
        final: The folder to write.
        overwrite: Whether an existing `what` there may be replaced.
        what: What the folder holds, for messages.
        is_ours: Tells whether an existing folder holds a `what` (see `check_target`).

    Yields:
        The hidden folder to fill.

    Raises:
        OutputFolderError: The target may not be written (see `check_target`), or writing
            failed (full or read-only file system): nothing is left behind.
    """
    final = Path(final)
    check_target(final, overwrite, what, is_ours)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        clean_stale(final)
        stage = hidden_sibling(final)
        stage.mkdir()
    except OSError as err:
        raise _writing_failed(final, err) from None
    try:
        yield stage
        check_target(final, overwrite, what, is_ours)  # nobody put something else there since
        put_in_place(stage, final)
    except OSError as err:
        shutil.rmtree(stage, ignore_errors=True)
        raise _writing_failed(final, err) from None
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def mark_complete(folder: Path, metadata: dict) -> dict:
    """Write `run.json` with `"complete": true` (the last file of a run); return what it holds."""
    from corridor.io.atomic import write_json

    data = {**metadata, "complete": True}
    write_json(Path(folder) / RUN_JSON, data)
    return data
