"""Scenario format: reading, validating and changing scenario folders."""

from corridor.scenario.load import load_scenario
from corridor.scenario.model import Scenario

__all__ = ["Scenario", "load_scenario"]
