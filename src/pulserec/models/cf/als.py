"""Implicit-feedback ALS (Hu, Koren & Volinsky 2008), in numpy.

Every user-item pair is a preference ``p`` (1 if the user interacted, else 0) with confidence
``c = 1 + alpha`` for interactions and 1 elsewhere. Alternating, each side solves
``(Y^T C_u Y + reg I) x_u = Y^T C_u p_u``; the dense part ``Y^T Y`` is shared by all rows (the
"YtY trick"), so a row costs only its own interactions. ``fit`` runs a few conjugate-gradient
steps per row per sweep, warm-started, for all rows at once (as ``implicit`` does); fold-in
(``update`` and unknown users in ``retrieve``) solves one row exactly against the cached
``Y^T Y + reg I``.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.models.ann import ItemIndex, wants_index
from pulserec.models.base import Candidates, Float32s, Int32s, Query
from pulserec.models.cf._cf import (
    AdditiveHistory,
    CFModel,
    State,
    check_count,
    check_positive,
    csr_from_state,
    csr_state,
    derived,
    grow_rows,
    rows_of,
    valid_history,
    zeroed_rows,
)
from pulserec.models.persistable import Model, persistable

Floats = npt.NDArray[np.float64]
INIT_SCALE = 0.01


def _row_dots(a: Float32s, b: Float32s) -> Float32s:
    """Row-wise dot products of two (N, F) arrays."""
    dots: Float32s = np.einsum("nf,nf->n", a, b)
    return dots


def conjugate_gradient(
    matrix: sp.csr_matrix, y: Float32s, x: Float32s, gram: Float32s, alpha: float, steps: int
) -> Float32s:
    """A few CG steps on every row's normal equations at once, from ``x`` (rows x F).

    Row ``u`` solves ``(gram + alpha Y_u^T Y_u) x_u = (1 + alpha) Y_u^T 1`` where ``Y_u`` are the
    rows of ``y`` that ``matrix`` (binary, rows x cols) marks for ``u``.
    """
    rows, cols = rows_of(matrix), matrix.indices
    y_nnz = y[cols]  # (nnz, F), fixed during this half-sweep

    def apply(v: Float32s) -> Float32s:  # A v for every row at once
        weights = alpha * _row_dots(y_nnz, v[rows])
        sparse_part = sp.csr_matrix((weights, cols, matrix.indptr), shape=matrix.shape) @ y
        return np.asarray(v @ gram + sparse_part, dtype=np.float32)

    x = x.copy()
    residual = (1.0 + alpha) * np.asarray(matrix @ y, dtype=np.float32) - apply(x)
    direction = residual.copy()
    rs = _row_dots(residual, residual)
    for _ in range(steps):
        a_dir = apply(direction)
        curvature = _row_dots(direction, a_dir)
        step = np.divide(rs, curvature, out=np.zeros_like(rs), where=curvature > 0)
        x += step[:, None] * direction
        residual -= step[:, None] * a_dir
        rs_new = _row_dots(residual, residual)
        beta = np.divide(rs_new, rs, out=np.zeros_like(rs), where=rs > 0)
        direction = residual + beta[:, None] * direction
        rs = rs_new
    return x


def solve_row(y: Float32s, gram: Floats, alpha: float, items: Int32s, weights: Floats) -> Float32s:
    """Exact solution for one row: ``(gram + Y_I^T diag(alpha w) Y_I) x = Y_I^T (1 + alpha w)``."""
    y_items = y[items].astype(np.float64)  # (n, F)
    a = gram + (y_items.T * (alpha * weights)) @ y_items
    b = y_items.T @ (1.0 + alpha * weights)
    return np.linalg.solve(a, b).astype(np.float32)


@persistable("als")
class ALS(AdditiveHistory, CFModel):
    """Implicit ALS; ``user_factors_`` (U, F) and ``item_factors_`` (I, F), float32."""

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 50.0,
        alpha: float = 5.0,
        iterations: int = 15,
        cg_steps: int = 3,
        seed: int = 0,
        name: str = "als",
    ) -> None:
        check_count("factors", factors)
        check_positive("regularization", regularization)
        check_positive("alpha", alpha, allow_zero=True)
        check_count("iterations", iterations, minimum=0)
        check_count("cg_steps", cg_steps)
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.cg_steps = cg_steps
        self.seed = seed
        self.name = name

    def _gram(self, y: Float32s) -> Floats:
        """``Y^T Y + reg I`` in float64: the part every row's system shares."""
        y64 = y.astype(np.float64)
        return y64.T @ y64 + self.regularization * np.eye(y.shape[1])

    def fit(self, data: Interactions) -> Self:
        """Alternate user and item sweeps from a seeded small random start."""
        x = self._set_matrix(data.matrix())
        x_t = sp.csr_matrix(x.T)
        rng = np.random.default_rng(self.seed)
        users = (rng.standard_normal((x.shape[0], self.factors)) * INIT_SCALE).astype(np.float32)
        items = (rng.standard_normal((x.shape[1], self.factors)) * INIT_SCALE).astype(np.float32)
        alpha, steps = float(self.alpha), self.cg_steps
        for _ in range(self.iterations):
            gram = self._gram(items).astype(np.float32)
            users = conjugate_gradient(x, items, users, gram, alpha, steps)
            gram = self._gram(users).astype(np.float32)
            items = conjugate_gradient(x_t, users, items, gram, alpha, steps)
        self.user_factors_, self.item_factors_ = users, items
        self.gram_ = self._gram(items)
        if wants_index(items.shape[0]):
            self.item_index()  # a fit at catalog scale includes its index
        return self

    def fold_in(self, item_indices: Int32s, weights: Floats | None = None) -> Float32s:
        """The user vector (F,) that the fitted items imply for this history (pure, exact).

        ``weights`` scale each item's confidence (``1 + alpha * w``); 1 each by default.
        """
        items = np.asarray(item_indices, dtype=np.int32)
        valid = (items >= 0) & (items < self.item_factors_.shape[0])
        w = np.ones(items.shape[0]) if weights is None else np.asarray(weights, np.float64)
        return solve_row(self.item_factors_, self.gram_, self.alpha, items[valid], w[valid])

    def forget(self, users: Int32s) -> None:
        """Deleted users: their matrix rows and factor rows are zeroed (the item factors they
        helped fit keep that share until the next fit)."""
        super().forget(users)
        self.user_factors_ = zeroed_rows(self.user_factors_, users)

    def update(self, data: Interactions) -> None:
        """Add ``data``: fold in its new items (from their users), then every user it touched."""
        x, users, items = self._merge(data)
        self.user_factors_ = grow_rows(self.user_factors_, x.shape[0])
        fitted_items = self.item_factors_.shape[0]
        self.item_factors_ = grow_rows(self.item_factors_, x.shape[1])
        new_items = items[items >= fitted_items]
        if new_items.size:
            user_gram = self._gram(self.user_factors_)
            x_t = sp.csr_matrix(x.T)
            for item in new_items:
                cols = x_t.indices[x_t.indptr[item] : x_t.indptr[item + 1]]
                self.item_factors_[item] = solve_row(
                    self.user_factors_, user_gram, self.alpha, cols, np.ones(cols.shape[0])
                )
            self.gram_ = self._gram(self.item_factors_)
        for user in users:
            self.user_factors_[user] = self.fold_in(x.indices[x.indptr[user] : x.indptr[user + 1]])

    def _score_users(self, users: Int32s) -> Float32s:
        return np.asarray(self.user_factors_[users] @ self.item_factors_.T, dtype=np.float32)

    # The fold-in of a history sums, per item, its factor's outer product and the factor: a
    # served user's sums move with their history (row_cache), leaving one F x F solve.
    def _sum_basis(self) -> Any:
        return self.item_factors_

    def _sum_width(self) -> int:
        factors = int(self.item_factors_.shape[1])
        return factors * factors + factors

    def _rows_sum(self, items: Int32s) -> npt.NDArray[np.float64]:
        y = self.item_factors_[items].astype(np.float64)  # (n, F)
        return np.concatenate([(y.T @ y).ravel(), y.sum(axis=0)])

    def _history_row(self, summed: npt.NDArray[np.float64]) -> Float32s:
        factors = int(self.item_factors_.shape[1])
        a = self.gram_ + self.alpha * summed[: factors * factors].reshape(factors, factors)
        vector = np.linalg.solve(a, (1.0 + self.alpha) * summed[factors * factors :])
        return np.asarray(self.item_factors_ @ vector.astype(np.float32), dtype=np.float32)

    def retrieve(self, query: Query, k: int) -> Candidates:
        """As :meth:`CFModel.retrieve`; a catalog past :data:`~.ann.ANN_ITEMS` items answers
        from an HNSW index over the item factors instead of scoring every item."""
        if not wants_index(self.item_factors_.shape[0]):
            return super().retrieve(query, k)
        users = np.array([query.user], dtype=np.int32)
        if self._warm(users)[0]:
            vector = self.user_factors_[query.user]
        else:
            history = valid_history(query.history, self.item_factors_.shape[0])
            if not history.size:
                return Candidates(np.zeros(0, np.int32), np.zeros(0, np.float32), self.name)
            vector = self.fold_in(history)
        items, scores = self.item_index().top(vector, k, query.exclude)
        return Candidates(items, scores, self.name)

    def item_index(self) -> ItemIndex:
        """The HNSW index over the item factors (built once per fit, on first need)."""
        factors = self.item_factors_
        return derived(self, "_index_of", factors, lambda: ItemIndex(factors))

    def state(self) -> State:
        """Learned arrays, for ``np.savez``."""
        return {
            **csr_state("user_items", self.user_items_),
            "user_factors": self.user_factors_,
            "item_factors": self.item_factors_,
        }

    def init_params(self) -> dict[str, Any]:
        """The constructor's keyword arguments (JSON-ready)."""
        return {
            "factors": self.factors,
            "regularization": self.regularization,
            "alpha": self.alpha,
            "iterations": self.iterations,
            "cg_steps": self.cg_steps,
            "seed": self.seed,
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
        model._set_matrix(csr_from_state("user_items", state))
        model.user_factors_ = np.array(state["user_factors"], dtype=np.float32)
        model.item_factors_ = np.array(state["item_factors"], dtype=np.float32)
        model.gram_ = model._gram(model.item_factors_)
        return model
