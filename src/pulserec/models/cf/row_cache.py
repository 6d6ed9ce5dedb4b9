"""Per-user score rows of an additive model, moved by one row per event instead of recomputed.

Some models score a history as the sum of one row per history item (EASE: ``sum_h B[h]``;
item-kNN: ``sum_h W[h]``). Between two requests of a user, the history changes by an item or
two, so the new row is the old one plus the rows of the items that came in, minus those of the
items that left: a few rows read instead of a hundred (the full sum reads ``history x items``
floats from memory that no cache holds, which is what made EASE cost 250 us a request here).

Rows are kept in float64, where adding and removing float32 rows is exact to about 1e-16, and
returned as float32, so a row equals the model's full sum (also accumulated in float64) but in
the rare case where two float64 sums straddle a float32 rounding boundary. Entries are whole
new arrays, never written in place, so concurrent requests need no lock. The cache holds at
most ``budget_bytes`` of rows (least recently used out first) and is off for catalogs so large
that a row per user is not worth keeping (``max_items``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

Int32s = npt.NDArray[np.int32]
Float32s = npt.NDArray[np.float32]
Float64s = npt.NDArray[np.float64]
DEFAULT_BUDGET_BYTES = 256 * 2**20
MAX_ITEMS = 200_000
REUSE_SHARE = 0.5  # beyond this share of the history changed, the full sum is as cheap


class HistoryRowCache:
    """``row(owner, items)``: the float32 sum of ``rows_sum(items)`` for a user's history."""

    def __init__(
        self,
        rows_sum: Callable[[Int32s], Float64s],
        n_columns: int,
        budget_bytes: int = DEFAULT_BUDGET_BYTES,
        max_items: int = MAX_ITEMS,
    ) -> None:
        self.rows_sum = rows_sum  # (n,) item indices -> (n_columns,) float64 sum of their rows
        self.capacity = 0 if n_columns > max_items else budget_bytes // max(8 * n_columns, 1)
        self._entries: OrderedDict[int, tuple[Int32s, Float64s]] = OrderedDict()
        self._lock = threading.Lock()  # guards the ordering only; entries are immutable

    def row(self, owner: int, items: Int32s) -> Float64s:
        """The sum of the rows of ``items`` (sorted, distinct) for ``owner`` (-1: no cache)."""
        if owner < 0 or self.capacity == 0:
            return self.rows_sum(items)
        with self._lock:
            cached = self._entries.get(owner)
            if cached is not None:
                self._entries.move_to_end(owner)
        row = self._moved(cached, items) if cached is not None else None
        if row is None:
            row = self.rows_sum(items)
        elif cached is not None and row is cached[1]:
            return row
        with self._lock:
            self._entries[owner] = (items, row)
            self._entries.move_to_end(owner)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
        return row

    def _moved(self, cached: tuple[Int32s, Float64s], items: Int32s) -> Float64s | None:
        """The cached row moved to ``items``; None when too much changed to be worth it."""
        before, row = cached
        if before.shape == items.shape and np.array_equal(before, items):
            return row
        added, removed = _missing(items, before), _missing(before, items)
        if added.size + removed.size > REUSE_SHARE * max(items.size, 1):
            return None
        moved = row.copy()
        if added.size:
            moved += self.rows_sum(added.astype(np.int32))
        if removed.size:
            moved -= self.rows_sum(removed.astype(np.int32))
        return moved

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _missing(these: Int32s, others: Int32s) -> Int32s:
    """The entries of ``these`` not in ``others`` (both sorted and distinct): a binary search
    each, where ``np.setdiff1d`` sorts and hashes both again (a tenth of a request's time)."""
    if not others.size:
        return these
    at = np.minimum(np.searchsorted(others, these), others.size - 1)
    missing: Int32s = these[others[at] != these]
    return missing
