"""At catalog scale, ALS and the content model answer from an HNSW index over their item
vectors: nearly the exact top-k, never an excluded item (the threshold lowered here)."""

from __future__ import annotations

import numpy as np
import pytest

from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.core.types import Event, EventType
from pulserec.models import ann, registry
from pulserec.models.base import Query

N_ITEMS = 400


def _data() -> tuple[Interactions, ItemVectors]:
    rng = np.random.default_rng(5)
    events = [
        Event(f"u{u}", f"i{(u * 7 + int(rng.integers(0, 60))) % N_ITEMS}", EventType.CLICK, t)
        for u in range(120)
        for t in range(15)
    ]
    data = Interactions.from_events(events)
    ids = [data.items.id_of(i) for i in range(data.n_items)]
    vectors = rng.normal(size=(len(ids), 24)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return data, ItemVectors(ids, vectors)


@pytest.mark.parametrize("name", ["als", "content"])
def test_the_index_finds_nearly_the_exact_top_and_honours_exclusions(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, vectors = _data()
    exact = registry.make_model(name, vectors=vectors).fit(data)
    monkeypatch.setattr(ann, "ANN_ITEMS", 10)
    indexed = registry.make_model(name, vectors=vectors).fit(data)
    overlaps = []
    for user in range(0, 120, 7):
        history = data.matrix()[user].indices.astype(np.int32)
        query = Query(history=history, exclude=history[:5])
        found = indexed.retrieve(query, 20)
        assert not set(found.items.tolist()) & set(history[:5].tolist())
        assert np.all(np.diff(found.scores) <= 1e-6)
        monkeypatch.setattr(ann, "ANN_ITEMS", 10**9)
        truth = exact.retrieve(query, 20)
        monkeypatch.setattr(ann, "ANN_ITEMS", 10)
        overlaps.append(len(set(found.items.tolist()) & set(truth.items.tolist())) / 20)
    assert np.mean(overlaps) >= 0.9
