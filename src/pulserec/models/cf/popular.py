"""Popularity: the same ranked list for everyone, by (optionally time-decayed) event counts.

With ``half_life_days`` an event counts ``0.5 ** (age / half_life)``, its age measured from the
newest event the model has seen (not the wall clock, so a replay of old data behaves as it did
live). Counts are stored relative to that newest event; ``update`` rescales them when a newer
event arrives, so fit-then-update equals one fit over everything (up to rounding).
"""

from __future__ import annotations

import logging
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.models.base import Candidates, Float32s, Int32s, Query, candidates_from_scores
from pulserec.models.cf._cf import (
    Leaf,
    State,
    check_positive,
    csr_from_state,
    csr_state,
    derived,
    emptied_rows,
    grow_rows,
    resized,
)
from pulserec.models.persistable import Model, persistable

SECONDS_PER_DAY = 86_400.0
logger = logging.getLogger(__name__)


@persistable("pop")
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
        self.by_user_: sp.csr_matrix | None = sp.csr_matrix((0, data.n_items), dtype=np.float64)
        self.reference_time_ = -np.inf
        self.update(data)
        return self

    def update(self, data: Interactions) -> None:
        """Add ``data``'s positive events, re-basing the decay on the newest event seen."""
        positive = data.positive_mask()
        items, stamps = data.item_idx[positive], data.timestamp[positive]
        users = data.user_idx[positive]
        counts = grow_rows(self.counts_, data.n_items)
        by_user = getattr(self, "by_user_", None)
        reference = self.reference_time_
        newest = max(reference, float(stamps.max())) if stamps.size else reference
        if np.isfinite(reference) and newest > reference:
            factor = self._weights(np.array([reference]), newest)[0]
            counts = counts * factor
            by_user = by_user * factor if by_user is not None else None
        self.reference_time_ = newest
        weights = self._weights(stamps, self.reference_time_)
        self.counts_ = counts + np.bincount(items, weights=weights, minlength=counts.shape[0])
        if by_user is not None:  # each user's share, so that a deleted user's can leave
            shape = (max(by_user.shape[0], data.n_users), counts.shape[0])
            added = sp.csr_matrix((weights, (users, items)), shape=shape, dtype=np.float64)
            self.by_user_ = sp.csr_matrix(resized(sp.csr_matrix(by_user), shape) + added)

    def forget(self, users: Int32s) -> None:
        """Deleted users: their share leaves the counts (recounted from everyone else's), so
        an item only they engaged with is no longer popular at all. A model saved before the
        shares were kept cannot, and says so."""
        by_user = getattr(self, "by_user_", None)
        if by_user is None:
            logger.warning(
                "%s was saved without per-user shares: it forgets at the next fit", self.name
            )
            return
        inside = users[(users >= 0) & (users < by_user.shape[0])]
        if not inside.size:
            return
        remaining = self.by_user_ = emptied_rows(by_user, inside)
        counts = np.asarray(remaining.sum(axis=0), dtype=np.float64).ravel()
        self.counts_ = grow_rows(counts, self.counts_.shape[0])

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
        out: State = {"counts": self.counts_, "reference_time": np.array(self.reference_time_)}
        if getattr(self, "by_user_", None) is not None:
            out.update(csr_state("by_user", self.by_user_))
        return out

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
        model.by_user_ = csr_from_state("by_user", state) if "by_user_data" in state else None
        return model
