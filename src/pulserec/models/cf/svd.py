"""Biased matrix factorisation for explicit ratings (Funk-SVD, as in Surprise's ``SVD``).

``r_hat(u, i) = mu + b_u + b_i + p_u . q_i``, learnt by SGD on the squared error with L2 on
every parameter a rating touches; each mini-batch applies the per-rating updates together
(``np.add.at``), which for small batches is close to Surprise's one-rating-at-a-time SGD.
Only ``rating`` events with a value count; a user rating an item twice keeps the latest.
Unknown users or items contribute nothing, so predictions fall back to ``mu + b_i``,
``mu + b_u`` or ``mu``. ``update`` refits the biases and factors of touched users (and new
items) exactly by ridge regression against the fixed other side.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from pulserec.core.ids import IdMap
from pulserec.core.interactions import TYPE_CODES, Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.core.types import EventType
from pulserec.models.base import Candidates, Float32s, Int32s, Query, candidates_from_scores
from pulserec.models.cf._cf import (
    Leaf,
    State,
    check_count,
    check_positive,
    csr_from_state,
    csr_state,
    emptied_rows,
    grow_rows,
    resized,
    zeroed_rows,
)
from pulserec.models.persistable import Model, persistable

Floats = npt.NDArray[np.float64]
INIT_STD = 0.1
_RATING = TYPE_CODES[EventType.RATING.value]


def rating_matrix(data: Interactions) -> sp.csr_matrix:
    """(U, I) csr of rating values; where a pair was rated twice the latest rating wins."""
    rated = np.flatnonzero((data.type_code == _RATING) & np.isfinite(data.value))
    order = rated[np.argsort(data.timestamp[rated], kind="stable")]
    keys = data.user_idx[order].astype(np.int64) * max(data.n_items, 1) + data.item_idx[order]
    _, last = np.unique(keys[::-1], return_index=True)
    keep = order[::-1][last]
    shape = (data.n_users, data.n_items)
    values = (data.value[keep], (data.user_idx[keep], data.item_idx[keep]))
    return sp.csr_matrix(values, shape=shape, dtype=np.float32)


def merge_ratings(old: sp.csr_matrix, new: sp.csr_matrix) -> sp.csr_matrix:
    """``old`` with ``new``'s entries added, a new rating of a pair replacing the old one."""
    a, b = old.tocoo(), new.tocoo()
    rows, cols = np.concatenate([a.row, b.row]), np.concatenate([a.col, b.col])
    keys = rows.astype(np.int64) * max(old.shape[1], 1) + cols
    _, last = np.unique(keys[::-1], return_index=True)
    keep = keys.shape[0] - 1 - last
    data = np.concatenate([a.data, b.data])[keep]
    return sp.csr_matrix((data, (rows[keep], cols[keep])), shape=old.shape, dtype=np.float32)


def ridge_rows(
    matrix: sp.csr_matrix, others: Float32s, offsets: Floats, rows: Int32s, reg: float
) -> Floats:
    """Per row: ``[factors, bias]`` minimising squared error to ``r - offset`` plus ``reg n |z|^2``.

    ``others`` are the fixed factors of the other side; ``offsets`` their ``mu + bias``.
    """
    out = np.zeros((rows.shape[0], others.shape[1] + 1))
    for n, row in enumerate(rows):
        cols = matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]]
        if cols.size == 0:
            continue
        design = np.hstack([others[cols].astype(np.float64), np.ones((cols.shape[0], 1))])
        target = matrix.data[matrix.indptr[row] : matrix.indptr[row + 1]] - offsets[cols]
        gram = design.T @ design + reg * cols.shape[0] * np.eye(design.shape[1])
        out[n] = np.linalg.solve(gram, design.T @ target)
    return out


@persistable("svd")
class BiasedMF(Leaf):
    """Rating predictor; ``user_factors_``, ``item_factors_``, biases and ``global_mean_``."""

    def __init__(
        self,
        factors: int = 50,
        lr: float = 0.01,
        reg: float = 0.1,
        epochs: int = 30,
        batch_size: int = 1024,
        seed: int = 0,
        min_rating: float = 1.0,
        max_rating: float = 5.0,
        name: str = "svd",
    ) -> None:
        check_count("factors", factors)
        check_positive("lr", lr)
        check_positive("reg", reg, allow_zero=True)
        check_count("epochs", epochs, minimum=0)
        check_count("batch_size", batch_size)
        if not min_rating < max_rating:
            raise ValueError(f"min_rating {min_rating!r} must be below max_rating {max_rating!r}")
        self.factors, self.lr, self.reg, self.epochs = factors, lr, reg, epochs
        self.batch_size, self.seed, self.name = batch_size, seed, name
        self.min_rating, self.max_rating = min_rating, max_rating

    def fit(self, data: Interactions) -> Self:
        """SGD from a seeded start over ``data``'s ratings."""
        ratings = self.ratings_ = rating_matrix(data)
        rng = np.random.default_rng(self.seed)
        n_users, n_items = ratings.shape
        self.global_mean_ = float(ratings.data.mean()) if ratings.nnz else 0.0
        self.user_factors_ = rng.normal(0.0, INIT_STD, (n_users, self.factors)).astype(np.float32)
        self.item_factors_ = rng.normal(0.0, INIT_STD, (n_items, self.factors)).astype(np.float32)
        self.user_bias_ = np.zeros(n_users, dtype=np.float32)
        self.item_bias_ = np.zeros(n_items, dtype=np.float32)
        coo = ratings.tocoo()
        for _ in range(self.epochs):
            order = rng.permutation(ratings.nnz)
            for start in range(0, order.shape[0], self.batch_size):
                batch = order[start : start + self.batch_size]
                self._sgd_step(coo.row[batch], coo.col[batch], coo.data[batch])
        return self

    def _sgd_step(self, u: Int32s, i: Int32s, r: Float32s) -> None:
        lr, reg = np.float32(self.lr), np.float32(self.reg)
        p, q = self.user_factors_[u], self.item_factors_[i]  # (B, F) copies
        bu, bi = self.user_bias_[u], self.item_bias_[i]
        error = r - (self.global_mean_ + bu + bi + np.einsum("bf,bf->b", p, q))
        np.add.at(self.user_bias_, u, lr * (error - reg * bu))
        np.add.at(self.item_bias_, i, lr * (error - reg * bi))
        np.add.at(self.user_factors_, u, lr * (error[:, None] * q - reg * p))
        np.add.at(self.item_factors_, i, lr * (error[:, None] * p - reg * q))

    def predict(self, users: Int32s, items: Int32s) -> Float32s:
        """Predicted ratings for (user, item) pairs, clipped to the rating range."""
        users, items = np.asarray(users, np.int64), np.asarray(items, np.int64)
        known_u = (users >= 0) & (users < self.user_bias_.shape[0])
        known_i = (items >= 0) & (items < self.item_bias_.shape[0])
        u, i = np.where(known_u, users, 0), np.where(known_i, items, 0)
        both = known_u & known_i
        dots = np.einsum("nf,nf->n", self.user_factors_[u], self.item_factors_[i])
        value = (
            self.global_mean_
            + np.where(known_u, self.user_bias_[u], 0.0)
            + np.where(known_i, self.item_bias_[i], 0.0)
            + np.where(both, dots, 0.0)
        )
        return np.clip(value, self.min_rating, self.max_rating).astype(np.float32)

    def forget(self, users: Int32s) -> None:
        """Deleted users: their ratings, factor rows and biases are zeroed (the item factors
        they helped fit keep that share until the next fit)."""
        inside = users[(users >= 0) & (users < self.user_factors_.shape[0])]
        if not inside.size:
            return
        self.ratings_ = emptied_rows(self.ratings_, inside)
        self.user_factors_ = zeroed_rows(self.user_factors_, inside)
        self.user_bias_ = zeroed_rows(self.user_bias_, inside)

    def update(self, data: Interactions) -> None:
        """Add ``data``'s ratings; refit new items, then every user it touched."""
        batch = rating_matrix(data)
        self.ratings_ = merge_ratings(resized(self.ratings_, batch.shape), batch)
        n_users, n_items = batch.shape
        fitted_items = self.item_bias_.shape[0]
        for name, n in (("user_factors_", n_users), ("item_factors_", n_items)):
            setattr(self, name, grow_rows(getattr(self, name), n))
        self.user_bias_ = grow_rows(self.user_bias_, n_users)
        self.item_bias_ = grow_rows(self.item_bias_, n_items)
        items = np.unique(batch.indices)
        self._refit_items(items[items >= fitted_items].astype(np.int32))
        self._refit_users(np.unique(batch.tocoo().row).astype(np.int32))

    def _refit_users(self, users: Int32s) -> None:
        offsets = self.global_mean_ + self.item_bias_.astype(np.float64)
        z = ridge_rows(self.ratings_, self.item_factors_, offsets, users, self.reg)
        self.user_factors_[users], self.user_bias_[users] = z[:, :-1], z[:, -1]

    def _refit_items(self, items: Int32s) -> None:
        if items.size == 0:
            return
        offsets = self.global_mean_ + self.user_bias_.astype(np.float64)
        by_item = sp.csr_matrix(self.ratings_.T)
        z = ridge_rows(by_item, self.user_factors_, offsets, items, self.reg)
        self.item_factors_[items], self.item_bias_[items] = z[:, :-1], z[:, -1]

    def score(self, users: Int32s) -> Float32s:
        """(B, I) predicted ratings, unclipped so the order at the top survives.

        Unknown users get ``mu + b_i``.
        """
        users = np.asarray(users, dtype=np.int64)
        known = (users >= 0) & (users < self.user_bias_.shape[0])
        u = users[known]
        out = np.empty((users.shape[0], self.item_bias_.shape[0]), dtype=np.float32)
        out[:] = self.global_mean_ + self.item_bias_
        out[known] += self.user_bias_[u][:, None] + self.user_factors_[u] @ self.item_factors_.T
        return out

    def query_row(self, query: Query) -> Float32s:
        """Predicted ratings for the query's user (``mu + b_i`` for unknown users)."""
        row: Float32s = self.score(np.array([query.user], dtype=np.int32))[0]
        return row

    def retrieve(self, query: Query, k: int) -> Candidates:
        """Highest predicted ratings for the query's user (``mu + b_i`` for unknown users)."""
        return candidates_from_scores(self.query_row(query), query, k, self.name)

    def state(self) -> State:
        """Learned arrays, for ``np.savez``."""
        return {
            **csr_state("ratings", self.ratings_),
            "global_mean": np.array(self.global_mean_),
            **{key: getattr(self, f"{key}_") for key in _ARRAYS},
        }

    def init_params(self) -> dict[str, Any]:
        """The constructor's keyword arguments (JSON-ready)."""
        return {
            "factors": self.factors,
            "lr": self.lr,
            "reg": self.reg,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "seed": self.seed,
            "min_rating": self.min_rating,
            "max_rating": self.max_rating,
            "name": self.name,
        }

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
        model.ratings_ = csr_from_state("ratings", state)
        model.global_mean_ = float(state["global_mean"])
        for key in _ARRAYS:
            setattr(model, f"{key}_", np.array(state[key], dtype=np.float32))
        return model


_ARRAYS = ("user_factors", "item_factors", "user_bias", "item_bias")
