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
