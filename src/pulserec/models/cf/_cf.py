"""Machinery shared by the collaborative-filtering retrievers (knn, ease, als, bpr).

:class:`CFModel` keeps the binary user x item matrix of positive interactions, which every model
needs to refresh changed users on ``update`` and to score users by their history, and implements
the common read path: a user with history is scored by the model; any other row of ``score``
falls back to item popularity; ``retrieve`` for a user the model does not know scores their
query history where the model can, and returns nothing when there is no evidence at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from pulserec.core.interactions import Interactions
from pulserec.models.base import Candidates, Float32s, Int32s, Query, candidates_from_scores
from pulserec.models.cf.row_cache import HistoryRowCache
from pulserec.models.persistable import Inputs, Model

ScalarT = TypeVar("ScalarT", bound=np.generic)
T = TypeVar("T")
State = dict[str, npt.NDArray[Any]]
_EMPTY_ITEMS = np.zeros(0, dtype=np.int32)


def check_positive(name: str, value: float, allow_zero: bool = False) -> None:
    """ValueError unless ``value`` is a finite number > 0 (or >= 0 with ``allow_zero``)."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")


def check_count(name: str, value: int, minimum: int = 1) -> None:
    """ValueError unless ``value`` is an int >= ``minimum``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def grow_rows(array: npt.NDArray[ScalarT], n: int) -> npt.NDArray[ScalarT]:
    """``array`` with zero rows appended up to ``n`` rows (itself when already that long)."""
    if array.shape[0] >= n:
        return array
    out = np.zeros((n, *array.shape[1:]), dtype=array.dtype)
    out[: array.shape[0]] = array
    return out


def resized(m: sp.csr_matrix, shape: tuple[int, int]) -> sp.csr_matrix:
    """A csr matrix grown to ``shape`` with empty rows/columns (shares ``m``'s arrays)."""
    if m.shape == shape:
        return m
    indptr = np.concatenate([m.indptr, np.full(shape[0] - m.shape[0], m.indptr[-1])])
    return sp.csr_matrix((m.data, m.indices, indptr.astype(m.indptr.dtype)), shape=shape)


def emptied_rows(m: sp.csr_matrix, rows: Int32s) -> sp.csr_matrix:
    """``m`` with ``rows`` emptied (rows outside ``m`` are ignored)."""
    keep = np.ones(m.shape[0], dtype=m.dtype)
    keep[rows[(rows >= 0) & (rows < m.shape[0])]] = 0
    out = sp.csr_matrix(sp.diags(keep) @ m)
    out.eliminate_zeros()
    return out


def zeroed_rows(array: npt.NDArray[ScalarT], rows: Int32s) -> npt.NDArray[ScalarT]:
    """A copy of ``array`` with ``rows`` zeroed (rows outside it are ignored)."""
    out = array.copy()
    out[rows[(rows >= 0) & (rows < array.shape[0])]] = 0
    return out


def csr_state(prefix: str, m: sp.csr_matrix) -> State:
    """A csr matrix as plain arrays (for ``np.savez``)."""
    return {
        f"{prefix}_indptr": m.indptr,
        f"{prefix}_indices": m.indices,
        f"{prefix}_data": m.data,
        f"{prefix}_shape": np.asarray(m.shape, dtype=np.int64),
    }


def csr_from_state(prefix: str, state: State) -> sp.csr_matrix:
    """The csr matrix saved by :func:`csr_state`."""
    shape = tuple(int(n) for n in state[f"{prefix}_shape"])
    parts = (state[f"{prefix}_data"], state[f"{prefix}_indices"], state[f"{prefix}_indptr"])
    return sp.csr_matrix(parts, shape=shape, copy=True)


def derived(owner: object, name: str, source: object, build: Callable[[], T]) -> T:
    """``build()``, kept on ``owner`` under ``name`` until ``source`` (what it is built from)
    is replaced by another object: a refit rebuilds it, a request never does."""
    cached = owner.__dict__.get(name)
    if cached is None or cached[0] is not source:
        cached = owner.__dict__[name] = (source, build())
    value: T = cached[1]
    return value


def valid_history(history: Int32s, n_items: int) -> Int32s:
    """The distinct items of ``history`` that the model has columns for."""
    history = np.asarray(history, dtype=np.int32)
    return np.unique(history[(history >= 0) & (history < n_items)])


def rows_of(m: sp.csr_matrix) -> npt.NDArray[np.int32]:
    """The row index of every stored entry of a csr matrix."""
    return np.repeat(np.arange(m.shape[0], dtype=np.int32), np.diff(m.indptr))


class Leaf:
    """Persistence for a model with no sub-models and no inputs beyond its own arrays."""

    def children(self) -> dict[str, Model]:
        return {}

    def inputs(self) -> Inputs:
        return Inputs()


class CFModel(Leaf):
    """Base of the matrix-based models: the interaction matrix, fallback, and read path.

    Subclasses implement ``_score_users`` (rows for users with history) and, where they can,
    ``_score_history`` (a row for an item history the model has never seen as a user).
    """

    name: str
    user_items_: sp.csr_matrix  # (U, I) binary positives
    popularity_: Float32s  # (I,) users per item

    def _set_matrix(self, matrix: sp.csr_matrix) -> sp.csr_matrix:
        """Adopt ``matrix`` as the interaction matrix and derive the popularity fallback."""
        matrix = sp.csr_matrix(matrix, dtype=np.float32)
        matrix.sort_indices()
        self.user_items_ = matrix
        self.popularity_ = np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.float32)
        return matrix

    def _merge(self, data: Interactions) -> tuple[sp.csr_matrix, Int32s, Int32s]:
        """Union ``data``'s positives into the matrix, grown to the maps' sizes.

        Returns the new matrix and the distinct users and items that ``data`` touched.
        """
        batch = data.matrix()
        shape = (
            max(batch.shape[0], self.user_items_.shape[0]),
            max(batch.shape[1], self.user_items_.shape[1]),
        )
        merged = sp.csr_matrix(resized(self.user_items_, shape) + resized(batch, shape))
        merged.data[:] = 1.0
        positive = data.positive_mask()
        users = np.unique(data.user_idx[positive]).astype(np.int32)
        items = np.unique(data.item_idx[positive]).astype(np.int32)
        return self._set_matrix(merged), users, items

    def _without_rows(self, users: Int32s) -> tuple[sp.csr_matrix, Int32s]:
        """The interaction matrix with ``users``' rows emptied (adopted), and the items they
        had."""
        m = self.user_items_
        users = users[(users >= 0) & (users < m.shape[0])]
        if not users.size:
            return m, np.zeros(0, dtype=np.int32)
        items = np.unique(m[users].indices).astype(np.int32)
        return self._set_matrix(emptied_rows(m, users)), items

    def forget(self, users: Int32s) -> None:
        """Deleted users: their rows leave the matrix (and the popularity fallback)."""
        self._without_rows(np.asarray(users, dtype=np.int32))

    def _warm(self, users: Int32s) -> npt.NDArray[np.bool_]:
        """Which ``users`` the model knows with at least one interaction."""
        m = self.user_items_
        known = (users >= 0) & (users < m.shape[0])
        warm = np.zeros(users.shape[0], dtype=bool)
        counts = np.diff(m.indptr)
        warm[known] = counts[users[known]] > 0
        return warm

    def _score_users(self, users: Int32s) -> Float32s:
        raise NotImplementedError

    def _score_history(self, items: Int32s) -> Float32s | None:
        """Scores for an unseen user from their items; None where the model cannot."""
        return None

    def score(self, users: Int32s) -> Float32s:
        """(B, I) float32 scores; users without history get item popularity."""
        users = np.asarray(users, dtype=np.int32)
        warm = self._warm(users)
        out = np.empty((users.shape[0], self.user_items_.shape[1]), dtype=np.float32)
        out[~warm] = self.popularity_
        if warm.any():
            out[warm] = self._score_users(users[warm])
        return out

    def query_row(self, query: Query) -> Float32s | None:
        """The (I,) scores for the query's user, or for its history when the user is unknown
        (None: no evidence at all). ``retrieve`` is the top of this row. A served user's row
        (``query.owner``) of an additive model moves with their history instead of being
        summed again (:mod:`~pulserec.models.cf.row_cache`)."""
        users = np.array([query.user], dtype=np.int32)
        if self._warm(users)[0]:
            row: Float32s = self._score_users(users)[0]
            return row
        history = valid_history(query.history, self.user_items_.shape[1])
        if not history.size:
            return None
        if query.owner >= 0 and isinstance(self, AdditiveHistory):
            return self._history_row(self._row_cache().row(query.owner, history))
        return self._score_history(history)

    def retrieve(self, query: Query, k: int) -> Candidates:
        """Top ``k`` of :meth:`query_row`, leaving out ``query.exclude``."""
        row = self.query_row(query)
        if row is None:
            return Candidates(_EMPTY_ITEMS, np.zeros(0, dtype=np.float32), self.name)
        return candidates_from_scores(row, query, k, self.name)


class AdditiveHistory:
    """A model whose history score is one row per history item, summed: ``_rows_sum`` gives
    the float64 sum of the rows of some items, ``_history_row`` the served row from it, and
    ``weights_`` (whose identity marks a refit) holds the rows."""

    weights_: Any

    def _sum_basis(self) -> Any:
        """What the rows are read from: a new object marks a refit (the kept sums go)."""
        return self.weights_

    def _sum_width(self) -> int:
        return int(self.weights_.shape[1])

    def _rows_sum(self, items: Int32s) -> npt.NDArray[np.float64]:
        raise NotImplementedError

    def _history_row(self, summed: npt.NDArray[np.float64]) -> Float32s:
        raise NotImplementedError

    def _score_history(self, items: Int32s) -> Float32s:
        return self._history_row(self._rows_sum(items))

    def _row_cache(self) -> HistoryRowCache:
        columns = self._sum_width()
        build = lambda: HistoryRowCache(self._rows_sum, columns)  # noqa: E731
        return derived(self, "_row_cache_of", self._sum_basis(), build)


def csr_rows_sum(
    m: sp.csr_matrix, rows: Int32s, weights: npt.NDArray[np.floating] | None = None
) -> npt.NDArray[np.float64]:
    """The float64 sum of some rows of a csr matrix (each times its weight when given), as a
    dense (columns,) array: reads only those rows' entries."""
    starts, ends = m.indptr[rows], m.indptr[rows + 1]
    counts = ends - starts
    total = int(counts.sum())
    if not total:
        return np.zeros(m.shape[1], dtype=np.float64)
    offsets = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(total)
    values = m.data[offsets].astype(np.float64)
    if weights is not None:
        values *= np.repeat(np.asarray(weights, dtype=np.float64), counts)
    summed = np.bincount(m.indices[offsets], weights=values, minlength=m.shape[1])
    return summed.astype(np.float64, copy=False)
