"""Columnar agent storage: merging rows of interchangeable people."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.engine.agents import Agents

ROWS = st.lists(st.tuples(st.integers(0, 3), st.integers(-1, 2), st.sampled_from([0.0, 2.5]),
                          st.integers(0, 5)), min_size=0, max_size=60)


def _rows(rows: list[tuple[int, int, float, int]]) -> Agents:
    a = Agents()
    for place, link, travelled, count in rows:
        new = a.add(1, place, group=0, day=0, state=0, country_bit=0, kind_bit=0,
                    per_row=count)
        a.full("link")[new] = link
        a.full("travelled")[new] = travelled
    a.add_column("home", np.int32, 7)
    return a


def _keys(a: Agents) -> list[tuple]:
    return [(int(a.place[i]), int(a.link[i]), float(a.travelled[i])) for i in range(a.n)]


def _tally(a: Agents) -> dict[tuple, int]:
    out: dict[tuple, int] = {}
    for key, count in zip(_keys(a), a.count.tolist(), strict=True):
        out[key] = out.get(key, 0) + count
    return {k: v for k, v in out.items() if v}


@pytest.mark.parametrize("keep_order", [True, False])
@settings(max_examples=60, deadline=None)
@given(rows=ROWS)
def test_merge_keeps_every_person_and_leaves_distinct_rows(rows, keep_order):
    a = _rows(rows)
    before = _tally(a)
    a.merge(keep_order=keep_order)
    assert _tally(a) == before
    assert len(_keys(a)) == len(set(_keys(a)))
    assert (a.count > 0).all()


@settings(max_examples=30, deadline=None)
@given(rows=ROWS)
def test_the_hashed_and_the_sorting_merge_keep_the_same_order(rows):
    hashed, sorted_ = _rows(rows), _rows(rows)
    hashed.merge(keep_order=True)
    if sorted_.n:
        sorted_._merge_sorted(keep_order=True)
    assert hashed.n == sorted_.n
    for name in ("place", "link", "travelled", "count", "home"):
        assert np.array_equal(getattr(hashed, name), getattr(sorted_, name))


def test_merged_rows_keep_the_order_of_their_first_row():
    a = _rows([(2, -1, 0.0, 1), (1, -1, 0.0, 2), (2, -1, 0.0, 3), (0, -1, 0.0, 0),
               (1, -1, 0.0, 4)])
    a.merge(keep_order=True)
    assert a.place.tolist() == [2, 1]
    assert a.count.tolist() == [4, 6]


def test_without_keeping_the_order_rows_come_out_sorted_by_place():
    a = _rows([(2, -1, 0.0, 1), (1, -1, 0.0, 2), (2, -1, 0.0, 3), (0, 1, 2.5, 5)])
    a.merge()
    assert a.place.tolist() == [0, 1, 2]
    assert a.count.tolist() == [5, 2, 4]


def test_a_hash_collision_falls_back_to_sorting(monkeypatch):
    import corridor.engine.merge_kernels as kernels

    monkeypatch.setattr(kernels, "merge_rows", lambda cols, count, n: -1)
    a = _rows([(1, -1, 0.0, 1), (0, 1, 2.5, 3), (1, -1, 0.0, 2)])
    a.merge(keep_order=True)
    assert a.place.tolist() == [1, 0]
    assert a.count.tolist() == [3, 3]


def test_rows_at_several_places_in_one_call():
    a = Agents()
    new = a.add(3, np.array([4, 0, 2]), group=1, day=5, state=0,
                country_bit=np.array([1, 2, 4]), kind_bit=8, per_row=np.array([10, 20, 30]))
    assert new == slice(0, 3)
    assert a.place.tolist() == [4, 0, 2]
    assert a.count.tolist() == [10, 20, 30]
    assert a.countries.tolist() == [1, 2, 4]
    assert a.kinds.tolist() == [8, 8, 8]
    assert a.since.tolist() == [5, 5, 5]
