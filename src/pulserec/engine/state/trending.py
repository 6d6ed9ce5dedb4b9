"""Trending: positive events per item with exponential time decay, updated in O(1) per event.

The decayed mass ``sum(2 ** ((t - origin) / half_life))`` is kept as its base-2 logarithm, so
no count ever underflows to zero however far apart events are (one event stamped today on
data from 1998 leaves the 1998 order intact). Ranking reads the log directly; the scale common
to every item never matters. Beside it: all-time counts and each item's newest event time,
which the longer horizons of :mod:`pulserec.engine.state.popularity` rank by.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Int32s = npt.NDArray[np.int32]


class TrendingCounter:
    """Time-decayed event counts, all-time counts and newest event time per item index."""

    def __init__(self, half_life_seconds: float = 7 * 86_400.0) -> None:
        if half_life_seconds <= 0:
            raise ValueError("half_life_seconds must be positive")
        self.half_life = half_life_seconds
        self.origin: float | None = None
        self.newest = -np.inf
        self._log_mass: Floats = np.full(1024, -np.inf, dtype=np.float64)
        self._counts: Floats = np.zeros(1024, dtype=np.float64)
        self._last: Floats = np.full(1024, -np.inf, dtype=np.float64)

    def _grow(self, size: int) -> None:
        if size <= self._counts.shape[0]:
            return
        capacity = max(size, 2 * self._counts.shape[0])
        self._log_mass = _grown(self._log_mass, capacity, -np.inf)
        self._counts = _grown(self._counts, capacity, 0.0)
        self._last = _grown(self._last, capacity, -np.inf)

    def add(self, items: Int32s, timestamps: Floats) -> None:
        """Count one event per (item, timestamp) pair."""
        if items.size == 0:
            return
        self._grow(int(items.max()) + 1)
        if self.origin is None:
            self.origin = float(timestamps.min())
        self.newest = max(self.newest, float(timestamps.max()))
        exponents = (np.asarray(timestamps, dtype=np.float64) - self.origin) / self.half_life
        np.logaddexp2.at(self._log_mass, items, exponents)
        np.add.at(self._counts, items, 1.0)
        np.maximum.at(self._last, items, timestamps)

    def remove(self, items: Int32s, timestamps: Floats, last_seen: Floats) -> None:
        """Take events back out (a deleted user's): each item's decayed mass loses their share,
        its count drops, and ``last_seen`` (aligned with ``np.unique(items)``) is its newest
        remaining event time. An item left with no event has no mass at all."""
        if items.size == 0 or self.origin is None:
            return
        exponents = (np.asarray(timestamps, dtype=np.float64) - self.origin) / self.half_life
        touched, where = np.unique(items, return_inverse=True)
        removed = np.full(touched.shape[0], -np.inf)
        np.logaddexp2.at(removed, where, exponents)
        mass = self._log_mass[touched]
        left = 1.0 - np.exp2(np.minimum(removed - mass, 0.0))
        np.subtract.at(self._counts, items, 1.0)
        counts = np.maximum(self._counts[touched], 0.0)
        self._counts[touched] = counts
        empty = (counts <= 0) | (left <= 1e-12)
        self._log_mass[touched] = np.where(
            empty, -np.inf, mass + np.log2(np.where(empty, 1.0, left))
        )
        self._last[touched] = last_seen

    def forget(self, item: int) -> None:
        """Drop an item's counts (a deleted item)."""
        if item < self._counts.shape[0]:
            self._log_mass[item] = -np.inf
            self._counts[item] = 0.0
            self._last[item] = -np.inf

    def log_scores(self, n_items: int) -> Floats:
        """log2 of the decayed counts for items ``0..n_items-1`` (-inf: no event), up to a
        constant shared by every item: what trending ranks by."""
        self._grow(n_items)
        return self._log_mass[:n_items]

    def scores(self, n_items: int) -> Floats:
        """Decayed counts as of the newest event (an event one half-life old counts 0.5)."""
        self._grow(n_items)
        if self.origin is None:
            return np.zeros(n_items, dtype=np.float64)
        now = (self.newest - self.origin) / self.half_life
        out: Floats = np.exp2(self._log_mass[:n_items] - now)
        return out

    def counts(self, n_items: int) -> Floats:
        """All-time positive event counts."""
        self._grow(n_items)
        return self._counts[:n_items]

    def last_seen(self, n_items: int) -> Floats:
        """Each item's newest positive event time (-inf: none)."""
        self._grow(n_items)
        return self._last[:n_items]


def _grown(array: Floats, capacity: int, fill: float) -> Floats:
    out = np.full(capacity, fill, dtype=array.dtype)
    out[: array.shape[0]] = array
    return out
