"""EASE (Steck 2019): a closed-form item-item linear model with a zero diagonal.

``B = I - P / diag(P)`` with ``P = (X^T X + l2 I)^-1``; a user's scores are their row of ``X``
times ``B``. The inverse is dense, so memory grows with the square of the catalog: past
``max_items`` items the model refuses to fit and says what to use instead. ``update`` rescores
changed users at once with the fitted ``B``; items added after the fit cannot be scored (their
scores are ``-inf``) until the next ``fit``.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from scipy.linalg import lapack

from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.models.base import Float32s, Int32s
from pulserec.models.cf._cf import (
    AdditiveHistory,
    CFModel,
    State,
    check_count,
    check_positive,
    csr_from_state,
    csr_state,
)
from pulserec.models.cf.row_cache import Float64s
from pulserec.models.persistable import Model, persistable

BYTES_PER_CELL = 20  # peak: float64 Gram/inverse, its transpose while symmetrising, float32 B


@persistable("ease")
class EASE(AdditiveHistory, CFModel):
    """Embarrassingly shallow autoencoder; ``weights_`` is the (I, I) matrix ``B``."""

    def __init__(self, l2: float = 250.0, max_items: int = 20_000, name: str = "ease") -> None:
        check_positive("l2", l2)
        check_count("max_items", max_items)
        self.l2 = l2
        self.max_items = max_items
        self.name = name

    def _check_size(self, n_items: int) -> None:
        if n_items > self.max_items:
            gib = BYTES_PER_CELL * n_items**2 / 2**30
            raise ValueError(
                f"EASE needs a dense {n_items:,} x {n_items:,} item matrix (about {gib:,.1f} GiB "
                f"of memory) and {n_items:,} items exceed max_items={self.max_items:,}; use "
                "item-kNN ('itemknn') or ALS ('als') for a catalog this size, or raise max_items"
            )

    def fit(self, data: Interactions) -> Self:
        """Solve for ``B`` from scratch (refuses catalogs larger than ``max_items``)."""
        self._check_size(data.n_items)
        self._solve(self._set_matrix(data.matrix()))
        return self

    def _solve(self, x: Any) -> None:
        """``B`` (and P's diagonal, which forgetting a user needs) from interaction rows."""
        gram = (x.T @ x).astype(np.float64).toarray()  # (I, I)
        gram[np.diag_indices_from(gram)] += self.l2
        weights = _spd_inverse(gram)  # P, in gram's memory
        self.diag_ = np.diag(weights).copy()
        weights /= -self.diag_[None, :]  # B_ij = -P_ij / P_jj
        weights[np.diag_indices_from(weights)] = 0.0
        self.weights_ = weights.astype(np.float32)

    def forget(self, users: Int32s) -> None:
        """Deleted users leave ``X`` and ``B``: each row ``x`` taken out of the Gram matrix is
        a rank-one downdate of its inverse (Sherman-Morrison,
        P' = P + P x x^T P / (1 - x^T P x)), with P rebuilt from ``B`` and P's diagonal. A
        model saved without the diagonal is solved again from the remaining rows."""
        users = np.asarray(users, dtype=np.int32)
        old = self.user_items_
        inside = users[(users >= 0) & (users < old.shape[0])]
        rows = [old[u].indices.astype(np.int32) for u in inside]
        self._without_rows(users)
        rows = [r[r < self.weights_.shape[0]] for r in rows if r.size]
        if not rows:
            return
        diag = getattr(self, "diag_", None)
        if diag is None:
            self._solve(self.user_items_[:, : self.weights_.shape[0]])
            return
        p = -self.weights_.astype(np.float64) * diag[None, :]
        p[np.diag_indices_from(p)] = diag
        for items in rows:
            v = p[:, items].sum(axis=1)  # P x
            p += np.outer(v, v) / (1.0 - float(v[items].sum()))
        self.diag_ = np.diag(p).copy()
        p /= -self.diag_[None, :]
        p[np.diag_indices_from(p)] = 0.0
        self.weights_ = p.astype(np.float32)

    def update(self, data: Interactions) -> None:
        """Add ``data``'s interactions to the users' rows (``B`` is kept until the next fit)."""
        self._merge(data)

    def _score_rows(self, rows: Any) -> Float32s:
        """(B, I) scores of interaction rows; unfitted items get ``-inf``."""
        fitted = self.weights_.shape[0]
        out = np.full((rows.shape[0], self.user_items_.shape[1]), -np.inf, dtype=np.float32)
        out[:, :fitted] = rows[:, :fitted] @ self.weights_
        return out

    def _score_users(self, users: Int32s) -> Float32s:
        return self._score_rows(self.user_items_[users])

    def _rows_sum(self, items: Int32s) -> Float64s:
        """The float64 sum of ``B``'s rows of ``items`` (those fitted)."""
        fitted = self.weights_.shape[0]
        summed: Float64s = self.weights_[items[items < fitted]].sum(axis=0, dtype=np.float64)
        return summed

    def _history_row(self, summed: Float64s) -> Float32s:
        """Scores of a history from its summed rows; unfitted items get ``-inf``."""
        out = np.full(self.user_items_.shape[1], -np.inf, dtype=np.float32)
        out[: summed.shape[0]] = summed
        return out

    def state(self) -> State:
        """Learned arrays, for ``np.savez``."""
        out: State = {**csr_state("user_items", self.user_items_), "weights": self.weights_}
        if getattr(self, "diag_", None) is not None:
            out["diag"] = self.diag_
        return out

    def init_params(self) -> dict[str, Any]:
        """The constructor's keyword arguments (JSON-ready)."""
        return {"l2": self.l2, "max_items": self.max_items, "name": self.name}

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
        model.weights_ = np.array(state["weights"], dtype=np.float32)
        if "diag" in state:
            model.diag_ = np.array(state["diag"], dtype=np.float64)
        return model


def _spd_inverse(matrix: np.ndarray[Any, np.dtype[np.float64]]) -> Any:
    """The inverse of a symmetric positive-definite matrix via Cholesky, in ``matrix``'s memory.

    LAPACK works on the transposed view (Fortran order, the same matrix since it is symmetric),
    so nothing is copied; the one temporary is the transpose in the final symmetrisation.
    """
    factor, info = lapack.dpotrf(matrix.T, lower=False, overwrite_a=True, clean=True)
    if info == 0:
        inverse, info = lapack.dpotri(factor, lower=False, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"Gram matrix is not positive definite (LAPACK info {info})")
    inverse += inverse.T  # one triangle was zero; the diagonal is now doubled
    inverse[np.diag_indices_from(inverse)] /= 2.0
    return inverse
