"""MMR re-ranking: diversity 0 keeps the order, more diversity spreads the list."""

from __future__ import annotations

import numpy as np
import pytest

from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.models.base import Query
from pulserec.models.hybrid.diversity import Diversified, mmr
from tests.ranking.fakes import CountPopularity, two_group_events

# Items 0-2 are near-duplicates along x; item 3 points along y.
VECTORS = np.array([[1, 0], [0.99, 0.14], [0.98, 0.2], [0, 1]], dtype=np.float32)
VECTORS /= np.linalg.norm(VECTORS, axis=1, keepdims=True)
ITEMS = np.arange(4, dtype=np.int32)
SCORES = np.array([1.0, 0.95, 0.9, 0.5], dtype=np.float32)


def test_zero_diversity_keeps_relevance_order() -> None:
    assert mmr(ITEMS, SCORES, VECTORS, 3, 0.0).tolist() == [0, 1, 2]


def test_diversity_brings_the_different_item_forward() -> None:
    picked = mmr(ITEMS, SCORES, VECTORS, 2, 0.5).tolist()
    assert picked == [0, 3]
    with pytest.raises(ValueError, match="diversity"):
        mmr(ITEMS, SCORES, VECTORS, 2, 1.5)


def test_diversified_wrapper_scores_and_retrieves() -> None:
    data = Interactions.from_events(two_group_events(n_users=8, n_items=12, per_user=3))
    ids = [data.items.id_of(i) for i in range(data.n_items)]
    vectors = np.random.default_rng(0).normal(size=(len(ids), 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    model = Diversified(CountPopularity(), ItemVectors(ids, vectors), diversity=0.5, pool=8, k=4)
    model.fit(data)
    top = np.argsort(-model.score(np.array([0], dtype=np.int32))[0])[:4]
    found = model.retrieve(Query(user=0), 4)
    assert sorted(found.items.tolist()) == sorted(top.tolist())
    assert found.source == "pop+mmr"
