"""Popularity: the same ranked list for everyone, by (optionally time-decayed) event counts.

With ``half_life_days`` an event counts ``0.5 ** (age / half_life)``, its age measured from the
newest event the model has seen (not the wall clock, so a replay of old data behaves as it did
live). Counts are stored relative to that newest event; ``update`` rescales them when a newer
event arrives, so fit-then-update equals one fit over everything (up to rounding).
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import numpy.typing as npt

from pulserec.ids import IdMap
from pulserec.interactions import Interactions
from pulserec.item_vectors import ItemVectors
from pulserec.retrievers._cf import Leaf, State, check_positive, derived, grow_rows
from pulserec.retrievers.base import Candidates, Float32s, Int32s, Query, candidates_from_scores
from pulserec.retrievers.persistable import Model, persistable

SECONDS_PER_DAY = 86_400.0


@persistable
class Popularity(Leaf):
    """Item popularity: positive events per item, decayed by age when ``half_life_days`` is set."""

    def __init__(self, half_life_days: float | None = None, name: str = "pop") -> None:
        if half_life_days is not None:
            check_positive("half_life_days", half_life_days)
        self.half_life_days = half_life_days
        self.name = name

    def _weights(self, timestamps: npt.NDArray[np.float64], reference: float) -> Any:
        if self.half_life_days is None:
            return np.ones(timestamps.shape[0])
        age_days = (reference - timestamps) / SECONDS_PER_DAY
        return np.power(0.5, age_days / self.half_life_days)

    def fit(self, data: Interactions) -> Self:
        """Count ``data``'s positive events from scratch."""
        self.counts_ = np.zeros(data.n_items, dtype=np.float64)
        self.reference_time_ = -np.inf
        self.update(data)
        return self

    def update(self, data: Interactions) -> None:
        """Add ``data``'s positive events, re-basing the decay on the newest event seen."""
        positive = data.positive_mask()
        items, stamps = data.item_idx[positive], data.timestamp[positive]
        counts = grow_rows(self.counts_, data.n_items)
        reference = self.reference_time_
        newest = max(reference, float(stamps.max())) if stamps.size else reference
        if np.isfinite(reference) and newest > reference:
            counts = counts * self._weights(np.array([reference]), newest)[0]
        self.reference_time_ = newest
        weights = self._weights(stamps, self.reference_time_)
        self.counts_ = counts + np.bincount(items, weights=weights, minlength=counts.shape[0])

    def score(self, users: Int32s) -> Float32s:
        """The popularity row, repeated for every user: (B, I) float32."""
        row = self.counts_.astype(np.float32)
        return np.tile(row, (np.asarray(users).shape[0], 1))

    def query_row(self, query: Query) -> Float32s:
        """The counts as scores, ``-inf`` for items never seen (the same row for every query;
        built once per change of the counts, never written to by callers)."""
        counts = self.counts_

        def build() -> Float32s:
            row = np.where(counts > 0, counts, -np.inf).astype(np.float32)
            row.flags.writeable = False
            return row

        return derived(self, "_row", counts, build)

    def retrieve(self, query: Query, k: int) -> Candidates:
        """The most popular items not in ``query.exclude`` (items never seen are left out)."""
        return candidates_from_scores(self.query_row(query), query, k, self.name)

    def state(self) -> State:
        """Learned arrays, for ``np.savez``."""
        return {"counts": self.counts_, "reference_time": np.array(self.reference_time_)}

    def init_params(self) -> dict[str, Any]:
        """The constructor's keyword arguments (JSON-ready)."""
        return {"half_life_days": self.half_life_days, "name": self.name}

    @classmethod
    def from_state(
        cls,
        params: dict[str, Any],
        state: State,
        children: dict[str, Model] | None = None,
        *,
        vectors: ItemVectors | None = None,
        users: IdMap | None = None,
        items: IdMap | None = None,
    ) -> Self:
        """A model rebuilt from its hyper-parameters and :meth:`state`."""
        model = cls(**params)
        model.counts_ = np.array(state["counts"], dtype=np.float64)
        model.reference_time_ = float(state["reference_time"])
        return model
