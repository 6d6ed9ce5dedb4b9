"""Trending that never collapses, pages that never overlap, placeholders only with evidence."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from pulserec.core.types import Event, EventType, Item
from pulserec.engine.runtime import Runtime
from pulserec.engine.state.popularity import ALL_TIME, UNSEEN, WINDOW
from pulserec.engine.state.trending import TrendingCounter
from pulserec.storage import MemoryStore

from .conftest import THEMES, build, catalog, filled_store


def popular_ids(runtime: Runtime, k: int, window: str | None = None) -> list[str]:
    return [r.id for r in runtime.engine.popular(k, window).items]


def test_one_fresh_event_on_old_data_keeps_the_list_full(runtime: Runtime) -> None:
    now = time.time()
    runtime.ingestor.add_events([Event("late", "garden-3", EventType.CLICK, now)])
    after = popular_ids(runtime, 5)
    assert len(after) == 5
    assert after[0] == "garden-3"
    # topped up by all-time popularity (space-0 is viewed by everyone), not catalog order
    assert after[1] == "space-0"
    counts = runtime.engine.state.trending.counts(runtime.engine.state.catalog.size)
    assert all(counts[runtime.engine.state.items.get(i)] > 0 for i in after)


def test_popular_returns_every_servable_item_when_k_exceeds_the_events(runtime: Runtime) -> None:
    listed = popular_ids(runtime, 1000)
    assert len(listed) == len(catalog())
    assert len(set(listed)) == len(listed)


def test_the_decayed_counter_keeps_old_order_across_decades() -> None:
    counter = TrendingCounter(7 * 86_400.0)
    old = 900_000_000.0
    counter.add(np.array([0, 0, 1], np.int32), np.array([old, old + 1, old + 2]))
    counter.add(np.array([2], np.int32), np.array([old + 30 * 365 * 86_400.0]))
    log = counter.log_scores(3)
    assert np.isfinite(log).all()
    assert log[2] > log[0] > log[1]
    assert counter.counts(3).tolist() == [2.0, 1.0, 1.0]


def test_tiers_order_window_then_all_time_then_unseen(runtime: Runtime) -> None:
    runtime.ingestor.add_events([Event("late", "garden-3", EventType.CLICK, time.time())])
    ranked = runtime.engine.popularity()
    index = runtime.engine.state.items.get
    assert ranked.tier[index("garden-3")] == WINDOW
    assert ranked.tier[index("space-0")] == ALL_TIME
    runtime.ingestor.add_items([Item("brand-new", "Brand new thing")])
    ranked = runtime.engine.popularity()
    assert ranked.tier[index("brand-new")] == UNSEEN


@pytest.mark.parametrize("user", ["u10", "nobody-knows-me", "fan"])
def test_pages_concatenate_to_the_longer_list(runtime: Runtime, user: str) -> None:
    engine = runtime.engine
    fresh = [Item(f"new-{t}-{n}", f"{t} new {n}", THEMES[t]) for t in THEMES for n in range(3)]
    runtime.ingestor.add_items(fresh)  # newer than the models: inserted by taste
    whole = [r.id for r in engine.recommend(user, k=24).items]
    pages = [r.id for o in range(0, 24, 6) for r in engine.recommend(user, k=6, offset=o).items]
    assert pages == whole
    assert len(set(whole)) == len(whole)


def test_pages_concatenate_when_every_score_ties(tmp_path: Path) -> None:
    store = MemoryStore()
    runtime = build(store, tmp_path, ())
    many = [Item(f"thing-{n}", f"Thing {n}") for n in range(3000)]
    runtime.ingestor.add_items(many)  # no events at all: every popularity ties
    engine = runtime.engine
    whole = [r.id for r in engine.recommend("anyone", k=30).items]
    pages = [r.id for o in range(0, 30, 3) for r in engine.recommend("anyone", k=3, offset=o).items]
    assert pages == whole
    assert len(whole) == 30
    store.close()


def test_placeholders_are_not_served_to_anonymous_visitors(tmp_path: Path) -> None:
    store = filled_store()
    runtime = build(store, tmp_path, ())
    now = time.time()
    clicks = [Event(f"v{n}", "mystery-id", EventType.CLICK, now + n * 0.001) for n in range(5)]
    runtime.ingestor.add_events(clicks)
    assert store.get_item("mystery-id") is not None
    anonymous = [r.id for r in runtime.engine.recommend("stranger", k=20).items]
    session = [r.id for r in runtime.engine.session(["space-1"], k=20).items]
    assert "mystery-id" not in anonymous
    assert "mystery-id" not in session
    assert "mystery-id" not in popular_ids(runtime, 20)
    # only once every item with text is listed does a placeholder with events follow
    assert popular_ids(runtime, 1000)[-1] == "mystery-id"
    store.close()
