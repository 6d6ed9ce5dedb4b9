"""Text into vectors on the write path, and the one "stored vector, or encode and keep it"
rule that the updater, the startup load and ``pulserec train`` share.

The writer encodes items' text (the item encoder) and users' stated preferences (the query
encoder) once, outside every lock (:meth:`TextVectors.prepare`), and the store keeps the
vectors; every other process and every restart reads them back instead of encoding again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from pulserec.core.types import Item, User
from pulserec.encoders.base import Encoder
from pulserec.encoders.cache import EmbeddingCache, encode_cached
from pulserec.encoders.texts import item_text
from pulserec.storage.base import CatalogStore, UserStore
from pulserec.storage.ingest import Change

Float32s = npt.NDArray[np.float32]


def stored_or_encoded(
    store: CatalogStore,
    items: Sequence[Item],
    domain: str,
    encoder: Callable[[], Encoder],
    dim: int | None = None,
    cache: EmbeddingCache | None = None,
) -> Float32s:
    """One row per item: its stored vector; an item with text stored without one (an import
    with no encoder, a data dir from before vectors were stored) is encoded (through
    ``cache`` when given) and its vector kept in the store; NaN: no text. ``encoder`` is
    called only when something must be encoded; ``dim`` defaults to the vectors' own."""
    stored = store.item_vectors([i.id for i in items])
    if dim is None:  # the stored vectors', else the encoder's (loaded only when it must encode)
        known = next(iter(stored.values()), None)
        texts_only = any(i.id not in stored and item_text(i, domain) for i in items)
        dim = int(known.shape[0]) if known is not None else encoder().dim if texts_only else 0
    vectors = np.full((len(items), dim), np.nan, dtype=np.float32)
    missing = []
    for n, item in enumerate(items):
        vector = stored.get(item.id)
        if vector is not None and vector.shape[0] == dim:
            vectors[n] = vector
        elif item_text(item, domain):
            missing.append(n)
    if missing:
        texts = [item_text(items[n], domain) for n in missing]
        encoded = encode_cached(encoder(), texts, cache, progress=False)
        vectors[missing] = encoded
        store.put_item_vectors([items[n].id for n in missing], encoded)
    return vectors


class TextStore(CatalogStore, UserStore, Protocol):
    """What :class:`TextVectors` reads and writes: the catalog and the users."""


class TextVectors:
    """The write path's encoders over one store: items' and users' text into vectors."""

    def __init__(
        self,
        store: TextStore,
        domain: str,
        item_encoder: Encoder,
        query_encoder: Encoder,
    ) -> None:
        self.store = store
        self.domain = domain
        self.item_encoder = item_encoder
        self.query_encoder = query_encoder
        self.dim = item_encoder.dim

    def prepare(self, change: Change) -> dict[str, Any]:
        """Encode the text of changed items and users (outside every lock)."""
        prepared: dict[str, Any] = {}
        if change.items:
            prepared["item_vectors"] = self.item_vectors(list(change.items))
        if change.users:
            prepared["preference_vectors"] = self.preference_vectors(list(change.users))
        return prepared

    def item_vectors(self, items: list[Item]) -> Float32s:
        """One row per item: its text vector, or NaN for an item without text."""
        texts = [item_text(item, self.domain) for item in items]
        with_text = [n for n, text in enumerate(texts) if text]
        vectors = np.full((len(items), self.dim), np.nan, dtype=np.float32)
        if with_text:
            vectors[with_text] = self.item_encoder.encode([texts[n] for n in with_text])
        return vectors

    def preference_vectors(self, users: list[User]) -> list[Float32s | None]:
        """Each user's stated preferences encoded, or None."""
        stated = [n for n, u in enumerate(users) if u.preferences and u.preferences.strip()]
        out: list[Float32s | None] = [None] * len(users)
        if stated:
            texts = [str(users[n].preferences) for n in stated]
            for n, vector in zip(stated, self.query_encoder.encode(texts), strict=True):
                out[n] = vector
        return out

    def stored_item_vectors(
        self, items: list[Item], cache: EmbeddingCache | None = None
    ) -> Float32s:
        """Each item's stored vector, or encoded and kept (:func:`stored_or_encoded`)."""
        return stored_or_encoded(
            self.store, items, self.domain, lambda: self.item_encoder, self.dim, cache
        )

    def stored_preference_vectors(self, users: list[User]) -> list[Float32s | None]:
        """Users' stored preference vectors (encoded here when missing)."""
        stored = self.store.user_vectors([u.id for u in users])
        out: list[Float32s | None] = []
        for user in users:
            vector = stored.get(user.id)
            if vector is None and user.preferences and user.preferences.strip():
                vector = self.preference_vectors([user])[0]
            out.append(vector)
        return out
