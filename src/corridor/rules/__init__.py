"""Dated border and asylum rules: typed records in `rules.toml`, applied by the engine."""

from corridor.rules.load import load_rules

__all__ = ["load_rules"]
