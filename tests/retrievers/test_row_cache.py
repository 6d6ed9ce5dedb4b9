"""Per-user rows of an additive model move with the history and stay equal to the full sum."""

from __future__ import annotations

import numpy as np

from pulserec.models.cf.row_cache import HistoryRowCache

ROWS = np.random.default_rng(0).normal(size=(50, 20)).astype(np.float32)


def _sum(items: np.ndarray) -> np.ndarray:
    return ROWS[items].sum(axis=0, dtype=np.float64)


def test_rows_follow_additions_and_removals_exactly_in_float32() -> None:
    cache, calls = HistoryRowCache(_sum, 20), []
    history = np.arange(0, 30, 3, dtype=np.int32)

    def counted(items: np.ndarray) -> np.ndarray:
        calls.append(items.size)
        return _sum(items)

    cache.rows_sum = counted
    for step in range(40):
        history = np.unique(np.append(history, np.int32(step % 50)))
        if step % 7 == 0:
            history = history[1:]
        row = cache.row(5, history)
        assert np.array_equal(row.astype(np.float32), _sum(history).astype(np.float32))
    assert max(calls[1:]) <= 2  # after the first request, a row or two per change


def test_the_cache_is_bounded_and_off_for_huge_catalogs() -> None:
    cache = HistoryRowCache(_sum, 20, budget_bytes=3 * 20 * 8)
    for owner in range(10):
        cache.row(owner, np.array([owner], dtype=np.int32))
    assert len(cache._entries) == 3
    assert HistoryRowCache(_sum, 10**6, max_items=1000).capacity == 0
    assert np.array_equal(cache.row(-1, np.array([1, 2], dtype=np.int32)), _sum(np.array([1, 2])))


def test_als_fold_in_moved_per_event_equals_the_fold_in_of_the_whole_history() -> None:
    from pulserec.core.interactions import Interactions
    from pulserec.core.types import Event, EventType
    from pulserec.models.base import Query
    from pulserec.models.cf.als import ALS

    rng = np.random.default_rng(1)
    events = [
        Event(f"u{u}", f"i{i}", EventType.CLICK, float(n))
        for n, (u, i) in enumerate(
            zip(rng.integers(0, 40, 800), rng.integers(0, 60, 800), strict=True)
        )
    ]
    model = ALS(factors=8, iterations=3).fit(Interactions.from_events(events))
    history = np.zeros(0, dtype=np.int32)
    for _ in range(30):
        history = np.unique(np.append(history, np.int32(rng.integers(0, 60))))
        moved = model.query_row(Query(history=history, owner=4))
        assert moved is not None
        whole = model.item_factors_ @ model.fold_in(history)
        np.testing.assert_allclose(moved, whole, rtol=1e-4, atol=1e-5 * np.abs(whole).max())
        assert np.array_equal(np.argsort(-moved)[:5], np.argsort(-whole)[:5])
    assert len(model._row_cache()._entries) == 1  # the user's sums were kept and moved


def test_user_knn_overlaps_moved_per_event_equal_the_whole_historys() -> None:
    from pulserec.core.interactions import Interactions
    from pulserec.core.types import Event, EventType
    from pulserec.models.base import Query
    from pulserec.models.cf.knn import UserKNN

    rng = np.random.default_rng(2)
    pairs = zip(rng.integers(0, 40, 900), rng.integers(0, 60, 900), strict=True)
    events = [Event(f"u{u}", f"i{i}", EventType.CLICK, float(n)) for n, (u, i) in enumerate(pairs)]
    model = UserKNN(k=10).fit(Interactions.from_events(events))
    history = np.zeros(0, dtype=np.int32)
    for step in range(30):
        history = np.unique(np.append(history, np.int32(rng.integers(0, 60))))
        if step % 9 == 8:
            history = history[1:]  # an item leaves
        moved = model.query_row(Query(history=history, owner=4))
        whole = model.query_row(Query(history=history))
        assert moved is not None and whole is not None
        np.testing.assert_allclose(moved, whole, rtol=1e-6)
    assert len(model._row_cache()._entries) == 1


def test_what_changed_between_two_histories_is_what_setdiff_finds() -> None:
    from pulserec.models.cf.row_cache import _missing

    rng = np.random.default_rng(5)
    for _ in range(200):
        a = np.unique(rng.integers(0, 30, rng.integers(0, 20))).astype(np.int32)
        b = np.unique(rng.integers(0, 30, rng.integers(0, 20))).astype(np.int32)
        assert np.array_equal(_missing(a, b), np.setdiff1d(a, b, assume_unique=True))
