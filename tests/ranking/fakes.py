"""Small, transparent test doubles for ranking tests."""

from __future__ import annotations

from typing import Self

import numpy as np

from pulserec.core.interactions import Interactions
from pulserec.core.types import Event, EventType
from pulserec.models.base import Candidates, Float32s, Int32s, Query, candidates_from_scores


def two_group_events(n_users: int, n_items: int, per_user: int, seed: int = 0) -> list[Event]:
    """Even users click even items, odd users odd items (a checkerboard), at rising times."""
    rng = np.random.default_rng(seed)
    events = []
    for user in range(n_users):
        group = [i for i in range(n_items) if i % 2 == user % 2]
        for step, item in enumerate(rng.choice(group, size=per_user, replace=False)):
            events.append(Event(f"u{user}", f"i{item}", EventType.CLICK, float(user * 100 + step)))
    return events


class CountPopularity:
    """Interaction counts, the same row for everyone; ``missing`` returns NaN rows."""

    name = "pop"

    def __init__(self) -> None:
        self.nan = False

    @classmethod
    def missing(cls, n_items: int) -> CountPopularity:
        fake = cls()
        fake.counts_ = np.zeros(n_items, dtype=np.float32)
        fake.nan = True
        return fake

    def fit(self, data: Interactions) -> Self:
        self.counts_ = np.bincount(data.item_idx, minlength=data.n_items).astype(np.float32)
        return self

    def update(self, data: Interactions) -> None:
        counts = np.bincount(data.item_idx, minlength=data.n_items).astype(np.float32)
        counts[: self.counts_.size] += self.counts_
        self.counts_ = counts

    def score(self, users: Int32s) -> Float32s:
        row = np.full_like(self.counts_, np.nan) if self.nan else self.counts_
        return np.tile(row, (len(users), 1))

    def retrieve(self, query: Query, k: int) -> Candidates:
        return candidates_from_scores(self.counts_, query, k, self.name)
