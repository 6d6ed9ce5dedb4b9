"""Positive events as growing (item, timestamp) columns, for trending over any window."""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt

Int32s = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float64]


class EventLog:
    """Append-only item/timestamp columns; ``window_counts`` answers ``/v1/popular?window=``."""

    def __init__(self) -> None:
        self._items = np.zeros(1024, dtype=np.int32)
        self._times = np.zeros(1024, dtype=np.float64)
        self._size = 0
        self.newest = -np.inf
        self._lock = threading.Lock()
        self._cache: dict[tuple[float, int, int], Floats] = {}

    def __len__(self) -> int:
        return self._size

    def append(self, items: Int32s, timestamps: Floats) -> None:
        with self._lock:
            end = self._size + items.shape[0]
            if end > self._items.shape[0]:
                capacity = max(end, 2 * self._items.shape[0])
                self._items = np.resize(self._items, capacity)
                self._times = np.resize(self._times, capacity)
            self._items[self._size : end] = items
            self._times[self._size : end] = timestamps
            self._size = end
            if timestamps.size:
                self.newest = max(self.newest, float(timestamps.max()))

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
