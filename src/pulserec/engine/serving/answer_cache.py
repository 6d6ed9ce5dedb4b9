"""Recent answers, reused only while nothing they depend on has changed.

A user's list depends on their own state, the models, the catalog and (for the items it fills
from trending) global popularity. The cache stamps each answer with the user's state version,
the model version, the catalog version and a trending epoch that advances every
``trending_every`` events, and serves it again only under the same stamp: an event of this
user, a new, changed or deleted item, or a hot swap all make the next request compute afresh.

It is bounded twice: by entries and by an estimate of the bytes its keys and answers hold
(:func:`answer_bytes`), so no mix of requests (many distinct ids, k=1000, explanations) grows
it past ``max_bytes``. Users unknown to the engine share one answer per set of options (the
caller keys them without their id).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from pulserec.engine.serving.results import RankedList

Stamp = tuple[int, str, int, int]


ENTRY_BYTES = 400  # an entry's own overhead: key tuple, stamp, list and dict slots
RESULT_BYTES = 240  # one result: the object, its id, score and sources tuple
REASON_BYTES = 400  # one explanation reason (a small dict)
DEFAULT_MAX_BYTES = 32 * 1024 * 1024


def answer_bytes(key: Hashable, answer: RankedList) -> int:
    """About what one entry holds in memory (an estimate that errs high, not a measurement)."""
    total = ENTRY_BYTES + sum(len(part) for part in _strings(key))
    for result in answer.items:
        total += RESULT_BYTES + len(result.id)
        if result.explanation is not None:
            total += 50 + len(result.explanation) + REASON_BYTES * len(result.reasons or ())
    return total


def _strings(key: Hashable) -> list[str]:
    parts = key if isinstance(key, tuple) else (key,)
    return [part for part in parts if isinstance(part, str)]


class AnswerCache:
    """A LRU of (request key) -> (stamp, answer), bounded by entries and by bytes."""

    def __init__(self, size: int = 100_000, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[Stamp, RankedList, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.bytes = 0
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
        cost = answer_bytes(key, answer)
        if cost > self.max_bytes:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self.bytes -= previous[2]
            self._entries[key] = (stamp, answer, cost)
            self.bytes += cost
            while len(self._entries) > self.size or self.bytes > self.max_bytes:
                _, (_, _, freed) = self._entries.popitem(last=False)
                self.bytes -= freed

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
            self.bytes = 0
