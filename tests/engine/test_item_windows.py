"""Items with ``available_from`` / ``expires_at``: served by no route outside their window,
the moment the window opens or closes (a cached answer included), by the wall clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pulserec.core.types import Event, EventType, Item
from pulserec.engine.runtime import Runtime
from pulserec.storage.ingest import Ingestor
from tests.engine.conftest import build, filled_store

NOW = 2_000_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def timed(tmp_path: Path) -> Iterator[tuple[Runtime, Clock]]:
    store = filled_store()
    runtime = build(store, tmp_path, ("itemknn",))
    clock = Clock()
    runtime.engine.catalog_view().clock = clock
    words = "rocket galaxy astronaut orbit planet"
    Ingestor(store).add_items(
        [
            Item("flash-sale", "Space sale", words, categories=("Space",), expires_at=NOW + 60),
            Item(
                "premiere", "Space premiere", words, categories=("Space",), available_from=NOW + 30
            ),
        ]
    )
    clicks = [Event(f"u0{n}", "flash-sale", EventType.CLICK, NOW - 10 + n) for n in range(3)]
    Ingestor(store).add_events(clicks)
    yield runtime, clock
    runtime.close()
    store.close()


def _everywhere(runtime: Runtime) -> set[str]:
    engine = runtime.engine
    found: set[str] = set()
    for ranked in (
        engine.recommend("u05", 40),
        engine.recommend("newcomer", 40),
        engine.session(["space-1"], 40),
        engine.search("rocket galaxy astronaut", None, 40),
        engine.similar("space-1", 40),
        engine.popular(40, "3650d"),
    ):
        found |= {r.id for r in ranked.items}
    return found


def test_an_item_is_served_only_inside_its_window(timed: tuple[Runtime, Clock]) -> None:
    runtime, clock = timed
    cached = [r.id for r in runtime.engine.recommend("u05", 40).items]
    first = _everywhere(runtime)
    assert "flash-sale" in first and "premiere" not in first
    assert "flash-sale" in cached
    clock.now = NOW + 30  # the premiere opens
    assert {"flash-sale", "premiere"} <= _everywhere(runtime)
    clock.now = NOW + 60  # the sale ends: gone at once, a cached list included
    assert "flash-sale" not in [r.id for r in runtime.engine.recommend("u05", 40).items]
    later = _everywhere(runtime)
    assert "flash-sale" not in later and "premiere" in later


def test_a_window_changed_by_an_upsert_holds_at_once(timed: tuple[Runtime, Clock]) -> None:
    runtime, _ = timed
    store = runtime.engine.store
    words = "rocket galaxy astronaut orbit planet"
    Ingestor(store).add_items([Item("flash-sale", "Space sale", words, expires_at=NOW - 1)])
    runtime.engine.catch_up()
    assert "flash-sale" not in _everywhere(runtime)
    Ingestor(store).add_items([Item("flash-sale", "Space sale", words)])
    runtime.engine.catch_up()
    assert "flash-sale" in _everywhere(runtime)
