"""Shared fixtures: a small synthetic data set and tiny models registered for the test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Self

import numpy as np
import pytest

from pulserec.core.interactions import Interactions
from pulserec.core.types import Event, EventType, Item
from pulserec.evaluation.data import EvalData, from_records
from pulserec.models import registry
from pulserec.models.base import Candidates, Float32s, Int32s, Query, candidates_from_scores
from pulserec.models.registry import ModelSpec

GENRES = ("Action", "Comedy", "Drama", "Horror", "Western")


class TinyPop:
    """Item counts (plus ``bias`` times a user-independent ramp, so params change rankings)."""

    def __init__(self, bias: float = 0.0, name: str = "tinypop") -> None:
        self.bias = bias
        self.name = name

    def fit(self, data: Interactions) -> Self:
        counts = np.bincount(data.item_idx, minlength=data.n_items).astype(np.float32)
        self.scores_ = counts + self.bias * np.arange(data.n_items, dtype=np.float32)
        return self

    def update(self, data: Interactions) -> None:
        self.fit(data)

    def score(self, users: Int32s) -> Float32s:
        return np.tile(self.scores_, (users.shape[0], 1))

    def retrieve(self, query: Query, k: int) -> Candidates:
        return candidates_from_scores(self.scores_, query, k, self.name)


class TinyMean(TinyPop):
    """Shrunk item mean rating: a rating model with ``predict``."""

    def __init__(self, shrink: float = 0.0, name: str = "tinymean") -> None:
        super().__init__(0.0, name)
        self.shrink = shrink

    def fit(self, data: Interactions) -> Self:
        rated = np.isfinite(data.value)
        items, values = data.item_idx[rated], data.value[rated].astype(np.float64)
        total = np.bincount(items, weights=values, minlength=data.n_items)
        count = np.bincount(items, minlength=data.n_items)
        mean = float(values.mean())
        self.scores_ = (
            (total + self.shrink * mean) / np.maximum(count + self.shrink, 1e-9)
        ).astype(np.float32)
        self.scores_[count + self.shrink == 0] = mean
        return self

    def predict(self, users: Int32s, items: Int32s) -> Float32s:
        return self.scores_[items]


def synthetic(seed: int = 7, n_users: int = 40, n_items: int = 60) -> EvalData:
    """Users rate 8-20 distinct items, skewed to popular ones, at coarse (often tied) times."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, n_items + 1)
    weights /= weights.sum()
    items = [
        Item(id=f"i{i}", title=f"Film {i} part{i % 5}", categories=(GENRES[i % 5], GENRES[i % 3]))
        for i in range(n_items)
    ]
    events = []
    for u in range(n_users):
        picks = rng.choice(n_items, size=int(rng.integers(8, 21)), replace=False, p=weights)
        for item in picks:
            stamp = float(rng.integers(0, 30))
            value = float(rng.integers(1, 6))
            events.append(Event(f"u{u}", f"i{item}", EventType.RATING, stamp, value))
    return from_records("synthetic", items, events)


@pytest.fixture
def data() -> EvalData:
    return synthetic()


@pytest.fixture
def tiny_models() -> Iterator[None]:
    """Register ``tinypop`` and ``tinymean`` for one test only (other entries are untouched)."""
    registry.register(
        "tinypop", ModelSpec(TinyPop, defaults={"bias": 0.0}, search_space={"bias": [0.0, 0.5]})
    )
    registry.register(
        "tinymean",
        ModelSpec(
            TinyMean, defaults={"shrink": 0.0}, search_space={"shrink": [0.0, 5.0]}, rating=True
        ),
    )
    yield
    for name in ("tinypop", "tinymean"):
        registry.MODELS.pop(name, None)
