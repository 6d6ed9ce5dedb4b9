"""A deleted user is forgotten by the online state at once: their events leave trending, the
popularity windows and every cached answer (privacy, issue 17: the online part)."""

from __future__ import annotations

import numpy as np

from pulserec.core.types import Event, EventType, Item
from pulserec.engine.runtime import Runtime
from pulserec.engine.state.event_log import EventLog
from pulserec.engine.state.trending import TrendingCounter

NOW = 1_700_100_000.0


def test_removing_a_users_events_leaves_the_counters_as_if_they_never_came() -> None:
    rng = np.random.default_rng(0)
    items = rng.integers(0, 30, 500).astype(np.int32)
    stamps = np.sort(rng.uniform(0, 40 * 86_400, 500))
    users = rng.integers(0, 5, 500).astype(np.int32)
    log, counter = EventLog(), TrendingCounter(86_400)
    log.append(items, stamps, users)
    counter.add(items, stamps)
    gone_items, gone_stamps = log.forget_user(3)
    assert gone_items.size == int((users == 3).sum())
    touched = np.unique(gone_items)
    counter.remove(gone_items, gone_stamps, log.last_seen(touched))
    kept = users != 3
    fresh = TrendingCounter(86_400)
    fresh.origin = counter.origin  # the same scale, so the log masses compare
    fresh.add(items[kept], stamps[kept])
    assert len(log) == int(kept.sum())
    np.testing.assert_array_equal(counter.counts(30), fresh.counts(30))
    np.testing.assert_array_equal(counter.last_seen(30), fresh.last_seen(30))
    np.testing.assert_allclose(counter.log_scores(30), fresh.log_scores(30), atol=1e-9)
    window = 10 * 86_400
    np.testing.assert_allclose(
        log.window_counts(window, 30), _window(items[kept], stamps[kept], window)
    )


def _window(items: np.ndarray, stamps: np.ndarray, window: float) -> np.ndarray:
    fresh = EventLog()
    fresh.append(items.astype(np.int32), stamps)
    return fresh.window_counts(window, 30)


def test_an_item_only_the_deleted_user_engaged_with_stops_trending_at_once(
    runtime: Runtime,
) -> None:
    engine, ingestor = runtime.engine, runtime.ingestor
    ingestor.add_items([Item("lonely", "A lonely story", "only one person read it")])
    space = engine.state.items.get("space-0")
    assert space is not None
    others = float(engine.state.trending.counts(space + 1)[space])
    clicks = [Event("loner", "lonely", EventType.CLICK, NOW + n) for n in range(30)]
    clicks.append(Event("loner", "space-0", EventType.CLICK, NOW + 31))
    ingestor.add_events(clicks)
    assert engine.popular(3).items[0].id == "lonely"
    before = engine.recommend("u00", 5)  # cached now; its trending part may count the clicks
    assert ingestor.delete_user("loner")
    popular = [r.id for r in engine.popular(50).items]
    assert popular[0] != "lonely"
    index = engine.state.items.get("lonely")
    assert index is not None
    assert engine.state.trending.counts(index + 1)[index] == 0
    assert not np.isfinite(engine.state.trending.log_scores(index + 1)[index])
    assert engine.state.trending.counts(space + 1)[space] == others  # theirs out, the others' kept
    after = engine.recommend("u00", 5)
    assert after is not before  # computed again, not served from the cache


def test_two_items_related_only_through_a_deleted_user_stop_being_related(
    runtime: Runtime,
) -> None:
    engine, ingestor = runtime.engine, runtime.ingestor
    ingestor.add_items([Item("x1", "Lantern maps", "old charts"), Item("x2", "Tide tables", "")])
    ingestor.add_events(
        [
            Event("bridge", "x1", EventType.CLICK, NOW),
            Event("bridge", "x2", EventType.CLICK, NOW + 1),
            Event("reader", "x1", EventType.CLICK, NOW + 2),
        ]
    )
    runtime.trainer.train_now()
    model = engine.bundle.models["itemknn"]  # type: ignore[union-attr]
    x1, x2 = engine.state.items.get("x1"), engine.state.items.get("x2")
    assert model.weights_[x1, x2] > 0
    linked = [r for r in engine.recommend("reader", 5).items if r.id == "x2"]
    assert linked and linked[0].sources == ("itemknn",)
    assert ingestor.delete_user("bridge")
    assert model.weights_[x1, x2] == 0 and model.weights_[x2, x1] == 0
    assert all(
        r.sources != ("itemknn",) for r in engine.recommend("reader", 5).items if r.id == "x2"
    )
