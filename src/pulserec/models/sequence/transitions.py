"""Transitions (sequential rules): what people engaged with next after the items a user just did.

Counts, over every user's positive events in time order, how often item ``j`` followed item
``i`` within ``window`` steps, each step further weighing ``decay`` times less; rows are
normalised to sum to one. A user is scored from their latest ``recent`` items, the newest
weighing most (``recent_decay`` per step back). Cheap to fit (sparse counts, seconds on a
million events), updated online with every event, and a strong next-item signal where the
order of events carries one; the hybrid also reads its lift to decide whether fitting the
costly sequence network pays.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
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
    check_count,
    check_positive,
    csr_from_state,
    csr_state,
    derived,
    resized,
)
from pulserec.models.persistable import Model, persistable
from pulserec.models.sequence.sequences import user_sequences

MERGE_EVERY = 50_000  # waiting pairs that join the count matrix at once
MOVED_ROWS = 4  # a kept row moved by at most this many rows, else read again
FLOOR = 1e-12  # below: no transition (what moving a row leaves where a row was taken out)
KEPT_BYTES = 64 * 2**20  # kept rows per model
Int64s = npt.NDArray[np.int64]


def follow_pairs(
    sequences: list[npt.NDArray[np.int64]], window: int, decay: float, since: list[int] | None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """(earlier item, later item, weight) for every pair at most ``window`` steps apart in
    each sequence; with ``since``, only pairs whose later item is at or after that position."""
    rows, cols, weights = [], [], []
    for number, seq in enumerate(sequences):
        start = 0 if since is None else since[number]
        for lag in range(1, window + 1):
            later = np.arange(max(lag, start), seq.shape[0])
            if later.size:
                rows.append(seq[later - lag])
                cols.append(seq[later])
                weights.append(np.full(later.size, decay ** (lag - 1)))
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float64)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(weights)


@persistable("transitions")
class Transitions(Leaf):
    """Next-item scores from counted transitions between consecutive engagements."""

    _base: sp.csr_matrix  # the counts merged so far
    _n: int  # items the counts cover
    _pending: dict[int, tuple[list[int], list[float]]]  # counts waiting: row -> (columns, weights)
    _changed: object

    def __init__(
        self,
        window: int = 10,
        decay: float = 0.8,
        recent: int = 10,
        recent_decay: float = 0.8,
        name: str = "transitions",
    ) -> None:
        check_count("window", window)
        check_count("recent", recent)
        check_positive("decay", decay)
        check_positive("recent_decay", recent_decay)
        self.window, self.decay = window, decay
        self.recent, self.recent_decay = recent, recent_decay
        self.name = name

    def fit(self, data: Interactions) -> Self:
        self.sequences_ = [np.array(s, dtype=np.int64) - 1 for s in user_sequences(data)]
        self.counts_ = self._counts(self.sequences_, None, data.n_items)
        return self

    @property
    def counts_(self) -> sp.csr_matrix:
        """The weighted transition counts (``from -> to``), with every event applied."""
        if self._base.shape[0] < self._n:  # the catalog grew
            self._base = resized(self._base, (self._n, self._n))
        if self._pending:
            rows = [np.full(len(cols), row) for row, (cols, _) in self._pending.items()]
            cols = [np.array(cols, dtype=np.int64) for cols, _ in self._pending.values()]
            weights = [np.array(w, dtype=np.float64) for _, w in self._pending.values()]
            n = self._n
            fresh = sp.csr_matrix(
                (np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))),
                shape=(n, n),
                dtype=np.float64,
            )
            fresh.sum_duplicates()
            self._base = resized(self._base, (n, n)) + fresh
            self._pending, self._pending_size = {}, 0
        return self._base

    @counts_.setter
    def counts_(self, counts: sp.csr_matrix) -> None:
        self._base = sp.csr_matrix(counts)
        self._n = counts.shape[0]
        self._pending = {}
        self._pending_size = 0
        self.totals_ = np.asarray(counts.sum(axis=1), dtype=np.float64).ravel()
        self._changed = object()  # replaced on every change of the counts: kept rows go

    def _counts(
        self, sequences: list[npt.NDArray[np.int64]], since: list[int] | None, n: int
    ) -> sp.csr_matrix:
        rows, cols, weights = follow_pairs(sequences, self.window, self.decay, since)
        counts = sp.csr_matrix((weights, (rows, cols)), shape=(n, n), dtype=np.float64)
        counts.sum_duplicates()
        return counts

    @property
    def transitions(self) -> sp.csr_matrix:
        """Row-normalised counts (built once per change of the counts)."""
        counts = self.counts_

        def build() -> sp.csr_matrix:
            totals = np.asarray(counts.sum(axis=1)).ravel()
            inverse = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
            return sp.csr_matrix(sp.diags(inverse) @ counts, dtype=np.float32)

        return derived(self, "_transitions", counts, build)

    def update(self, data: Interactions) -> None:
        """Append new positives to their users' sequences and count the transitions they
        make with what came before (the counts grow with the catalog). The new counts wait
        beside the matrix (a request reads both) and join it every ``MERGE_EVERY`` pairs, so an
        event costs its own pairs, not a copy of the matrix."""
        fresh = [np.array(s, dtype=np.int64) - 1 for s in user_sequences(data)]
        self.sequences_.extend(
            np.zeros(0, dtype=np.int64) for _ in range(len(fresh) - len(self.sequences_))
        )
        touched = [u for u, items in enumerate(fresh) if items.size]
        if not touched:
            return
        joined, since = [], []
        for user in touched:
            tail = self.sequences_[user][-self.window :]
            joined.append(np.concatenate([tail, fresh[user]]))
            since.append(tail.shape[0])
            self.sequences_[user] = np.concatenate([self.sequences_[user], fresh[user]])
        rows, cols, weights = follow_pairs(joined, self.window, self.decay, since)
        self._n = max(self._n, data.n_items)
        totals = np.zeros(self._n, dtype=np.float64)
        totals[: self.totals_.shape[0]] = self.totals_
        self.totals_ = totals + np.bincount(rows, weights=weights, minlength=self._n)
        for row, col, weight in zip(rows.tolist(), cols.tolist(), weights.tolist(), strict=True):
            waiting = self._pending.setdefault(row, ([], []))
            waiting[0].append(col)
            waiting[1].append(weight)
        self._pending_size += rows.shape[0]
        self._changed = object()
        if self._pending_size > MERGE_EVERY:
            _ = self.counts_

    def forget(self, users: Int32s) -> None:
        """Deleted users' sequences go, and every transition they made with them."""
        gone = [int(u) for u in users if 0 <= u < len(self.sequences_)]
        theirs = [self.sequences_[u] for u in gone if self.sequences_[u].size]
        if not theirs:
            return
        n = self.counts_.shape[0]
        remaining = self.counts_ - self._counts(theirs, None, n)
        remaining.data[np.abs(remaining.data) < 1e-9] = 0.0
        remaining.eliminate_zeros()
        self.counts_ = sp.csr_matrix(remaining)
        for user in gone:
            self.sequences_[user] = np.zeros(0, dtype=np.int64)

    def _recent_rows(self, histories: list[npt.NDArray[np.int64]]) -> sp.csr_matrix:
        """(B, I) weights of each history's latest items, the newest weighing 1."""
        n = self.counts_.shape[0]
        rows, cols, weights = [], [], []
        for row, history in enumerate(histories):
            latest = history[(history >= 0) & (history < n)][-self.recent :]
            rows.append(np.full(latest.size, row))
            cols.append(latest)
            weights.append(self.recent_decay ** np.arange(latest.size)[::-1])
        if not histories:
            return sp.csr_matrix((0, n), dtype=np.float32)
        return sp.csr_matrix(
            (np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))),
            shape=(len(histories), n),
            dtype=np.float32,
        )

    def _scores(self, histories: list[npt.NDArray[np.int64]], n_items: int) -> Float32s:
        found = np.asarray((self._recent_rows(histories) @ self.transitions).toarray())
        scores = np.full((len(histories), n_items), -np.inf, dtype=np.float32)
        n = min(n_items, found.shape[1])
        scores[:, :n] = np.where(found[:, :n] > 0, found[:, :n], -np.inf)
        return scores

    def score(self, users: Int32s) -> Float32s:
        empty = np.zeros(0, dtype=np.int64)
        known = len(self.sequences_)
        histories = [self.sequences_[u] if 0 <= u < known else empty for u in users.tolist()]
        return self._scores(histories, self.counts_.shape[0])

    def _history(self, query: Query) -> npt.NDArray[np.int64]:
        if 0 <= query.user < len(self.sequences_) and self.sequences_[query.user].size:
            return self.sequences_[query.user]
        return np.asarray(query.history, dtype=np.int64)

    def query_row(self, query: Query) -> Float32s:
        """One user's scores over the items the counts know (``-inf`` for none), read from the
        rows of their latest items only: the matrix's and the counts waiting beside it. A
        served user's row (``query.owner``) is kept and moved: after one more item, every
        earlier item's weight is ``recent_decay`` times what it was, so the new row is that
        multiple of the kept one plus the rows whose weight changed otherwise (the new item,
        the one pushed out), two rows read instead of ``recent``."""
        history = self._history(query)
        latest = history[(history >= 0) & (history < self._n)][-self.recent :]
        factor = self._factors(latest)
        found = (
            self._weighted_rows(factor) if query.owner < 0 else self._kept_row(query.owner, factor)
        )
        return np.where(found > FLOOR, found, -np.inf).astype(np.float32)

    def _factors(self, latest: Int64s) -> dict[int, float]:
        """Each latest item's weight: ``recent_decay`` per step back over its row's total."""
        steps = self.recent_decay ** np.arange(latest.size, dtype=np.float64)[::-1]
        factor: dict[int, float] = {}
        for item, step in zip(latest.tolist(), steps.tolist(), strict=True):
            total = float(self.totals_[item])
            if total > 0:
                factor[item] = factor.get(item, 0.0) + step / total
        return factor

    def _weighted_rows(self, factor: dict[int, float]) -> npt.NDArray[np.float64]:
        """The float64 sum of the count rows of ``factor``'s items, each times its weight."""
        base = self._base
        keys = np.fromiter(factor, dtype=np.int64, count=len(factor))
        weights = np.fromiter(factor.values(), dtype=np.float64, count=len(factor))
        inside = keys < base.shape[0]
        starts = base.indptr[keys[inside]]
        lengths = base.indptr[keys[inside] + 1] - starts
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        offsets += np.arange(offsets.shape[0])
        columns = [base.indices[offsets]]
        values = [base.data[offsets] * np.repeat(weights[inside], lengths)]
        for item, weight in factor.items() if self._pending else ():
            waiting = self._pending.get(item)
            if waiting is not None:
                columns.append(np.array(waiting[0], dtype=np.int32))
                values.append(np.array(waiting[1], dtype=np.float64) * weight)
        found = np.bincount(np.concatenate(columns), np.concatenate(values), minlength=self._n)
        return np.asarray(found, dtype=np.float64)

    def _kept_row(self, owner: int, factor: dict[int, float]) -> npt.NDArray[np.float64]:
        kept = derived(self, "_kept_of", self._changed, lambda: KeptRows(self._n))
        before = kept.get(owner)
        row = None
        if before is not None:
            old, kept_row = before
            decay = self.recent_decay
            moved = {
                item: change
                for item in factor.keys() | old.keys()
                if abs(change := factor.get(item, 0.0) - decay * old.get(item, 0.0))
                > 1e-9 * max(factor.get(item, 0.0), decay * old.get(item, 0.0))
            }
            if len(moved) <= MOVED_ROWS:
                row = decay * kept_row  # every earlier weight decayed by one step
                if moved:
                    row += self._weighted_rows(moved)
        if row is None:
            row = self._weighted_rows(factor)
        kept.put(owner, factor, row)
        return row

    def retrieve(self, query: Query, k: int) -> Candidates:
        return candidates_from_scores(self.query_row(query), query, k, self.name)

    # -- persistence -----------------------------------------------------------------------
    def init_params(self) -> dict[str, Any]:
        return {
            "window": self.window,
            "decay": self.decay,
            "recent": self.recent,
            "recent_decay": self.recent_decay,
            "name": self.name,
        }

    def state(self) -> State:
        """The counts and the users' sequences (one flat array plus offsets)."""
        lengths = np.array([s.shape[0] for s in self.sequences_], dtype=np.int64)
        flat = np.concatenate([*self.sequences_, np.zeros(0, dtype=np.int64)])
        return {
            **csr_state("counts", self.counts_),
            "sequences": flat.astype(np.int32),
            "offsets": np.concatenate([np.zeros(1, np.int64), np.cumsum(lengths)]),
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
        model = cls(**params)
        model.counts_ = csr_from_state("counts", state)
        flat = state["sequences"].astype(np.int64)
        offsets = state["offsets"].tolist()
        model.sequences_ = [flat[a:b] for a, b in itertools.pairwise(offsets)]
        return model


class KeptRows:
    """Served users' float64 rows with the weights they were summed with, least recently used
    out past ``KEPT_BYTES`` (none kept for catalogs where a row is over 1 MB)."""

    def __init__(self, n_items: int) -> None:
        self.capacity = 0 if n_items > 2**17 else KEPT_BYTES // max(8 * n_items, 1)
        self._rows: OrderedDict[int, tuple[dict[int, float], npt.NDArray[np.float64]]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def get(self, owner: int) -> tuple[dict[int, float], npt.NDArray[np.float64]] | None:
        with self._lock:
            return self._rows.get(owner)

    def put(self, owner: int, factor: dict[int, float], row: npt.NDArray[np.float64]) -> None:
        if not self.capacity:
            return
        with self._lock:
            self._rows[owner] = (factor, row)
            self._rows.move_to_end(owner)
            while len(self._rows) > self.capacity:
                self._rows.popitem(last=False)
