"""Bulk embedding of a stored catalog: item texts to vectors, through the embedding cache."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pulserec.encoders.base import Encoder, Vectors
from pulserec.encoders.cache import EmbeddingCache, encode_cached
from pulserec.encoders.texts import item_text
from pulserec.storage import Store

PAGE = 10_000


@dataclass(frozen=True)
class CatalogVectors:
    """Vectors of every item that has text, in store order."""

    ids: list[str]
    vectors: Vectors


def embed_catalog(
    store: Store,
    encoder: Encoder,
    cache: EmbeddingCache | None,
    domain: str = "generic",
    progress: bool = True,
) -> CatalogVectors:
    """Encode every item's text (placeholders and hidden-text-less items skipped)."""
    ids: list[str] = []
    texts: list[str] = []
    offset = 0
    while True:
        page, total = store.list_items(offset, PAGE)
        for item in page:
            text = item_text(item, domain)
            if text:
                ids.append(item.id)
                texts.append(text)
        offset += len(page)
        if not page or offset >= total:
            break
    if not texts:
        return CatalogVectors([], np.zeros((0, encoder.dim), dtype=np.float32))
    return CatalogVectors(ids, encode_cached(encoder, texts, cache, progress=progress))
