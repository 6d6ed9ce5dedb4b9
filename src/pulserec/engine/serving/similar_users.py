"""Users with the closest tastes (``GET /v1/users/{id}/similar``).

A user's taste is the engine's taste vector (:meth:`OnlineState.taste`: their recent items'
text, recency-weighted, plus stated preferences). The table keeps one unit row per user and
recomputes only the rows of users whose state moved since (their per-user version), so a
request costs one mat-vec over the users plus the users who changed.
"""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt

from pulserec.core.topk import top_k
from pulserec.engine.state.online_state import OnlineState

Float32s = npt.NDArray[np.float32]


class UserTastes:
    """Unit taste rows per user index (zero: no taste), refreshed by per-user version."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._rows = np.zeros((0, dim), dtype=np.float32)
        self._versions = np.zeros(0, dtype=np.int64)  # -1: never computed
        self._lock = threading.Lock()

    def refreshed(self, state: OnlineState) -> Float32s:
        """The rows, every user's up to date (a row per user index handed out)."""
        n = len(state.users)
        with self._lock:
            if self._rows.shape[0] < n:
                grown = np.zeros((max(n, 2 * self._rows.shape[0]), self.dim), np.float32)
                grown[: self._rows.shape[0]] = self._rows
                versions = np.full(grown.shape[0], -1, dtype=np.int64)
                versions[: self._versions.shape[0]] = self._versions
                self._rows, self._versions = grown, versions
            states = state.user_states
            for user in range(n):
                version = states.version(user)
                if self._versions[user] == version:
                    continue
                live = state.users.id_of_or_none(user) is not None
                taste = (
                    state.taste(states.history(user), states.preferences(user)) if live else None
                )
                self._rows[user] = taste if taste is not None else 0.0
                self._versions[user] = version
            return self._rows[:n]


def similar_users(
    state: OnlineState, table: UserTastes, user: int, k: int
) -> tuple[list[str], list[float]]:
    """The ``k`` users whose taste is closest to ``user``'s (cosine), best first; none for a
    user without a taste yet."""
    rows = table.refreshed(state)
    mine = rows[user].copy() if user < rows.shape[0] else None
    if mine is None or not mine.any():
        return [], []
    scores = rows @ mine
    scores[user] = -np.inf
    scores[~rows.any(axis=1)] = -np.inf  # users with no taste are no one's neighbours
    best, values = top_k(scores.astype(np.float32), k)
    keep = np.isfinite(values)
    ids, live = state.users.live_ids(best[keep])
    return ids, [float(v) for v, ok in zip(values[keep].tolist(), live.tolist(), strict=True) if ok]
