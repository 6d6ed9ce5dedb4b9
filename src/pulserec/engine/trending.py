"""Trending: positive events per item with exponential time decay, updated in O(1) per event.

Scores are kept as ``sum(2 ** ((t - origin) / half_life))`` so that adding an event never
touches other items; reading divides by ``2 ** ((newest - origin) / half_life)``. Time is the
newest event's timestamp, not the wall clock, so historical data behaves. The origin moves
forward (one rescale of the array) before the exponent could overflow.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
_REBASE_EXPONENT = 512.0


class TrendingCounter:
    """Time-decayed event counts per item index."""

    def __init__(self, half_life_seconds: float = 7 * 86_400.0) -> None:
        if half_life_seconds <= 0:
            raise ValueError("half_life_seconds must be positive")
        self.half_life = half_life_seconds
        self.origin: float | None = None
        self.newest = -np.inf
        self._mass: Floats = np.zeros(1024, dtype=np.float64)

    def _grow(self, size: int) -> None:
        if size > self._mass.shape[0]:
            grown = np.zeros(max(size, 2 * self._mass.shape[0]), dtype=np.float64)
            grown[: self._mass.shape[0]] = self._mass
            self._mass = grown

    def add(self, items: npt.NDArray[np.int32], timestamps: Floats) -> None:
        """Count one event per (item, timestamp) pair."""
        if items.size == 0:
            return
        self._grow(int(items.max()) + 1)
        if self.origin is None:
            self.origin = float(timestamps.min())
        self.newest = max(self.newest, float(timestamps.max()))
        if (self.newest - self.origin) / self.half_life > _REBASE_EXPONENT:
            shift = self.newest - self.origin
            self._mass *= np.exp2(-shift / self.half_life)
            self.origin = self.newest
        exponents = np.minimum((timestamps - self.origin) / self.half_life, _REBASE_EXPONENT)
        np.add.at(self._mass, items, np.exp2(exponents))

    def forget(self, item: int) -> None:
        """Drop an item's count (a deleted item)."""
        if item < self._mass.shape[0]:
            self._mass[item] = 0.0

    def scores(self, n_items: int) -> Floats:
        """Decayed counts for items ``0..n_items-1`` as of the newest event."""
        self._grow(n_items)
        if self.origin is None:
            return np.zeros(n_items, dtype=np.float64)
        scale = np.exp2(-(self.newest - self.origin) / self.half_life)
        out: Floats = self._mass[:n_items] * scale
        return out
