"""Bulk embedding of a stored catalog: item texts to vectors, through the embedding cache."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pulserec.encoders.base import Encoder, Vectors
from pulserec.encoders.cache import EmbeddingCache, encode_cached, text_key
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
    ray: tuple[str, str] | None = None,
) -> CatalogVectors:
    """Encode every item's text (placeholders and hidden-text-less items skipped); with
    ``ray`` (address, encoder name) the texts not cached are encoded on that Ray cluster."""
    ids: list[str] = []
    texts: list[str] = []
    for page in store.iter_items(PAGE):
        for item in page:
            text = item_text(item, domain)
            if text:
                ids.append(item.id)
                texts.append(text)
    if not texts:
        return CatalogVectors([], np.zeros((0, encoder.dim), dtype=np.float32))
    if ray is not None:
        return CatalogVectors(ids, _encode_on_ray(ray, encoder, texts, cache))
    return CatalogVectors(ids, encode_cached(encoder, texts, cache, progress=progress))


def _encode_on_ray(
    ray: tuple[str, str], encoder: Encoder, texts: list[str], cache: EmbeddingCache | None
) -> Vectors:
    """The texts ``cache`` lacks encoded on the cluster (as :func:`encode_cached` would)."""
    from pulserec.core.config import cache_dir
    from pulserec.engine.lifecycle.distributed import encode_on_ray

    keys = [text_key(t) for t in texts]
    found = cache.get(encoder.id, keys) if cache is not None else {}
    missing = [i for i, k in enumerate(keys) if k not in found]
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    for i, key in enumerate(keys):
        if key in found:
            out[i] = found[key]
    address, name = ray
    vectors = encode_on_ray(
        address, name, encoder.dim, [texts[i] for i in missing], str(cache_dir())
    )
    out[missing] = vectors
    if cache is not None and missing:
        cache.put(encoder.id, [keys[i] for i in missing], vectors)
    return out
