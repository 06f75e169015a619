"""Flee 3.1 compatibility: read Flee scenario folders and convert them to Corridor scenarios.

Nothing here imports Flee; these modules read Flee's file formats and describe its behaviour
(see `docs/flee-compatibility.md`).
"""
