"""Help written for people: value names such as TEXT, N or PATH instead of `<bool>`, `<list[str]>`.

Typer 0.29 shows each option's Python type (`<bool>`, `<list[str]>`, `<int>`) in `--help`. A flag
takes no value, so it shows none; other options show what to type.
"""

from __future__ import annotations

from typing import Any

NAMES = {"bool": "", "str": "TEXT", "int": "N", "float": "NUMBER", "Path": "PATH",
         "PosixPath": "PATH", "datetime": "DATE"}


def friendly(param: Any, shown: str | None) -> str | None:
    """Return the value name to show for a parameter whose type Typer shows as `shown`."""
    if shown is None or not shown.startswith("<"):
        return shown
    inner = shown.strip("<>.").removesuffix("...")
    repeat = inner.startswith("list[")
    inner = inner.removeprefix("list[").removesuffix("]")
    name = NAMES.get(inner, inner.upper())
    if getattr(param, "is_flag", False) or name == "":
        return ""
    return f"{name} …" if repeat else name


def install() -> None:
    """Make Typer's rich help show value names (idempotent)."""
    from typer import core

    for cls in (core.TyperOption, core.TyperArgument):
        original = cls.display_type_rich
        if getattr(original, "_corridor", False):
            continue

        def display(self: Any, ctx: Any, _original: Any = original) -> str | None:
            return friendly(self, _original(self, ctx))

        display._corridor = True  # type: ignore[attr-defined]
        cls.display_type_rich = display  # type: ignore[method-assign]
