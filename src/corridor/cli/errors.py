"""Exit statuses and error reporting: 0 ok, 2 bad input (message, no traceback), 1 internal."""

from __future__ import annotations

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

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn user errors into a message and exit 2, other errors into exit 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except ScenarioError as err:
            typer.secho(f"error: {err.render()}", err=True, fg="red")
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except (CorridorError, FileNotFoundError, NotADirectoryError, PermissionError) as err:
            typer.secho(f"error: {err}", err=True, fg="red")
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except KeyboardInterrupt:
            typer.secho("interrupted; no partial result was kept", err=True, fg="yellow")
            raise typer.Exit(130) from None
        except Exception as err:  # noqa: BLE001 - the last resort: report and exit 1
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
