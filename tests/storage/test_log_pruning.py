"""The change log is pruned as it grows: a store keeps its newest entries (``log_keep``), numbers
stay dense and are never reused, and a reader behind the pruned stretch sees the gap."""

from __future__ import annotations

import pytest

from pulserec.core.types import Item
from pulserec.storage.base import Store
from pulserec.storage.changelog import LogPruned, contiguous, prune_horizon
from tests.storage.conftest import click


def test_the_horizon_prunes_at_intervals_and_keeps_the_newest() -> None:
    assert prune_horizon(5, keep=10) is None  # short of the limit
    assert prune_horizon(3_000, keep=100_000) is None
    assert prune_horizon(101_000, keep=100_000) == 1_000
    assert prune_horizon(101_001, keep=100_000) is None  # between two intervals
    assert prune_horizon(20, keep=5) == 15  # a small log prunes every `keep` entries
    assert prune_horizon(1, keep=0) is None  # the newest entry is always kept


def test_a_reader_past_the_pruned_stretch_gets_the_gap() -> None:
    from pulserec.storage.changelog import LogEntry

    assert contiguous(4, [LogEntry(5, "items")]) == [LogEntry(5, "items")]
    assert contiguous(4, []) == []
    with pytest.raises(LogPruned, match="entries 5-8 are gone"):
        contiguous(4, [LogEntry(9, "items")])


def test_the_store_keeps_a_bounded_log_with_dense_numbers(store: Store) -> None:
    if not hasattr(store, "log_keep"):
        pytest.skip("the in-memory store keeps its log whole (tests only)")
    store.log_keep = 5  # type: ignore[attr-defined]
    for n in range(23):
        store.append_events([click(f"u{n % 3}", f"i{n}", f"e{n}")])
    head = store.high_water()
    kept = store.entries(0, limit=1000)
    assert 5 <= len(kept) <= 10, len(kept)
    assert kept[-1].seq == head and [e.seq for e in kept] == list(range(kept[0].seq, head + 1))
    with pytest.raises(LogPruned):
        contiguous(0, kept)
    store.upsert_items([Item("fresh", "Fresh")])
    assert store.high_water() == head + 1  # the newest number is never reused
    assert store.entries(head, 10)[0].seq == head + 1
