"""Recent answers, reused only while nothing they depend on has changed.

A user's list depends on their own state, the models, the catalog and (for the items it fills
from trending) global popularity. The cache stamps each answer with the user's state version,
the model version, the catalog version and a trending epoch that advances every
``trending_every`` events, and serves it again only under the same stamp: an event of this
user, a new, changed or deleted item, or a hot swap all make the next request compute afresh.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from pulserec.engine.serving.results import RankedList

Stamp = tuple[int, str, int, int]


class AnswerCache:
    """A bounded LRU of (request key) -> (stamp, answer)."""

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[Stamp, RankedList]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, stamp: Stamp) -> RankedList | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != stamp:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[1]

    def put(self, key: Hashable, stamp: Stamp, answer: RankedList) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[key] = (stamp, answer)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def get_or_put(
        self, key: Hashable, stamp: Stamp, compute: Callable[[], RankedList]
    ) -> RankedList:
        """The answer cached under ``key`` at ``stamp``, else ``compute()``'s, cached."""
        cached = self.get(key, stamp)
        if cached is not None:
            return cached
        answer = compute()
        self.put(key, stamp, answer)
        return answer

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
