"""Positive events as growing (item, timestamp, user) columns, for trending over any window;
a deleted user's rows are taken out (``forget_user``)."""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt

Int32s = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float64]


class EventLog:
    """Item/timestamp/user columns; ``window_counts`` answers ``/v1/popular?window=``."""

    def __init__(self) -> None:
        self._items = np.zeros(1024, dtype=np.int32)
        self._times = np.zeros(1024, dtype=np.float64)
        self._users = np.full(1024, -1, dtype=np.int32)
        self._size = 0
        self.newest = -np.inf
        self._lock = threading.Lock()
        self._cache: dict[tuple[float, int, int], Floats] = {}

    def __len__(self) -> int:
        return self._size

    def append(self, items: Int32s, timestamps: Floats, users: Int32s | None = None) -> None:
        """Add events (``users``: whose, so that a deleted user's can be taken out)."""
        with self._lock:
            end = self._size + items.shape[0]
            if end > self._items.shape[0]:
                capacity = max(end, 2 * self._items.shape[0])
                self._items = np.resize(self._items, capacity)
                self._times = np.resize(self._times, capacity)
                self._users = np.resize(self._users, capacity)
            self._items[self._size : end] = items
            self._times[self._size : end] = timestamps
            self._users[self._size : end] = -1 if users is None else users
            self._size = end
            if timestamps.size:
                self.newest = max(self.newest, float(timestamps.max()))

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
