"""Neighbourhood models: item-kNN and user-kNN over the binary interaction matrix.

Similarity between two columns ``a, b`` of a matrix (items over users, or users over items) is
``dot(a, b) / (|a| |b| + shrink)`` (cosine, RecBole's ItemKNN with its shrink term) or the same
with columns centred on their means (Pearson; over the full binary columns, zeros included).
Each entity keeps its ``k`` most similar others (positive similarities only), computed in
blocks of columns so memory stays bounded. Item-kNN scores item ``j`` for a user as the sum of
``sim(i, j)`` over the user's items ``i`` that are among ``j``'s neighbours (RecBole's
``X @ W``); user-kNN sums the rows of the user's neighbours, weighted by similarity.
"""

from __future__ import annotations

from typing import Any, Literal, Self

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

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
    csr_rows_sum,
    csr_state,
    derived,
    emptied_rows,
    resized,
)
from pulserec.models.persistable import Model, persistable

Similarity = Literal["cosine", "pearson"]
Floats = npt.NDArray[np.float64]
Triplets = tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.float32]]
BLOCK_CELLS = 1 << 23  # dense similarity cells computed at once (64 MiB of float64)
_SIMILARITIES = ("cosine", "pearson")


def column_stats(a: sp.csc_matrix) -> tuple[Floats, Floats]:
    """Per column: the sum and the sum of squares."""
    sums = np.asarray(a.sum(axis=0), dtype=np.float64).ravel()
    squares = np.asarray(a.multiply(a).sum(axis=0), dtype=np.float64).ravel()
    return sums, squares


def normalise(
    dots: Floats,
    stats: tuple[Floats, Floats],
    target_stats: tuple[Floats, Floats],
    n_rows: int,
    shrink: float,
    similarity: Similarity,
) -> Floats:
    """Similarities (N, B) from dot products of all N columns with B target columns."""
    (sums, squares), (t_sums, t_squares) = stats, target_stats
    if similarity == "pearson":
        dots = dots - np.outer(sums, t_sums) / n_rows
        squares = np.maximum(squares - sums**2 / n_rows, 0.0)
        t_squares = np.maximum(t_squares - t_sums**2 / n_rows, 0.0)
    denominator = np.outer(np.sqrt(squares), np.sqrt(t_squares)) + shrink
    return np.divide(dots, denominator, out=np.zeros_like(dots), where=denominator > 0)


def top_columns(sims: Floats, targets: Int32s, k: int) -> Triplets:
    """The ``k`` largest positive entries of every column: (neighbour, target, similarity)."""
    k = min(k, sims.shape[0])
    if k == 0:
        empty = np.zeros(0, dtype=np.int32)
        return empty, empty, np.zeros(0, dtype=np.float32)
    part = np.argpartition(-sims, k - 1, axis=0)[:k] if k < sims.shape[0] else None
    if part is None:
        part = np.broadcast_to(np.arange(sims.shape[0])[:, None], sims.shape)
    values = np.take_along_axis(sims, part, axis=0)
    cols = np.broadcast_to(targets[None, :], part.shape)
    keep = values > 0
    return part[keep].astype(np.int32), cols[keep].astype(np.int32), values[keep].astype(np.float32)


def neighbours(
    a: sp.csc_matrix, targets: Int32s, k: int, shrink: float, similarity: Similarity
) -> Triplets:
    """The top-``k`` neighbours of each target column of ``a`` among all its columns."""
    stats = column_stats(a)
    a_t = sp.csr_matrix(a.T)
    block = max(1, BLOCK_CELLS // max(a.shape[1], 1))
    parts: list[Triplets] = []
    for start in range(0, targets.shape[0], block):
        chunk = targets[start : start + block]
        dots = np.asarray((a_t @ a[:, chunk]).toarray(), dtype=np.float64)  # (N, B)
        target_stats = (stats[0][chunk], stats[1][chunk])
        sims = normalise(dots, stats, target_stats, a.shape[0], shrink, similarity)
        sims[chunk, np.arange(chunk.shape[0])] = 0.0  # never one's own neighbour
        parts.append(top_columns(sims, chunk, k))
    if not parts:
        return top_columns(np.zeros((0, 0)), targets[:0], 0)
    rows, cols, values = (np.concatenate([part[n] for part in parts]) for n in range(3))
    return rows, cols, values


def replace_columns(w: sp.csr_matrix, targets: Int32s, fresh: Triplets) -> sp.csr_matrix:
    """``w`` with the columns ``targets`` replaced by the triplets ``fresh``."""
    old = w.tocoo()
    keep = ~np.isin(old.col, targets)
    rows = np.concatenate([old.row[keep], fresh[0]])
    cols = np.concatenate([old.col[keep], fresh[1]])
    data = np.concatenate([old.data[keep], fresh[2]])
    return sp.csr_matrix((data, (rows, cols)), shape=w.shape, dtype=np.float32)


class _KNN(CFModel):
    """Hyper-parameters and persistence shared by the two neighbourhood models."""

    weights_: sp.csr_matrix  # (N, N) sparse similarities, N items or users

    def __init__(
        self, k: int = 100, shrink: float = 0.0, similarity: Similarity = "cosine", name: str = ""
    ) -> None:
        check_count("k", k)
        check_positive("shrink", shrink, allow_zero=True)
        if similarity not in _SIMILARITIES:
            raise ValueError(f"similarity must be one of {_SIMILARITIES}, got {similarity!r}")
        self.k = k
        self.shrink = shrink
        self.similarity = similarity
        self.name = name

    def _neighbours(self, a: sp.csc_matrix, targets: Int32s) -> Triplets:
        return neighbours(a, targets, self.k, float(self.shrink), self.similarity)

    def state(self) -> State:
        """Learned arrays, for ``np.savez``."""
        return {**csr_state("user_items", self.user_items_), **csr_state("sim", self.weights_)}

    def init_params(self) -> dict[str, Any]:
        """The constructor's keyword arguments (JSON-ready)."""
        return {
            "k": self.k,
            "shrink": self.shrink,
            "similarity": self.similarity,
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
        model.weights_ = csr_from_state("sim", state)
        return model


@persistable("itemknn")
class ItemKNN(AdditiveHistory, _KNN):
    """Item-based kNN; ``weights_[i, j]`` is ``sim(i, j)`` when ``i`` is a neighbour of ``j``."""

    def __init__(
        self,
        k: int = 100,
        shrink: float = 0.0,
        similarity: Similarity = "cosine",
        name: str = "itemknn",
    ) -> None:
        super().__init__(k, shrink, similarity, name)

    def fit(self, data: Interactions) -> Self:
        """Item-item similarities from scratch."""
        x = self._set_matrix(data.matrix())
        items = np.arange(x.shape[1], dtype=np.int32)
        rows, cols, values = self._neighbours(x.tocsc(), items)
        self.weights_ = sp.csr_matrix((values, (rows, cols)), shape=(x.shape[1],) * 2)
        return self

    def update(self, data: Interactions) -> None:
        """Add ``data``; recompute the neighbour lists of the items it touched.

        Users are scored from their updated rows at once; lists of untouched items refresh on
        the next ``fit``.
        """
        x, _, items = self._merge(data)
        weights = resized(self.weights_, (x.shape[1], x.shape[1]))
        self.weights_ = replace_columns(weights, items, self._neighbours(x.tocsc(), items))

    def forget(self, users: Int32s) -> None:
        """Deleted users leave the matrix, and every neighbour list their items are in (or
        head) is recomputed: two items related only through them stop being related."""
        x, items = self._without_rows(np.asarray(users, dtype=np.int32))
        if not items.size:
            return
        weights = resized(self.weights_, (x.shape[1], x.shape[1]))
        listing = np.unique(weights[items].indices).astype(np.int32)  # lists they appear in
        targets = np.union1d(items, listing).astype(np.int32)
        self.weights_ = replace_columns(weights, targets, self._neighbours(x.tocsc(), targets))

    def _score_users(self, users: Int32s) -> Float32s:
        scores = (self.user_items_[users] @ self.weights_).toarray()
        return np.asarray(scores, dtype=np.float32)

    def _rows_sum(self, items: Int32s) -> npt.NDArray[np.float64]:
        return csr_rows_sum(self.weights_, items)

    def _history_row(self, summed: npt.NDArray[np.float64]) -> Float32s:
        return summed.astype(np.float32)


@persistable("userknn")
class UserKNN(AdditiveHistory, _KNN):
    """User-based kNN; ``weights_[u, v]`` is ``sim(u, v)`` when ``v`` is a neighbour of ``u``."""

    def __init__(
        self,
        k: int = 100,
        shrink: float = 0.0,
        similarity: Similarity = "cosine",
        name: str = "userknn",
    ) -> None:
        super().__init__(k, shrink, similarity, name)

    def fit(self, data: Interactions) -> Self:
        """User-user similarities from scratch."""
        x = self._set_matrix(data.matrix())
        users = np.arange(x.shape[0], dtype=np.int32)
        rows, cols, values = self._neighbours(sp.csc_matrix(x.T), users)
        self.weights_ = sp.csr_matrix((values, (cols, rows)), shape=(x.shape[0],) * 2)
        return self

    def update(self, data: Interactions) -> None:
        """Add ``data``; recompute the neighbour lists of the users it touched."""
        x, users, _ = self._merge(data)
        rows, cols, values = self._neighbours(sp.csc_matrix(x.T), users)
        weights = resized(self.weights_, (x.shape[0], x.shape[0])).T
        self.weights_ = sp.csr_matrix(replace_columns(weights, users, (rows, cols, values)).T)

    def forget(self, users: Int32s) -> None:
        """Deleted users leave the matrix, their neighbour lists go, and the users who had
        them as a neighbour get their lists recomputed."""
        users = np.asarray(users, dtype=np.int32)
        x, _ = self._without_rows(users)
        size = x.shape[0]
        weights = resized(self.weights_, (size, size))
        users = users[(users >= 0) & (users < size)]
        if not users.size:
            return
        had = np.unique(sp.csc_matrix(weights)[:, users].indices).astype(np.int32)
        targets = np.union1d(had, users).astype(np.int32)
        rows, cols, values = self._neighbours(sp.csc_matrix(x.T), targets)
        fresh = replace_columns(weights.T.tocsr(), targets, (rows, cols, values)).T
        fresh = sp.csr_matrix(fresh)
        self.weights_ = sp.csr_matrix(emptied_rows(emptied_rows(fresh, users).T.tocsr(), users).T)

    def _score_users(self, users: Int32s) -> Float32s:
        scores = (self.weights_[users] @ self.user_items_).toarray()
        return np.asarray(scores, dtype=np.float32)

    # A history's overlap with every user is a sum over its items (their users): a served
    # user's overlaps move with their history (row_cache), plus the history's length.
    def _sum_basis(self) -> Any:
        return self.user_items_

    def _sum_width(self) -> int:
        return int(self.user_items_.shape[0]) + 1

    def _rows_sum(self, items: Int32s) -> npt.NDArray[np.float64]:
        overlaps = csr_rows_sum(self._by_item(), items)  # the items' users only
        return np.append(overlaps, float(items.shape[0]))

    def _history_row(self, summed: npt.NDArray[np.float64]) -> Float32s:
        x = self.user_items_  # binary, so each user's sum and sum of squares is their count
        dots = summed[:-1, None]  # (U, 1)
        counts = np.diff(x.indptr).astype(np.float64)
        n = summed[-1:]
        sims = normalise(
            dots, (counts, counts), (n, n), x.shape[1], float(self.shrink), self.similarity
        )
        neighbour, _, values = top_columns(sims, np.zeros(1, dtype=np.int32), self.k)
        weights = np.bincount(neighbour, weights=values, minlength=x.shape[0])
        return np.asarray(self._by_item() @ weights.astype(np.float32), dtype=np.float32)

    def _by_item(self) -> sp.csr_matrix:
        """The interaction matrix item by item (its transpose in csr), kept until it changes."""
        x = self.user_items_
        return derived(self, "_by_item_of", x, lambda: sp.csr_matrix(x.T))
