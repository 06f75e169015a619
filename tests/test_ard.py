"""Flee's averaged relative difference, checked against Flee 3.1's own reference outputs."""

from __future__ import annotations

import re

import numpy as np
import pytest

from corridor.analysis.ard import ard, daily_relative_difference
from corridor.flee.outcsv import read_out_csv


def _readme_table(shared_dir):
    """(file name, rescaled ARD, plain ARD) from the reference README's table."""
    text = (shared_dir / "flee-scenarios" / "reference" / "README.md").read_text()
    rows = []
    for m in re.finditer(r"^\| (\w+) \| (\d+) \| ([\d.]+) \| ([\d.]+) \|", text, re.M):
        scenario, rep, rescaled, plain = m.groups()
        prefix = scenario.removesuffix("2012").removesuffix("2015")
        rows.append((f"{prefix}-flee31-rep{rep}.csv", float(rescaled), float(plain)))
    return rows


def test_reference_ard_matches_readme(shared_dir):
    rows = _readme_table(shared_dir)
    assert len(rows) >= 5
    for name, rescaled, plain in rows:
        out = read_out_csv(shared_dir / "flee-scenarios" / "reference" / name)
        assert round(ard(out.simulated, out.observed), 4) == pytest.approx(rescaled, abs=1e-4), name
        assert round(ard(out.simulated, out.observed, rescaled=False), 4) == pytest.approx(
            plain, abs=1e-4), name


def test_reference_totals_are_the_column_sums(shared_dir):
    out = read_out_csv(shared_dir / "flee-scenarios" / "reference" / "mali-flee31-rep1.csv")
    np.testing.assert_array_equal(out.simulated.sum(axis=1),
                                  out.columns["refugees in camps (simulation)"])
    np.testing.assert_array_equal(out.observed.sum(axis=1),
                                  out.columns["refugees in camps (UNHCR)"])


def test_perfect_match_scores_zero():
    obs = np.array([[10, 0, 5], [20, 4, 6]], dtype=float)
    assert ard(obs, obs) == 0.0
    assert ard(obs, obs, rescaled=False) == 0.0


def test_rescaling_ignores_the_total():
    obs = np.array([[10.0, 30.0]])
    assert ard(obs * 3, obs) == pytest.approx(0.0)
    assert ard(obs * 3, obs, rescaled=False) == pytest.approx(2.0)


def test_worked_example():
    sim = np.array([[30.0, 10.0], [0.0, 0.0]])
    obs = np.array([[20.0, 20.0], [5.0, 5.0]])
    # day 0: rescale factor 1 -> (10 + 10) / 40; day 1: nobody simulated -> 10 / 10 = 1
    np.testing.assert_allclose(daily_relative_difference(sim, obs), [0.5, 1.0])
    assert ard(sim, obs) == pytest.approx(0.75)


def test_day_with_nobody_observed_divides_by_one():
    sim = np.array([[2.0, 1.0]])
    obs = np.zeros((1, 2))
    assert ard(sim, obs, rescaled=False) == pytest.approx(3.0)
    assert ard(sim, obs) == pytest.approx(0.0)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shape"):
        ard(np.zeros((3, 2)), np.zeros((3, 3)))
