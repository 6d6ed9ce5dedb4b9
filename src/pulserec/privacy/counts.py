"""Popular and trending counts published with differential privacy (``PULSEREC_DP_EPSILON``).

What is protected is one person's day: each user counts at most ``max_events`` positive events
a (UTC) day, at most one per item, so one person-day moves the released counts by at most
``max_events`` in L1. Counts are released per window of ``release_s`` seconds of event time
(the open window is published when an event of a later window arrives) with discrete Laplace
noise of scale ``max_events / epsilon`` (see :mod:`.noise`). Within a day the windows share
the person's ``max_events``: a person's loss is the sum over windows of their counted events
divided by the scale, never more than ``epsilon`` a day (individual accounting); once their
allowance is used, the rest of their day is not counted. Everything the ranking reads (the
window sums, the decayed and all-time counts) is built from the releases alone.

A deleted user's counted events are taken back out of every release they are in, so the
published counts become what they would have been without them (with the same noise).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.core.ids import IdMap
from pulserec.privacy.noise import calibrated_scale, keyed_laplace

Floats = npt.NDArray[np.float64]
Int32s = npt.NDArray[np.int32]
Int64s = npt.NDArray[np.int64]
DAY_S = 86_400.0
KEEP_S = 7 * DAY_S  # releases kept one by one, for the window tier of ``popular``
MECHANISM = "discrete Laplace (OpenDP), per user-day contribution bound"


class PrivateCounts:
    """Released (noisy) item counts per window, their all-time sum and a decayed sum."""

    def __init__(
        self,
        epsilon: float,
        max_events: int,
        key: bytes,
        items: Callable[[], IdMap],
        release_s: float = DAY_S,
        half_life_s: float = 7 * DAY_S,
    ) -> None:
        if release_s <= 0 or release_s > DAY_S or DAY_S % release_s:
            raise ValueError("the release window must divide a day")
        self.epsilon, self.max_events = float(epsilon), int(max_events)
        self.scale = calibrated_scale(self.epsilon, self.max_events)
        self.release_s, self.half_life_s = float(release_s), float(half_life_s)
        self._key, self._items = key, items
        self.open_window: int | None = None
        self._pending: Floats = np.zeros(0)
        self._day = -1
        self._used: dict[int, int] = {}
        self._pairs: set[tuple[int, int]] = set()
        self.released: deque[tuple[int, Floats]] = deque(maxlen=int(KEEP_S // self.release_s))
        self.last_released: int | None = None
        self.releases = 0
        self._total: Floats = np.zeros(0)
        self._decayed: Floats = np.zeros(0)  # as of the end of ``last_released``
        self._mine = np.zeros((0, 3), dtype=np.int64)  # counted: (user, item, window)
        self._mine_chunks: list[Int64s] = []

    # -- writes (the updater, under the engine's write lock) ------------------------------
    def add(self, items: Int32s, users: Int32s, stamps: Floats) -> None:
        """Count positive events in arrival order; an event older than the open window is
        counted in it (a release is never rewritten)."""
        counted: list[tuple[int, int, int]] = []
        per_day = int(DAY_S // self.release_s)
        windows = np.floor(np.asarray(stamps, np.float64) / self.release_s).astype(np.int64)
        for item, user, window in zip(
            items.tolist(), users.tolist(), windows.tolist(), strict=True
        ):
            if self.open_window is None:
                self.open_window = window
            elif window > self.open_window:
                self._release()
                self.open_window = window
            day = self.open_window // per_day
            if day != self._day:
                self._day, self._used, self._pairs = day, {}, set()
            used = self._used.get(user, 0)
            if used >= self.max_events or (user, item) in self._pairs:
                continue
            self._used[user] = used + 1
            self._pairs.add((user, item))
            self._pending = _at_least(self._pending, item + 1)
            self._pending[item] += 1.0
            counted.append((user, item, self.open_window))
        if counted:
            self._mine_chunks.append(np.array(counted, dtype=np.int64))

    def _release(self) -> None:
        """Publish the open window: its counts plus noise drawn for every known item."""
        window = self.open_window
        assert window is not None
        known = self._items()
        n = max(len(known), self._pending.shape[0])
        ids = [known.id_of_or_none(i) or "" for i in range(n)]  # a hole's draw is unused
        noisy = _at_least(self._pending, n)[:n] + keyed_laplace(self._key, window, ids, self.scale)
        if self.last_released is not None:
            self._decayed *= self._decay(window - self.last_released)
        self._decayed = _at_least(self._decayed, n)
        self._decayed[:n] += noisy
        self._total = _at_least(self._total, n)
        self._total[:n] += noisy
        self.released.append((window, noisy))
        self.last_released, self.releases = window, self.releases + 1
        self._pending = np.zeros(n)

    def forget_user(self, user: int) -> None:
        """Take a deleted user's counted events out of the open window and every release."""
        mine = self._contributions()
        theirs = mine[:, 0] == user
        if not theirs.any():
            return
        self._mine, self._mine_chunks = mine[~theirs], []
        kept = {window: counts for window, counts in self.released}
        for _, item, window in mine[theirs].tolist():
            if window == self.open_window:
                self._pending[item] -= 1.0
                self._used[user] = self._used.get(user, 1) - 1
                self._pairs.discard((user, item))
                continue
            self._total[item] -= 1.0
            assert self.last_released is not None
            self._decayed[item] -= self._decay(self.last_released - window)
            if window in kept and item < kept[window].shape[0]:
                kept[window][item] -= 1.0

    def _contributions(self) -> Int64s:
        if self._mine_chunks:
            self._mine = np.vstack([self._mine, *self._mine_chunks])
            self._mine_chunks = []
        return self._mine

    def _decay(self, windows: int) -> float:
        return float(2.0 ** (-windows * self.release_s / self.half_life_s))

    # -- reads (the popularity ranking) ---------------------------------------------------
    def window_counts(self, window_s: float, n: int) -> tuple[Floats, int]:
        """Released counts summed over the newest releases covering ``window_s`` (at least
        the newest one), and how many releases that is."""
        out = np.zeros(n)
        if self.last_released is None:
            return out, 0
        first = self.last_released - max(1, math.ceil(window_s / self.release_s)) + 1
        used = 0
        for window, counts in list(self.released):
            if window >= first:
                m = min(n, counts.shape[0])
                out[:m] += counts[:m]
                used += 1
        return out, used

    def decayed(self, n: int) -> Floats:
        """Released counts with the trending half-life (as of the newest release)."""
        return _at_least(self._decayed, n)[:n].copy()

    def totals(self, n: int) -> Floats:
        """All-time released counts."""
        return _at_least(self._total, n)[:n].copy()

    def threshold(self, releases: int, n: int) -> float:
        """A sum of ``releases`` releases that pure noise exceeds for about one item in
        ``40 n``: what the ranking needs before it calls an item trending."""
        return self.scale * math.log(20.0 * max(n, 1)) * math.sqrt(max(releases, 1))

    def stats(self) -> dict[str, Any]:
        """``/v1/admin/stats`` ``privacy``: the budget, what today's heaviest user spent."""
        heaviest = max(self._used.values(), default=0)
        return {
            "epsilon_per_day": self.epsilon,
            "spent_today": self.epsilon * heaviest / self.max_events,
            "mechanism": MECHANISM,
            "max_events_per_user": self.max_events,
            "noise_scale": self.scale,
            "release_every_s": self.release_s,
            "releases": self.releases,
        }


def _at_least(array: Floats, size: int) -> Floats:
    if array.shape[0] >= size:
        return array
    out = np.zeros(max(size, 2 * array.shape[0]))
    out[: array.shape[0]] = array
    return out
