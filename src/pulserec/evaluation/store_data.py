"""``pulserec evaluate --data-dir D``: the user's own stored items and events as ``EvalData``.

Items are read in listing order and every stored event in arrival order. Text embeddings come
from the engine's item encoder (``PULSEREC_ITEM_ENCODER``, default ``minilm-onnx``) over the
serving text of each item, through D's embedding cache, so items ``serve`` or ``embed`` already
encoded are read back. An encoder that fails leaves the data without text models, as with
``--dataset``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pulserec.core.item_vectors import ItemVectors
from pulserec.core.types import Event, Item
from pulserec.encoders import load_encoder
from pulserec.encoders.cache import CACHE_FILENAME, EmbeddingCache, encode_cached
from pulserec.encoders.texts import item_text
from pulserec.engine.config import EngineConfig
from pulserec.evaluation.data import EvalData, from_records
from pulserec.storage import DB_FILENAME, Store, open_store

logger = logging.getLogger(__name__)
PAGE = 10_000


class NoStoredData(RuntimeError):
    """The data dir has no store, or a store without events."""


def load_store_data(data_dir: Path, config: EngineConfig, progress: bool = True) -> EvalData:
    """Everything stored in ``data_dir``, with item text embeddings (``config``'s encoder and
    domain) where they can be made."""
    if not (data_dir / DB_FILENAME).is_file():
        raise NoStoredData(f"no pulserec store in {data_dir} (import data first)")
    store = open_store(data_dir)
    try:
        items = _all_items(store)
        events: list[Event] = [event for batch in store.iter_events() for event in batch]
    finally:
        store.close()
    if not any(event.item_id is not None for event in events):
        raise NoStoredData(f"no events with an item in {data_dir}: import some first")
    vectors: ItemVectors | None = None
    encoder: str | None = config.item_encoder
    try:
        vectors = _encode(items, data_dir, config, progress)
    except Exception as exc:  # any encoder failure: evaluate without text models
        logger.warning("no item text embeddings (%s): %s", encoder, exc)
        encoder = None
    return from_records(str(data_dir), items, events, vectors, encoder)


def _all_items(store: Store) -> list[Item]:
    return [item for page in store.iter_items(PAGE) for item in page]


def _encode(items: list[Item], data_dir: Path, config: EngineConfig, progress: bool) -> ItemVectors:
    """Vectors of the items that have text, read from / written to the data dir's cache."""
    texts = {item.id: item_text(item, config.text_recipe) for item in items}
    with_text = [item_id for item_id, text in texts.items() if text]
    cache = EmbeddingCache(data_dir / CACHE_FILENAME)
    try:
        encoder = load_encoder(config.item_encoder)
        vectors = encode_cached(encoder, [texts[i] for i in with_text], cache, progress=progress)
    finally:
        cache.close()
    return ItemVectors(with_text, vectors)
