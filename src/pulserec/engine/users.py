"""Online user state: what each user engaged with, in time order, updated on every event.

Kept as small arrays per user (not Python lists of ints): cheap to slice into a request's
``Query`` and nearly free for the garbage collector. ``history`` holds the items the user
engaged with (most recent last, repeats collapsed to their latest position), with the type code
(int8) and value (float32, NaN: none) of their latest engagement alongside, which is what
explanations name as the evidence, and each item's balance: the weights of its positive events
less those of its negative ones (:mod:`pulserec.event_types`). Negative feedback (a dislike, a
skip, a low rating) takes an item out of the history unless the balance it leaves is still at
least :data:`FAVOURITE` (one plain engagement): a favourite it does not outweigh (a skip after
four plays) is demoted instead, to the oldest end of the history, still cited for what the user
did before; a track played once and skipped goes. ``seen`` holds every
item the user touched at all, which is what ``exclude_seen`` leaves out.

A request holds the very ``history`` array of the user's state, so :meth:`UserStates.evidence`
finds the events behind it; a history that is no longer the user's current one (a concurrent
event just replaced it) has no evidence, so nothing is cited from a stale state.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from pulserec.interactions import Interactions

Int32s = npt.NDArray[np.int32]
Int8s = npt.NDArray[np.int8]
Float32s = npt.NDArray[np.float32]
Bools = npt.NDArray[np.bool_]
_EMPTY = np.zeros(0, dtype=np.int32)
FAVOURITE = 1.0  # balance left after negative feedback that keeps an item (one engagement)


class History(NamedTuple):
    """A user's history items and, per item, the type code and value of its latest engagement
    and its balance of positive over negative feedback."""

    items: Int32s
    kinds: Int8s
    values: Float32s
    balance: Float32s


_NO_HISTORY = History(
    _EMPTY, np.zeros(0, np.int8), np.zeros(0, np.float32), np.zeros(0, np.float32)
)


class UserStates:
    """Per-user history (with its evidence), seen items and stated-preference vectors."""

    def __init__(self, max_history: int = 200) -> None:
        self.max_history = max_history
        self._history: list[History] = []
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
            self._history.extend([_NO_HISTORY] * missing)
            self._seen.extend([_EMPTY] * missing)

    def _set_history(self, user: int, history: History) -> None:
        self._history[user] = history

    def load(self, data: Interactions, signals: Int8s, weights: Float32s) -> None:
        """Replace every user's state with ``data``'s events, ordered by time then arrival;
        ``signals`` (+1, 0, -1) and ``weights`` say what each event weighs (see the module)."""
        self._history, self._seen = [], []
        self._grow(data.n_users - 1)
        if not len(data):
            return
        order = np.lexsort((np.arange(len(data)), data.timestamp, data.user_idx))
        users, items = data.user_idx[order], data.item_idx[order]
        kinds, values = data.type_code[order], data.value[order]
        signals, weights = signals[order], weights[order].astype(np.float32)
        bounds = np.r_[0, np.flatnonzero(np.diff(users)) + 1, len(users)]
        for start, end in itertools.pairwise(bounds):
            user = int(users[start])
            mine = items[start:end]
            self._seen[user] = np.unique(mine).astype(np.int32)
            if (signals[start:end] < 0).any():  # negative feedback: the rule, event by event
                for n in range(start, end):
                    self._apply(
                        user,
                        int(items[n]),
                        int(kinds[n]),
                        float(values[n]),
                        int(signals[n]),
                        float(weights[n]),
                    )
                continue
            latest = start + _latest_positions(mine)
            kept = latest[-self.max_history :]
            contribution = signals[start:end] * weights[start:end]
            balance = np.bincount(mine, contribution, minlength=int(mine.max()) + 1)
            self._set_history(
                user,
                History(
                    items[kept], kinds[kept], values[kept], balance[items[kept]].astype(np.float32)
                ),
            )

    def add(
        self, user: int, item: int, kind: int, value: float, signal: int, weight: float
    ) -> None:
        """Record one event (most recent last): its type code, value (NaN: none), signal
        (+1 positive, 0 weak, -1 negative) and weight."""
        self._grow(user)
        self._touch(user)
        seen = self._seen[user]
        if not (seen == item).any():
            self._seen[user] = np.append(seen, np.int32(item))
        self._apply(user, item, kind, value, signal, weight)

    def _apply(
        self, user: int, item: int, kind: int, value: float, signal: int, weight: float
    ) -> None:
        old = self._history[user]
        other = old.items != item
        before = float(old.balance[~other][0]) if not other.all() else 0.0
        balance = before + signal * weight
        if signal < 0 and other.all():
            return
        items, kinds, values = old.items[other], old.kinds[other], old.values[other]
        balances = old.balance[other]
        if signal >= 0:  # an engagement: the item is the most recent, with this evidence
            items = np.append(items, np.int32(item))[-self.max_history :]
            kinds = np.append(kinds, np.int8(kind))[-self.max_history :]
            values = np.append(values, np.float32(value))[-self.max_history :]
            balances = np.append(balances, np.float32(balance))[-self.max_history :]
        elif balance >= FAVOURITE:  # a favourite not outweighed: demoted, evidence kept
            mine = ~other
            items = np.concatenate([old.items[mine], items])
            kinds = np.concatenate([old.kinds[mine], kinds])
            values = np.concatenate([old.values[mine], values])
            balances = np.concatenate([np.array([balance], np.float32), balances])
        self._set_history(user, History(items, kinds, values, balances))

    def history(self, user: int) -> Int32s:
        return self._history[user].items if 0 <= user < len(self._history) else _EMPTY

    def evidence(self, user: int | None, history: Int32s) -> History | None:
        """The events behind ``history`` when it is still ``user``'s current history array."""
        if user is None or not 0 <= user < len(self._history):
            return None
        found = self._history[user]
        return found if found.items is history else None

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
            self._set_history(user, _NO_HISTORY)
            self._seen[user] = _EMPTY
        self._preferences.pop(user, None)


def _latest_positions(items: Int32s) -> npt.NDArray[np.intp]:
    """Positions of each distinct item's last occurrence in ``items``, in order."""
    if items.size < 2:
        return np.arange(items.size)
    _, first = np.unique(items[::-1], return_index=True)
    return np.sort(items.size - 1 - first)
