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
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from pulserec.core.types import Event, Item, User
from pulserec.storage import AppendResult, Store

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
    future: Future[AppendResult] | None = None
    result: AppendResult | None = None
    error: BaseException | None = None

    def succeed(self, result: AppendResult) -> None:
        self.result = result
        if self.future is not None:
            self.future.set_result(result)

    def fail(self, error: BaseException) -> None:
        self.error = error
        if self.future is not None:
            self.future.set_exception(error)

    def outcome(self) -> AppendResult:
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


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
        self._queued = threading.Condition(self._queue_lock)
        self._writer: threading.Thread | None = None

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
        """Tell the subscribers of a committed change. Never raises: the change is durable,
        and what the writer is told must not depend on a subscriber (a follower reads it from
        the log on its next catch-up)."""
        for subscriber in self._subscribers:
            try:
                subscriber(change)
            except Exception:
                logger.exception("a subscriber failed on a committed change; it stays committed")

    def add_items(self, items: Sequence[Item]) -> int:
        change = self._prepared(Change(items=tuple(items)))
        vectors = (change.prepared or {}).get("item_vectors")
        with self.lock:
            count = self.store.upsert_items(items, vectors)
            self._publish(change)
        return count

    def add_users(self, users: Sequence[User], restore: bool = False) -> int:
        """Upsert users; deleted ones are skipped unless ``restore`` (see
        :meth:`~pulserec.storage.base.UserStore.upsert_users`). Returns how many were stored."""
        change = self._prepared(Change(users=tuple(users)))
        vectors = (change.prepared or {}).get("preference_vectors")
        with self.lock:
            count = self.store.upsert_users(users, vectors, restore)
            if count:
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
                with self._queue_lock:
                    batches, self._queue = self._queue, []
                self._commit_or_fail(batches)
        return waiting.outcome()

    def submit_events(self, events: Sequence[Event]) -> Future[AppendResult]:
        """:meth:`add_events` for an event loop: the batch goes to this ingestor's one writer
        thread, which commits whatever has queued up in one transaction; the future resolves
        once the batch is durable and published (an async route awaits it with
        ``asyncio.wrap_future``). One thread, not one per request, so concurrent requests
        neither contend for the interpreter nor queue for a commit each."""
        waiting = _Waiting(tuple(events), Future())
        with self._queue_lock:
            self._queue.append(waiting)
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_forever, name="pulserec-event-writer", daemon=True
                )
                self._writer.start()
            self._queued.notify()
        assert waiting.future is not None
        return waiting.future

    def _write_forever(self) -> None:
        while True:
            with self._queue_lock:
                while not self._queue:
                    self._queued.wait()
                batches, self._queue = self._queue, []
            try:
                with self.lock:
                    self._commit_or_fail(batches)
            except Exception:
                logger.exception("event writer: a group commit failed")

    def _commit_or_fail(self, batches: list[_Waiting]) -> None:
        """:meth:`_commit`; if it raises, every batch not yet answered gets the error."""
        try:
            self._commit(batches)
        except Exception as error:
            for batch in batches:
                if batch.result is None and batch.error is None:
                    batch.fail(error)
            raise

    def _commit(self, batches: list[_Waiting]) -> None:
        """Commit ``batches`` in one transaction (the caller holds the lock), then publish
        them in order; a batch the store refuses fails alone."""
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
                    batch.fail(error)
                    results.append(None)
        for batch, result in zip(batches, results, strict=True):
            if result is None:
                continue
            self.events_accepted += result.accepted
            self.events_duplicate += result.duplicates
            self._publish(Change(events=batch.events, result=result))  # never raises
            batch.succeed(result)

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
