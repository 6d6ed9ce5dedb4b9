"""Online user state: what each user engaged with, in time order, updated on every event.

Kept as one small int32 array per user (not Python lists of ints): cheap to slice into a
request's ``Query`` and nearly free for the garbage collector. ``history`` holds positive items
(most recent last, repeats collapsed to their latest position); ``seen`` every item the user
touched at all (dislikes and skips too), which is what ``exclude_seen`` leaves out.
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt

from pulserec.interactions import Interactions

Int32s = npt.NDArray[np.int32]
Float32s = npt.NDArray[np.float32]
_EMPTY = np.zeros(0, dtype=np.int32)


class UserStates:
    """Per-user recent items, seen items and stated-preference vectors, by user index."""

    def __init__(self, max_history: int = 200) -> None:
        self.max_history = max_history
        self._history: list[Int32s] = []
        self._seen: list[Int32s] = []
        self._preferences: dict[int, Float32s] = {}
        self._versions: dict[int, int] = {}

    def version(self, user: int) -> int:
        """Bumped by every change to the user's state (what answer caches key on)."""
        return self._versions.get(user, 0)

    def _touch(self, user: int) -> None:
        self._versions[user] = self._versions.get(user, 0) + 1

    def _grow(self, user: int) -> None:
        missing = user + 1 - len(self._history)
        if missing > 0:
            self._history.extend([_EMPTY] * missing)
            self._seen.extend([_EMPTY] * missing)

    def load(self, data: Interactions) -> None:
        """Replace every user's state with ``data``'s events, ordered by time then arrival."""
        self._history, self._seen = [], []
        self._grow(data.n_users - 1)
        if not len(data):
            return
        order = np.lexsort((np.arange(len(data)), data.timestamp, data.user_idx))
        users, items = data.user_idx[order], data.item_idx[order]
        positive = data.positive_mask()[order]
        bounds = np.r_[0, np.flatnonzero(np.diff(users)) + 1, len(users)]
        for start, end in itertools.pairwise(bounds):
            user = int(users[start])
            mine = items[start:end]
            self._seen[user] = np.unique(mine).astype(np.int32)
            self._history[user] = _latest_unique(mine[positive[start:end]])[-self.max_history :]

    def add(self, user: int, item: int, positive: bool) -> None:
        """Record one event (most recent last)."""
        self._grow(user)
        self._touch(user)
        seen = self._seen[user]
        if not (seen == item).any():
            self._seen[user] = np.append(seen, np.int32(item))
        if positive:
            history = self._history[user]
            history = history[history != item]
            self._history[user] = np.append(history, np.int32(item))[-self.max_history :]

    def history(self, user: int) -> Int32s:
        return self._history[user] if 0 <= user < len(self._history) else _EMPTY

    def seen(self, user: int) -> Int32s:
        return self._seen[user] if 0 <= user < len(self._seen) else _EMPTY

    def set_preferences(self, user: int, vector: Float32s | None) -> None:
        self._touch(user)
        if vector is None:
            self._preferences.pop(user, None)
        else:
            self._preferences[user] = vector

    def preferences(self, user: int) -> Float32s | None:
        return self._preferences.get(user)

    def forget(self, user: int) -> None:
        """Drop everything known about a user (a deleted user)."""
        self._touch(user)
        if 0 <= user < len(self._history):
            self._history[user] = _EMPTY
            self._seen[user] = _EMPTY
        self._preferences.pop(user, None)


def _latest_unique(items: Int32s) -> Int32s:
    """``items`` with repeats collapsed to their last occurrence, order kept."""
    if items.size < 2:
        return items.astype(np.int32)
    reversed_items = items[::-1]
    _, first = np.unique(reversed_items, return_index=True)
    keep = np.sort(items.size - 1 - first)
    return items[keep].astype(np.int32)
