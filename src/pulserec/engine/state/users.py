"""Online user state: what each user engaged with, in time order, updated on every event.

Kept as small arrays per user (not Python lists of ints): cheap to slice into a request's
``Query`` and nearly free for the garbage collector. ``history`` holds the items the user
engaged with (most recent last, repeats collapsed to their latest position), with the type code
(int8) and value (float32, NaN: none) of their latest engagement alongside, which is what
explanations name as the evidence. ``seen`` holds every item the user touched at all, which is
what ``exclude_seen`` leaves out.

The rule for negative feedback, per item: each item in the history has a *balance*, the
weights (:mod:`pulserec.core.event_types`) of its positive events since it entered the history
(weak ones add nothing). A negative event subtracts its weight; if the balance left is below
:data:`FAVOURITE` (one plain engagement) the item leaves the history and its balance is
forgotten; otherwise it is a favourite not outweighed: it stays, demoted to the oldest end of
the history, still cited for what the user did before. With the music table's weights (play 1,
skip 0.5) a track played once and skipped goes; one played four times and skipped stays. A
verdict (a dislike, a rating at or below the negative threshold) weighs without limit
(:meth:`pulserec.core.feedback.Feedback.weights`): the item goes whatever came before, as before
deployments had types of their own. Negative feedback on an item not in the history changes
nothing. A history keeps the ``max_history`` most recent items; an item pushed out by newer
ones forgets its balance live, while :meth:`UserStates.load` counts each item over all the
stored events it loads (the two agree whenever a user's items fit in the history).

A request holds the very ``history`` array of the user's state, so :meth:`UserStates.evidence`
finds the events behind it; a history that is no longer the user's current one (a concurrent
event just replaced it) has no evidence, so nothing is cited from a stale state.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from pulserec.core.interactions import Interactions

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
        self._stated: dict[int, str] = {}  # the preferences' text (read for likes and dislikes)
        self._hidden: dict[int, tuple[str, ...]] = {}  # item ids the user hid
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
        ``signals`` (+1, 0, -1) and ``weights`` say what each event weighs (see the module).
        Each (user, item) pair is settled on its own: in one step when it has no negative
        feedback, event by event (the rule of :meth:`add`) when it has."""
        self._history, self._seen = [], []
        self._grow(data.n_users - 1)
        size = len(data)
        if not size:
            return
        order = np.lexsort((np.arange(size), data.timestamp, data.user_idx))
        users, items = data.user_idx[order], data.item_idx[order]
        kinds, values = data.type_code[order], data.value[order]
        signals = np.asarray(signals[order], dtype=np.int8)
        weights = np.asarray(weights[order], dtype=np.float32)
        with np.errstate(invalid="ignore"):
            contribution = np.where(signals == 0, 0.0, signals * weights).astype(np.float32)
        # each (user, item) pair's events together, in time order (positions into the above)
        by_pair = np.lexsort((np.arange(size), items, users))
        pair_users, pair_items = users[by_pair], items[by_pair]
        cut = (np.diff(pair_users) != 0) | (np.diff(pair_items) != 0)
        starts = np.r_[0, np.flatnonzero(cut) + 1]
        ends = np.r_[starts[1:], size]
        negatives = np.add.reduceat((signals[by_pair] < 0).astype(np.int32), starts) > 0
        inside = ~negatives
        latest = by_pair[ends - 1]  # the latest engagement of a pair without negative feedback
        balance = np.add.reduceat(contribution[by_pair], starts).astype(np.float32)
        key = latest.astype(np.int64)  # order in the history: engaged by time, demoted first
        for pair in np.flatnonzero(negatives & (ends - starts > 1)).tolist():
            state = _settle(
                by_pair[starts[pair] : ends[pair]].tolist(), signals, weights, contribution
            )
            if state is not None:
                inside[pair] = True
                balance[pair], latest[pair], key[pair] = state
        firsts = np.r_[0, np.flatnonzero(np.diff(pair_users[starts])) + 1, starts.size]
        for first, last in itertools.pairwise(firsts):
            user = int(pair_users[starts[first]])
            self._seen[user] = pair_items[starts[first:last]].astype(np.int32)
            mine = first + np.flatnonzero(inside[first:last])
            mine = mine[np.argsort(key[mine], kind="stable")][-self.max_history :]
            where = latest[mine]
            self._set_history(
                user, History(items[where], kinds[where], values[where], balance[mine])
            )

    def add(
        self, user: int, item: int, kind: int, value: float, signal: int, weight: float
    ) -> None:
        """Record one event (most recent last): its type code, value (NaN: none), signal
        (+1 positive, 0 weak, -1 negative) and weight (see the module)."""
        self._grow(user)
        self._touch(user)
        seen = self._seen[user]
        if not (seen == item).any():
            self._seen[user] = np.append(seen, np.int32(item))
        old = self._history[user]
        other = old.items != item
        if signal < 0 and other.all():  # nothing to take back
            return
        before = 0.0 if other.all() else float(old.balance[~other][0])
        items, kinds, values = old.items[other], old.kinds[other], old.values[other]
        balances = old.balance[other]
        if signal >= 0:  # an engagement: the item is the most recent, with this evidence
            balance = before + (weight if signal > 0 else 0.0)
            items = np.append(items, np.int32(item))[-self.max_history :]
            kinds = np.append(kinds, np.int8(kind))[-self.max_history :]
            values = np.append(values, np.float32(value))[-self.max_history :]
            balances = np.append(balances, np.float32(balance))[-self.max_history :]
        elif (balance := before - weight) >= FAVOURITE:  # a favourite: demoted, evidence kept
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

    def set_preferences(self, user: int, vector: Float32s | None, text: str | None = None) -> None:
        self._touch(user)
        if vector is None:
            self._preferences.pop(user, None)
        else:
            self._preferences[user] = vector
        if vector is None or not text or not text.strip():
            self._stated.pop(user, None)
        else:
            self._stated[user] = text.strip()

    def preferences(self, user: int) -> Float32s | None:
        return self._preferences.get(user)

    def set_hidden(self, user: int, item_ids: tuple[str, ...]) -> None:
        """The items never to show ``user`` (ids: an item may arrive after it is hidden)."""
        self._touch(user)
        if item_ids:
            self._hidden[user] = item_ids
        else:
            self._hidden.pop(user, None)

    def hidden(self, user: int) -> tuple[str, ...]:
        return self._hidden.get(user, ())

    def stated(self, user: int) -> str | None:
        """The user's stated preferences as written (None: none)."""
        return self._stated.get(user)

    def forget(self, user: int) -> None:
        """Drop everything known about a user (a deleted user)."""
        self._touch(user)
        if 0 <= user < len(self._history):
            self._set_history(user, _NO_HISTORY)
            self._seen[user] = _EMPTY
        self._preferences.pop(user, None)
        self._stated.pop(user, None)
        self._hidden.pop(user, None)


def _latest_positions(items: Int32s) -> npt.NDArray[np.intp]:
    """Positions of each distinct item's last occurrence in ``items``, in order."""
    if items.size < 2:
        return np.arange(items.size)
    _, first = np.unique(items[::-1], return_index=True)
    return np.sort(items.size - 1 - first)


def _settle(
    events: list[int], signals: Int8s, weights: Float32s, contribution: Float32s
) -> tuple[float, int, int] | None:
    """One (user, item) pair's events (positions, in time order) by the rule of
    :meth:`UserStates.add`: ``None`` when the item ends outside the history, else its balance,
    the position of its latest engagement and its order key (that position, or, demoted, one
    below every engagement and below earlier demotions)."""
    inside, balance, latest, key = False, 0.0, -1, 0
    for at in events:
        if signals[at] >= 0:
            balance = (balance if inside else 0.0) + float(contribution[at])
            inside, latest, key = True, at, at
        elif inside:
            balance -= float(weights[at])
            if balance >= FAVOURITE:
                key = -1 - at
            else:
                inside = False
    return (balance, latest, key) if inside else None
