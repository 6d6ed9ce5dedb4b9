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
        """Store a batch atomically; duplicates (by ``event_id``) are counted, not stored."""
        with self.lock:
            result = self.store.append_events(events)
            self.events_accepted += result.accepted
            self.events_duplicate += result.duplicates
            self._publish(Change(events=tuple(events), result=result))
        return result

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
