"""The write path shared by the API, the importers and the data set loaders.

Every write goes to the store first (durable, with its change-log entry and the text vectors
preparers computed), then to subscribers (the online updater, which applies the log). One
lock covers the commit and the publication together, so subscribers see changes in the
store's commit order, and a reader holding that lock (a training cutting its snapshot) sees a
point where everything committed is also published. Expensive work (encoding item text and
stated preferences) is done by *preparers* before the lock is taken, so a large item batch
never stalls events.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pulserec.storage import AppendResult, Store
from pulserec.types import Event, Item, User

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Change:
    """What one accepted write changed, as subscribers see it."""

    items: tuple[Item, ...] = ()
    users: tuple[User, ...] = ()
    events: tuple[Event, ...] = ()
    deleted_items: tuple[str, ...] = ()
    deleted_users: tuple[str, ...] = ()
    result: AppendResult | None = None
    prepared: dict[str, Any] | None = None  # what preparers computed (e.g. text vectors)


@dataclass(slots=True)
class _Waiting:
    """An event batch queued for a group commit, and what became of it."""

    events: tuple[Event, ...]
    result: AppendResult | None = None
    error: BaseException | None = None


Subscriber = Callable[[Change], None]
Preparer = Callable[[Change], dict[str, Any]]


class Ingestor:
    """Validated domain objects in, durable state and notifications out."""

    def __init__(self, store: Store, lock: threading.RLock | None = None) -> None:
        self.store = store
        self._subscribers: list[Subscriber] = []
        self._preparers: list[Preparer] = []
        self.lock = lock if lock is not None else threading.RLock()  # commit + publish
        self.events_accepted = 0
        self.events_duplicate = 0
        self._queue: list[_Waiting] = []  # event batches waiting for the next group commit
        self._queue_lock = threading.Lock()

    def subscribe(self, subscriber: Subscriber) -> None:
        """Call ``subscriber`` after every accepted write, in commit order."""
        self._subscribers.append(subscriber)

    def prepare_with(self, preparer: Preparer) -> None:
        """Run ``preparer`` on each item or user change before its commit, outside the lock;
        what it returns reaches subscribers as ``Change.prepared``."""
        self._preparers.append(preparer)

    def _prepared(self, change: Change) -> Change:
        if not self._preparers:
            return change
        prepared: dict[str, Any] = {}
        for preparer in self._preparers:
            prepared.update(preparer(change))
        return Change(items=change.items, users=change.users, prepared=prepared)

    def _publish(self, change: Change) -> None:
        for subscriber in self._subscribers:
            subscriber(change)

    def add_items(self, items: Sequence[Item]) -> int:
        change = self._prepared(Change(items=tuple(items)))
        vectors = (change.prepared or {}).get("item_vectors")
        with self.lock:
            count = self.store.upsert_items(items, vectors)
            self._publish(change)
        return count

    def add_users(self, users: Sequence[User]) -> int:
        change = self._prepared(Change(users=tuple(users)))
        vectors = (change.prepared or {}).get("preference_vectors")
        with self.lock:
            count = self.store.upsert_users(users, vectors)
            self._publish(change)
        return count

    def add_events(self, events: Sequence[Event]) -> AppendResult:
        """Store a batch atomically; duplicates (by ``event_id``) are counted, not stored.

        Group commit: batches that arrive while another commit holds the lock wait in a queue,
        and whoever takes the lock next commits every queued batch in one store transaction
        (each still atomic on its own, with its own log entry), so concurrent requests share
        one durable commit instead of queueing for one each."""
        waiting = _Waiting(tuple(events))
        with self._queue_lock:
            self._queue.append(waiting)
        with self.lock:
            if waiting.result is None and waiting.error is None:
                self._commit_queued()
        if waiting.error is not None:
            raise waiting.error
        assert waiting.result is not None
        return waiting.result

    def _commit_queued(self) -> None:
        """Commit every queued batch (the caller holds the lock), then publish them in order."""
        with self._queue_lock:
            batches, self._queue = self._queue, []
        if not batches:
            return
        results: list[AppendResult | None]
        try:
            results = list(self.store.append_event_batches([b.events for b in batches]))
        except Exception:  # one bad batch must not fail the others: commit each on its own
            results = []
            for batch in batches:
                try:
                    results.append(self.store.append_events(batch.events))
                except Exception as error:
                    batch.error = error
                    results.append(None)
        for batch, result in zip(batches, results, strict=True):
            if result is None:
                continue
            batch.result = result
            self.events_accepted += result.accepted
            self.events_duplicate += result.duplicates
            self._publish(Change(events=batch.events, result=result))

    def delete_item(self, item_id: str) -> bool:
        with self.lock:
            deleted = self.store.delete_item(item_id)
            if deleted:
                self._publish(Change(deleted_items=(item_id,)))
        return deleted

    def delete_user(self, user_id: str) -> bool:
        with self.lock:
            deleted = self.store.delete_user(user_id)
            if deleted:
                self._publish(Change(deleted_users=(user_id,)))
        return deleted
