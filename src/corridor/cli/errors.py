"""Exit statuses and error reporting: 0 ok, 2 bad input (message, no traceback), 1 internal."""

from __future__ import annotations

import errno
import functools
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from corridor.errors import CorridorError, ScenarioError

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for `yes | head`

F = TypeVar("F", bound=Callable[..., Any])

# Failures of the environment, not of Corridor: a message and exit 2, not "internal error".
ENVIRONMENT_ERRNOS = {
    errno.ENAMETOOLONG: "a file name is too long for the file system; use a shorter name",
    errno.ENOSPC: "the disk is full; free some space or write elsewhere",
    errno.EROFS: "the file system is read-only; write elsewhere",
    errno.EDQUOT: "the disk quota is exceeded; free some space or write elsewhere",
    errno.EISDIR: "a folder was given where a file is expected",
    errno.ELOOP: "too many levels of symbolic links",
    errno.EMFILE: "too many open files; raise the limit (ulimit -n)",
}


def quiet_broken_pipe() -> None:
    """Exit quietly when the reader of our output went away (`corridor ... | head`).

    Further writes (and the flush at exit) go to /dev/null, so no traceback or "Exception
    ignored" message is printed.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real stdout (e.g. under a test runner)
        pass
    raise SystemExit(EXIT_BROKEN_PIPE)


def handle_errors(func: F) -> F:
    """Turn user errors into a message and exit 2, other errors into exit 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except BrokenPipeError:
            quiet_broken_pipe()
        except ScenarioError as err:
            typer.secho(f"error: {err.render()}", err=True, fg="red")
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except (CorridorError, FileNotFoundError, NotADirectoryError, PermissionError) as err:
            typer.secho(f"error: {err}", err=True, fg="red")
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except KeyboardInterrupt:
            typer.secho("interrupted; no partial result was kept", err=True, fg="yellow")
            raise typer.Exit(130) from None
        except MemoryError:
            typer.secho("error: not enough memory for this run; try --engine counts, fewer days "
                        "or fewer people", err=True, fg="red")
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except Exception as err:  # noqa: BLE001 - the last resort: report and exit 1
            if isinstance(err, OSError) and err.errno in ENVIRONMENT_ERRNOS:
                name = f" ({str(err.filename)[:80]})" if err.filename else ""
                typer.secho(f"error: {ENVIRONMENT_ERRNOS[err.errno]}{name}", err=True, fg="red")
                raise typer.Exit(EXIT_BAD_INPUT) from None
            if _is_interrupt(err):
                typer.secho("interrupted; no partial result was kept", err=True, fg="yellow")
                raise typer.Exit(130) from None
            if os.environ.get("CORRIDOR_DEBUG"):
                traceback.print_exc()
            else:
                typer.secho(f"internal error: {type(err).__name__}: {err}\n"
                            "(set CORRIDOR_DEBUG=1 for the traceback; please report it)",
                            err=True, fg="red")
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper  # type: ignore[return-value]


def _is_interrupt(err: BaseException) -> bool:
    """Whether an exception is a Ctrl-C seen by a library (DuckDB raises its own on SIGINT)."""
    return type(err).__name__ in ("InterruptException", "Interrupt")


def fail(message: str) -> None:
    """Report a bad-input error and exit 2."""
    typer.secho(f"error: {message}", err=True, fg="red")
    sys.stderr.flush()
    raise typer.Exit(EXIT_BAD_INPUT)
