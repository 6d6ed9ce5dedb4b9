"""A small catalog with real structure (four themes), users who each prefer one theme, and an
engine over it with a fast hashing encoder (the mechanics under test do not need MiniLM)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pulserec.app.runtime import assemble
from pulserec.core.types import Event, EventType, Item, User
from pulserec.encoders import load_encoder
from pulserec.engine.config import EngineConfig
from pulserec.engine.runtime import Runtime
from pulserec.storage import MemoryStore
from pulserec.storage.ingest import Ingestor

THEMES = {
    "space": "rocket galaxy astronaut orbit planet",
    "cooking": "recipe kitchen bake flavour dinner",
    "garden": "flower soil seeds plant bloom",
    "music": "guitar melody song rhythm band",
}


def catalog() -> list[Item]:
    items = []
    for theme, words in THEMES.items():
        for n in range(10):
            items.append(
                Item(
                    id=f"{theme}-{n}",
                    title=f"{theme.title()} story {n}",
                    description=f"{words} {words.split()[n % 5]} volume {n}",
                    categories=(theme.title(),),
                    tags=(theme,),
                )
            )
    return items


def events() -> list[Event]:
    """User ``u{t}{m}`` engages with items of theme ``t`` (and one popular space item)."""
    out: list[Event] = []
    stamp = 1_700_000_000.0
    for t, theme in enumerate(THEMES):
        for m in range(6):
            for n in (n for n in range(10) if (n + m) % 3):
                stamp += 60
                out.append(Event(f"u{t}{m}", f"{theme}-{n}", EventType.CLICK, stamp))
            stamp += 60
            out.append(Event(f"u{t}{m}", "space-0", EventType.VIEW, stamp))
    return out


def build(store: MemoryStore, data_dir: Path | None, models: tuple[str, ...]) -> Runtime:
    encoder = load_encoder("hashing")
    config = EngineConfig(models=models, item_encoder="hashing", query_encoder="hashing")
    return assemble(store, config, data_dir, encoder, encoder, progress=False)


def filled_store() -> MemoryStore:
    store = MemoryStore()
    ingestor = Ingestor(store)
    ingestor.add_items(catalog())
    ingestor.add_users([User("fan", preferences="rocket galaxy astronaut")])
    ingestor.add_events(events())
    return store


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    """Trained (item kNN) engine over the small catalog, artifacts under tmp_path."""
    store = filled_store()
    yield build(store, tmp_path, ("itemknn",))
    store.close()
