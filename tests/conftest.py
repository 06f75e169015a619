"""Shared fixtures: where the read-only reference material lives, small networks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tiny_fixture import write_scenario

REPO = Path(__file__).resolve().parents[1]


def _shared_dir() -> Path:
    env = os.environ.get("CORRIDOR_SHARED")
    return Path(env) if env else REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The `shared/` folder beside the repository (facts, Flee scenarios, references)."""
    path = _shared_dir()
    if not path.is_dir():
        pytest.skip(f"shared reference folder not found at {path}")
    return path


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A valid five-place scenario folder."""
    return write_scenario(tmp_path / "tiny")
