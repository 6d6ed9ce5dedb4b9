"""Content retriever: a user's taste is a weighted mix of the text vectors of their items.

Weights: feedback (ratings centred so low stars push away; dislikes and skips negative; carts,
purchases and likes count more than views) times recency (the newest event weighs 1, one
``half_life`` events earlier 0.5). Items are scored by cosine to the taste vector, so an item
with text and no interactions at all (a cold item) is as reachable as any other.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from pulserec.core import event_types
from pulserec.core.ids import IdMap
from pulserec.core.interactions import TYPE_CODES, Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.core.types import EventType
from pulserec.models.ann import ItemIndex, wants_index
from pulserec.models.arrays import interactions_from_state, interactions_state
from pulserec.models.base import Candidates, Float32s, Int32s, Query, candidates_from_scores
from pulserec.models.cf._cf import Leaf, derived
from pulserec.models.persistable import Inputs, Model, State, persistable, required

_RATING = TYPE_CODES[EventType.RATING.value]


@persistable("content")
class ContentRetriever(Leaf):
    """Cosine between a user's taste vector and item text vectors."""

    def __init__(
        self,
        vectors: ItemVectors,
        half_life: float | None = 50.0,
        rating_center: float | None = 3.0,
        center: bool = True,
        text_weight: float = 1.0,
        name: str = "content",
    ) -> None:
        if half_life is not None and half_life <= 0:
            raise ValueError("half_life must be positive (events) or None")
        self.vectors = vectors
        self.half_life = half_life
        self.rating_center = rating_center
        self.center = center
        self.text_weight = text_weight
        self.name = name

    def _event_weights(self, data: Interactions) -> npt.NDArray[np.float32]:
        weights = event_types.SIGNED_WEIGHTS[data.type_code].copy()
        ratings = data.type_code == _RATING
        if self.rating_center is not None:
            scale = max(5.0 - self.rating_center, 1e-6)
            weights[ratings] = (data.value[ratings] - self.rating_center) / scale
        return np.nan_to_num(weights)

    def _recency(self, users: Int32s, timestamps: npt.NDArray[np.float64]) -> Float32s:
        """0.5 ** (events newer than this one, for the same user / half_life)."""
        if self.half_life is None or users.size == 0:
            return np.ones(users.shape[0], dtype=np.float32)
        order = np.lexsort((np.arange(users.size), timestamps, users))
        sorted_users = users[order]
        ends = np.r_[np.flatnonzero(np.diff(sorted_users)), sorted_users.size - 1]
        last_of_group = np.repeat(ends, np.diff(np.r_[-1, ends]))
        newer = np.empty(users.size, dtype=np.float32)
        newer[order] = last_of_group - np.arange(users.size)
        recency: Float32s = np.power(0.5, newer / self.half_life).astype(np.float32)
        return recency

    def _tastes(self, data: Interactions, n_users: int) -> Float32s:
        weights = self._event_weights(data) * self._recency(data.user_idx, data.timestamp)
        mix = sp.csr_matrix(
            (weights, (data.user_idx, data.item_idx)), shape=(n_users, self.item_matrix_.shape[0])
        )
        tastes = np.asarray(mix @ self.item_matrix_, dtype=np.float32)
        norms = np.linalg.norm(tastes, axis=1, keepdims=True)
        return np.asarray(tastes / np.maximum(norms, 1e-12), dtype=np.float32)

    def _aligned(self, data: Interactions) -> tuple[Float32s, npt.NDArray[np.bool_]]:
        """Item vectors in index order; centred on the catalog mean (and re-normalised) when
        ``center``: the component every text shares says nothing about taste."""
        matrix, has_text = self.vectors.aligned(data.items)
        self.mean_ = np.zeros(matrix.shape[1], dtype=np.float32)
        if self.center and has_text.any():
            self.mean_ = matrix[has_text].mean(axis=0).astype(np.float32)
            matrix = matrix - self.mean_
            matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
            matrix[~has_text] = 0.0
        return matrix.astype(np.float32), has_text

    def fit(self, data: Interactions) -> Self:
        self.item_matrix_, self.has_text_ = self._aligned(data)
        self.data_ = data
        self.tastes_ = self._tastes(data, data.n_users)
        if wants_index(self.item_matrix_.shape[0]):
            self.item_index()  # a fit at catalog scale includes its index
        return self

    def update(self, data: Interactions) -> None:
        """Recompute the tastes of the users in ``data`` from their whole history."""
        if data.n_items > self.item_matrix_.shape[0]:
            self.item_matrix_, self.has_text_ = self._aligned(data)
        self.data_ = Interactions.concat([self.data_, data])
        users = np.unique(data.user_idx)
        history = self.data_.select(np.isin(self.data_.user_idx, users))
        fresh = self._tastes(history, data.n_users)
        if data.n_users > self.tastes_.shape[0]:
            grown = np.zeros((data.n_users, self.tastes_.shape[1]), dtype=np.float32)
            grown[: self.tastes_.shape[0]] = self.tastes_
            self.tastes_ = grown
        self.tastes_[users] = fresh[users]

    def _scores(self, tastes: Float32s) -> Float32s:
        scores = tastes @ self.item_matrix_.T
        scores[:, ~self.has_text_] = -np.inf
        return np.asarray(scores, dtype=np.float32)

    def score(self, users: Int32s) -> Float32s:
        known = users < self.tastes_.shape[0]
        tastes = np.zeros((users.shape[0], self.item_matrix_.shape[1]), dtype=np.float32)
        tastes[known] = self.tastes_[users[known]]
        return self._scores(tastes)

    def taste_from_history(self, history: Int32s) -> Float32s:
        """A taste vector from recent items (most recent last), for users the model never saw."""
        history = history[history < self.item_matrix_.shape[0]]
        if history.size == 0:
            return np.zeros(self.item_matrix_.shape[1], dtype=np.float32)
        weights = np.ones(history.size, dtype=np.float32)
        if self.half_life is not None:
            weights = np.power(0.5, np.arange(history.size)[::-1] / self.half_life).astype(
                np.float32
            )
        taste = (weights[:, None] * self.item_matrix_[history]).sum(axis=0)
        return np.asarray(taste / max(float(np.linalg.norm(taste)), 1e-12), dtype=np.float32)

    def taste_from_text(self, text: Float32s) -> Float32s:
        """A taste vector from an encoded text (stated preferences), centred like the items."""
        centred = np.asarray(text, dtype=np.float32) - self.mean_
        norm = float(np.linalg.norm(centred))
        return centred / norm if norm > 0 else np.zeros_like(centred)

    def query_row(self, query: Query) -> Float32s | None:
        """Cosine of every item to the query's taste (its user's, or its history's, plus its
        stated text); None when there is no taste at all."""
        taste = self._taste(query)
        if not taste.any():
            return None
        row: Float32s = self._scores(taste[None, :])[0]
        return row

    def _taste(self, query: Query) -> Float32s:
        """The query's taste: its user's, or its history's, plus its stated text."""
        taste: Float32s
        if 0 <= query.user < self.tastes_.shape[0] and self.tastes_[query.user].any():
            taste = self.tastes_[query.user]
        else:
            taste = self.taste_from_history(query.history)
        if query.text is not None:
            taste = taste + self.text_weight * self.taste_from_text(query.text)
        return taste

    def item_index(self) -> ItemIndex:
        """The HNSW index over the (centred) item vectors with text, built once per fit."""
        matrix, usable = self.item_matrix_, self.has_text_
        return derived(self, "_index_of", matrix, lambda: ItemIndex(matrix, usable))

    def retrieve(self, query: Query, k: int) -> Candidates:
        if wants_index(self.item_matrix_.shape[0]):
            taste = self._taste(query)
            if not taste.any():
                return candidates_from_scores(np.full(0, 0, np.float32), query, 0, self.name)
            items, scores = self.item_index().top(taste, k, query.exclude)
            return Candidates(items, scores, self.name)
        row = self.query_row(query)
        if row is None:
            return candidates_from_scores(np.full(0, 0, np.float32), query, 0, self.name)
        return candidates_from_scores(row, query, k, self.name)

    def init_params(self) -> dict[str, Any]:
        """The constructor's keyword arguments but ``vectors`` (JSON-ready)."""
        return {
            "half_life": self.half_life,
            "rating_center": self.rating_center,
            "center": self.center,
            "text_weight": self.text_weight,
            "name": self.name,
        }

    def state(self) -> State:
        """Tastes, the aligned item matrix, the catalog mean and the events (for ``update``)."""
        return {
            "tastes": self.tastes_,
            "item_matrix": self.item_matrix_,
            "has_text": self.has_text_,
            "mean": self.mean_,
            **interactions_state("data.", self.data_),
        }

    def inputs(self) -> Inputs:
        return Inputs(self.vectors, self.data_.users, self.data_.items)

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
        """A model rebuilt from :meth:`init_params` and :meth:`state`; the events are mapped
        over ``users`` and ``items`` (the maps it was trained with) for ``update``."""
        model = cls(required("vectors", vectors, cls), **params)
        model.tastes_ = np.array(state["tastes"], dtype=np.float32)
        model.item_matrix_ = np.array(state["item_matrix"], dtype=np.float32)
        model.has_text_ = np.array(state["has_text"], dtype=bool)
        model.mean_ = np.array(state["mean"], dtype=np.float32)
        users, items = required("users", users, cls), required("items", items, cls)
        model.data_ = interactions_from_state("data.", state, users, items)
        return model
