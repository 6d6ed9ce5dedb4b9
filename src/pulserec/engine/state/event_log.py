"""Positive events as (item, timestamp, user) columns, for trending over any window; a deleted
user's rows are taken out (``forget_user``).

Bounded: rows older than ``RETENTION_S`` before the newest event, and beyond ``MAX_ROWS`` the
oldest by time, are dropped (down to three quarters of ``MAX_ROWS``, so pruning is rare). A
window reaching before ``floor`` (the newest dropped time) counts only the rows kept; the
all-time and 30-day tiers of the popularity ranking come from the trending counter, which keeps
no rows.
"""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt

Int32s = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float64]
RETENTION_S = 3650 * 86_400.0  # the longest ``window`` accepted (lookups.LONGEST_WINDOW_DAYS)
MAX_ROWS = 2**21  # 16 bytes a row: 32 MiB at most (plus one batch)


class EventLog:
    """Item/timestamp/user columns; ``window_counts`` answers ``/v1/popular?window=``."""

    def __init__(self, max_rows: int | None = None, retention_s: float = RETENTION_S) -> None:
        self.max_rows = MAX_ROWS if max_rows is None else max_rows
        self.retention_s = retention_s
        self._items = np.zeros(1024, dtype=np.int32)
        self._times = np.zeros(1024, dtype=np.float64)
        self._users = np.full(1024, -1, dtype=np.int32)
        self._size = 0
        self.appended = 0  # rows ever appended: grows while the rows kept are bounded
        self.newest = -np.inf
        self.floor = -np.inf  # the newest time dropped: windows before it are partial
        self._lock = threading.Lock()
        self._cache: dict[tuple[float, int, int], Floats] = {}

    def __len__(self) -> int:
        """The rows kept."""
        return self._size

    def append(self, items: Int32s, timestamps: Floats, users: Int32s | None = None) -> None:
        """Add events (``users``: whose, so that a deleted user's can be taken out)."""
        with self._lock:
            if timestamps.size:
                self.newest = max(self.newest, float(timestamps.max()))
            end = self._size + items.shape[0]
            if end > self._items.shape[0]:
                self._prune(self.max_rows)  # what is past retention goes before growing
                end = self._size + items.shape[0]
            if end > self._items.shape[0]:
                capacity = max(end, min(2 * self._items.shape[0], self.max_rows + 1024))
                self._items = np.resize(self._items, capacity)
                self._times = np.resize(self._times, capacity)
                self._users = np.resize(self._users, capacity)
            self._items[self._size : end] = items
            self._times[self._size : end] = timestamps
            self._users[self._size : end] = -1 if users is None else users
            self._size = end
            self.appended += int(items.shape[0])
            if self._size > self.max_rows:
                self._prune(self.max_rows * 3 // 4)

    def _prune(self, target: int) -> None:
        """Keep rows within retention of the newest, at most ``target`` (the newest by
        time); the caller holds the lock."""
        size = self._size
        times = self._times[:size]
        keep = times >= self.newest - self.retention_s
        if int(keep.sum()) > target:
            inside = np.flatnonzero(keep)
            newest_first = inside[np.argsort(-times[inside], kind="stable")[:target]]
            keep = np.zeros(size, dtype=bool)
            keep[newest_first] = True
        if keep.all():
            return
        self.floor = max(self.floor, float(times[~keep].max()))
        kept = int(keep.sum())
        self._items[:kept] = self._items[:size][keep]
        self._times[:kept] = times[keep]
        self._users[:kept] = self._users[:size][keep]
        self._size = kept
        self._cache = {}

    def forget_user(self, user: int) -> tuple[Int32s, Floats]:
        """Take a user's events out; returns their items and timestamps (for the counters)."""
        with self._lock:
            size = self._size
            theirs = self._users[:size] == user
            if not theirs.any():
                return np.zeros(0, np.int32), np.zeros(0, np.float64)
            items, times = self._items[:size][theirs].copy(), self._times[:size][theirs].copy()
            keep = ~theirs
            kept = int(keep.sum())
            self._items[:kept] = self._items[:size][keep]
            self._times[:kept] = self._times[:size][keep]
            self._users[:kept] = self._users[:size][keep]
            self._size = kept
            self.newest = float(self._times[:kept].max()) if kept else -np.inf
            self._cache = {}
            return items, times

    def last_seen(self, items: Int32s) -> Floats:
        """Each of ``items``' newest remaining event time (-inf: none left)."""
        size = self._size
        newest = np.full(int(items.max()) + 1 if items.size else 0, -np.inf)
        known = self._items[:size] < newest.shape[0]
        np.maximum.at(newest, self._items[:size][known], self._times[:size][known])
        out: Floats = newest[items]
        return out

    def window_counts(self, window_seconds: float, n_items: int) -> Floats:
        """Per item: events in the last ``window_seconds`` before the newest event, each weighted
        by ``0.5 ** (age / (window / 2))`` so the most recent part of the window counts most."""
        key = (window_seconds, self._size, n_items)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        size = self._size
        times, items = self._times[:size], self._items[:size]
        inside = times >= self.newest - window_seconds
        age = self.newest - times[inside]
        weights = np.power(0.5, age / (window_seconds / 2))
        counts: Floats = np.bincount(items[inside], weights=weights, minlength=n_items)[
            :n_items
        ].astype(np.float64)
        self._cache = {key: counts}
        return counts
