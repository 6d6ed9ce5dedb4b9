"""The one "stored vector, or encode and keep it" rule (updater, startup load, pulserec train)."""

from __future__ import annotations

import numpy as np
import pytest

from pulserec.core.types import Item
from pulserec.encoders import load_encoder
from pulserec.encoders.base import Encoder
from pulserec.engine.state.text_vectors import stored_or_encoded
from pulserec.storage import MemoryStore


def test_stored_vectors_are_read_missing_ones_encoded_and_kept() -> None:
    encoder = load_encoder("hashing")
    store = MemoryStore()
    items = [Item("a", title="Rocket launch"), Item("b", title="Garden soup"), Item("c")]
    store.upsert_items(items[:1], encoder.encode(["kept vector"]))
    store.upsert_items(items[1:])
    calls: list[int] = []

    def lazily() -> Encoder:
        calls.append(1)
        return encoder

    vectors = stored_or_encoded(store, items, "generic", lazily)
    np.testing.assert_allclose(vectors[0], encoder.encode(["kept vector"])[0], rtol=1e-6)
    np.testing.assert_allclose(vectors[1], encoder.encode(["Garden soup."])[0], rtol=1e-6)
    assert np.isnan(vectors[2]).all()  # no text, no vector
    assert calls and set(store.item_vectors(["a", "b", "c"])) == {"a", "b"}  # b kept now
    calls.clear()
    again = stored_or_encoded(store, items, "generic", lazily)
    np.testing.assert_allclose(again[:2], vectors[:2], rtol=1e-6)
    assert calls == []  # nothing left to encode: the encoder is never loaded


def test_nothing_with_text_needs_no_encoder() -> None:
    store = MemoryStore()
    store.upsert_items([Item("x")])

    def never() -> Encoder:
        raise AssertionError("no encoder should be loaded")

    assert stored_or_encoded(store, [Item("x")], "generic", never).shape == (1, 0)
    with pytest.raises(AssertionError):
        never()
