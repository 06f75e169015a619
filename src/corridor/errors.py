"""Errors a person can act on: what was wrong, where (file, row, field), and what is expected."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in user input.

    Attributes:
        file: The file the problem is in (name relative to the scenario folder).
        row: 1-based row number counting the header as row 1, or None for whole-file problems.
        field: The column or key at fault, or None.
        message: What is wrong and what is expected.
    """

    file: str
    row: int | None
    field: str | None
    message: str

    MAX_MESSAGE = 1_000  # a safety net: readers cut echoed values shorter than this already

    def __str__(self) -> str:
        where = self.file[:200]
        if self.row is not None:
            where += f", row {self.row}"
        if self.field:
            where += f", field '{self.field[:200]}'"
        message = self.message
        if len(message) > self.MAX_MESSAGE:
            message = message[:self.MAX_MESSAGE] + f"… ({len(self.message):,} characters)"
        return f"{where}: {message}"


class CorridorError(Exception):
    """Base class of the errors Corridor raises on purpose."""


class ScenarioError(CorridorError):
    """User input is invalid; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        """Return all problems as one message, one per line."""
        head = f"{len(self.problems)} problem(s) found:" if len(self.problems) != 1 else ""
        lines = [f"  - {p}" for p in self.problems]
        return "\n".join([head, *lines]) if head else str(self.problems[0])


class CorridorWarning(UserWarning):
    """A warning from Corridor itself (tests treat these as errors)."""
