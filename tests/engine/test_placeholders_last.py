"""Placeholders (items known only from events, no text) never rank above an item with text:
not when a trained model proposes them first, not on any page, not in similar items."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pulserec.core.types import Event, EventType
from pulserec.engine.runtime import Runtime
from pulserec.storage.ingest import Ingestor
from tests.engine.conftest import build, filled_store

GHOSTS = ("ghost-a", "ghost-b")  # no text: created by events


@pytest.fixture
def ghostly(tmp_path: Path) -> Iterator[Runtime]:
    store = filled_store()
    stamp = 1_800_000_000.0
    extra = []
    for user in ("u00", "u01", "u02", "u03", "u10", "u11"):
        for ghost in GHOSTS:  # the ghosts are clicked with space items by most space fans
            stamp += 60
            extra.append(Event(user, ghost, EventType.CLICK, stamp))
    Ingestor(store).add_events(extra)
    runtime = build(store, tmp_path, ("itemknn",))
    yield runtime
    runtime.close()
    store.close()


def _text_first(ids: list[str]) -> bool:
    flags = [i not in GHOSTS for i in ids]
    return flags == sorted(flags, reverse=True)


def test_a_models_placeholder_comes_after_every_item_with_text(ghostly: Runtime) -> None:
    engine = ghostly.engine
    full = [r.id for r in engine.recommend("u04", k=40).items]
    assert set(GHOSTS) & set(full), "the model proposes the ghosts"
    assert _text_first(full)
    pages = [r.id for o in range(0, 40, 7) for r in engine.recommend("u04", k=7, offset=o).items]
    assert pages[:40] == full  # pages still concatenate
    for user in ("u10", "newcomer"):
        assert _text_first([r.id for r in engine.recommend(user, k=50).items])
    assert _text_first([r.id for r in engine.recommend("u04", k=40, diversity=0.9).items])
    assert _text_first([r.id for r in engine.session(["space-1", "space-2"], k=50).items])


def test_similar_items_put_placeholders_last(ghostly: Runtime) -> None:
    listed = [r.id for r in ghostly.engine.similar("space-1", k=40).items]
    assert _text_first(listed)
    scores = [r.score for r in ghostly.engine.similar("space-1", k=40).items]
    assert scores == sorted(scores, reverse=True)
