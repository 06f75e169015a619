"""The bit flags rules set on a person: defined below both engine and rules (`engine/flags`)."""

from __future__ import annotations

from corridor.engine.flags import Flag

__all__ = ["Flag"]
