"""Commands that live in their own modules, added to the main app (imported lazily)."""

from __future__ import annotations

import importlib

import typer

# Modules that define `register(app)`; a module missing from an install is skipped.
COMMAND_MODULES = (
    "corridor.cli.rule_commands",
    "corridor.cli.report_commands",
    "corridor.cli.flee_commands",
    "corridor.cli.score_commands",
    "corridor.cli.ensemble_commands",
    "corridor.cli.web_commands",
    "corridor.cli.export_commands",
    "corridor.cli.crossval_commands",
    "corridor.cli.forecast_commands",
)


def all_commands(app: typer.Typer) -> None:
    """Register the commands of every command module that is present."""
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name == name:
                continue
            raise
        module.register(app)
