"""The write path shared by the API, the importers and the data set loaders.

Every write goes to the store first (durable), then to subscribers (the online updater in later
stages). A subscriber sees only what the store accepted, in order.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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


Subscriber = Callable[[Change], None]


class Ingestor:
    """Validated domain objects in, durable state and notifications out."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()
        self.events_accepted = 0
        self.events_duplicate = 0

    def subscribe(self, subscriber: Subscriber) -> None:
        """Call ``subscriber`` after every accepted write."""
        self._subscribers.append(subscriber)

    def _publish(self, change: Change) -> None:
        for subscriber in self._subscribers:
            subscriber(change)

    def add_items(self, items: Sequence[Item]) -> int:
        count = self.store.upsert_items(items)
        self._publish(Change(items=tuple(items)))
        return count

    def add_users(self, users: Sequence[User]) -> int:
        count = self.store.upsert_users(users)
        self._publish(Change(users=tuple(users)))
        return count

    def add_events(self, events: Sequence[Event]) -> AppendResult:
        """Store a batch atomically; duplicates (by ``event_id``) are counted, not stored."""
        result = self.store.append_events(events)
        with self._lock:
            self.events_accepted += result.accepted
            self.events_duplicate += result.duplicates
        self._publish(Change(events=tuple(events), result=result))
        return result

    def delete_item(self, item_id: str) -> bool:
        deleted = self.store.delete_item(item_id)
        if deleted:
            self._publish(Change(deleted_items=(item_id,)))
        return deleted

    def delete_user(self, user_id: str) -> bool:
        deleted = self.store.delete_user(user_id)
        if deleted:
            self._publish(Change(deleted_users=(user_id,)))
        return deleted
