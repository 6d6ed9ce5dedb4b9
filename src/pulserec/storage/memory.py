"""An in-memory Store for tests and throw-away runs: same contract, no durability."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from itertools import islice
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from pulserec.core.types import Event, ExperimentRecord, Impression, Item, User
from pulserec.storage.base import (
    Admit,
    AppendResult,
    StoreCounts,
    ascii_lower,
    dedupe_batch,
    referenced_ids,
)
from pulserec.storage.changelog import (
    DELETE_ITEM,
    DELETE_USER,
    EVENTS,
    EXPERIMENT,
    IMPRESSIONS,
    ITEMS,
    USERS,
    CommitHook,
    Cut,
    LogEntry,
)
from pulserec.storage.tombstones import (
    LOG_ID_KEEP_S,
    SECRET_NAME,
    TOMBSTONE_RETENTION_S,
    hashed_delete,
    refused,
    tombstone_hash,
)

Floats = npt.NDArray[np.float32]
T = TypeVar("T")


class MemoryStore:
    """Dicts keep insertion order, which gives listings a stable order as SQLite's rowid does."""

    def __init__(self) -> None:
        self._items: dict[str, Item] = {}
        self._users: dict[str, User] = {}
        self._events: list[Event | None] = []
        self._event_ids: set[str] = set()
        self._by_user: dict[str, list[int]] = {}
        self._live_events = 0
        self._lock = threading.RLock()
        self._log: list[LogEntry] = []
        self._item_vectors: dict[str, Floats] = {}
        self._user_vectors: dict[str, Floats] = {}
        self._hooks: list[CommitHook] = []
        self._experiments: dict[str, ExperimentRecord] = {}
        self._secrets: dict[str, bytes] = {}
        self._impressions: dict[str, Impression] = {}
        # tombstone hash -> (deleted at, the delete_user entry still holding the id, or 0)
        self._tombstones: dict[str, tuple[float, int]] = {}

    def _append_log(
        self, kind: str, payload: dict[str, Any], events: tuple[Event, ...] = ()
    ) -> None:
        entry = LogEntry(len(self._log) + 1, kind, payload, events)
        self._log.append(LogEntry(entry.seq, kind, payload))
        for hook in self._hooks:
            hook([entry])

    def after_commit(self, hook: CommitHook) -> None:
        self._hooks.append(hook)

    def upsert_items(self, items: Sequence[Item], vectors: Floats | None = None) -> int:
        with self._lock:
            for n, item in enumerate(items):
                self._items[item.id] = item
                _keep_vector(self._item_vectors, item.id, None if vectors is None else vectors[n])
            self._append_log(ITEMS, {"ids": [i.id for i in items]})
            return len(items)

    def get_item(self, item_id: str) -> Item | None:
        return self._items.get(item_id)

    def get_items(self, ids: Sequence[str]) -> dict[str, Item]:
        with self._lock:
            return {i: item for i in dict.fromkeys(ids) if (item := self._items.get(i)) is not None}

    def list_items(self, offset: int, limit: int) -> tuple[list[Item], int]:
        with self._lock:
            return list(islice(self._items.values(), offset, offset + limit)), len(self._items)

    def iter_items(self, batch: int = 10_000) -> Iterator[list[Item]]:
        with self._lock:
            items = list(self._items.values())
        yield from _batches(items, batch)

    def delete_item(self, item_id: str) -> bool:
        with self._lock:
            if self._items.pop(item_id, None) is None:
                return False
            self._item_vectors.pop(item_id, None)
            self._append_log(DELETE_ITEM, {"id": item_id})
            return True

    def upsert_users(
        self,
        users: Sequence[User],
        vectors: Sequence[Floats | None] | None = None,
        restore: bool = False,
    ) -> int:
        with self._lock:
            dead = self._dead([u.id for u in users])
            for user_id in dead if restore else ():
                self._tombstones.pop(self._hash(user_id), None)
            kept = [n for n, u in enumerate(users) if restore or u.id not in dead]
            for n in kept:
                user = users[n]
                old = self._users.get(user.id)
                if user.hidden is None and old is not None:  # an upsert naming no hidden items
                    user = replace(user, hidden=old.hidden)  # keeps those stored
                if not user.hidden:
                    user = replace(user, hidden=None)  # stored as "none hidden", as SQL stores

                self._users[user.id] = user
                _keep_vector(self._user_vectors, user.id, None if vectors is None else vectors[n])
            if kept:
                self._append_log(USERS, {"ids": [users[n].id for n in kept]})
            return len(kept)

    def forgotten(self, user_ids: Sequence[str]) -> set[str]:
        with self._lock:
            return self._dead(user_ids)

    def _hash(self, user_id: str) -> str:
        return tombstone_hash(self.secret(SECRET_NAME), user_id)

    def _dead(self, user_ids: Sequence[str]) -> set[str]:
        if not self._tombstones:
            return set()
        since = time.time() - TOMBSTONE_RETENTION_S
        return {
            u
            for u in dict.fromkeys(user_ids)
            if (held := self._tombstones.get(self._hash(u))) is not None and held[0] >= since
        }

    def _bury(self, user_id: str) -> None:
        """The tombstone of a user just deleted (its log entry the last one), the id taken out
        of older ``users`` entries; expired tombstones purged, and delete entries past
        ``LOG_ID_KEEP_S`` hashed."""
        now = time.time()
        for n, entry in enumerate(self._log):
            ids = entry.payload.get("ids", ()) if entry.kind == USERS else ()
            if user_id in ids:
                payload = {**entry.payload, "ids": [i for i in ids if i != user_id]}
                self._log[n] = LogEntry(entry.seq, entry.kind, payload)
        for digest, (at, seq) in list(self._tombstones.items()):
            if at < now - TOMBSTONE_RETENTION_S:
                del self._tombstones[digest]
            elif seq and at < now - LOG_ID_KEEP_S:
                self._log[seq - 1] = LogEntry(seq, DELETE_USER, hashed_delete(digest))
                self._tombstones[digest] = (at, 0)
        self._tombstones[self._hash(user_id)] = (now, len(self._log))

    def get_user(self, user_id: str) -> User | None:
        return self._users.get(user_id)

    def list_users(self, offset: int, limit: int) -> tuple[list[User], int]:
        with self._lock:
            return list(islice(self._users.values(), offset, offset + limit)), len(self._users)

    def iter_users(self, batch: int = 10_000) -> Iterator[list[User]]:
        with self._lock:
            users = list(self._users.values())
        yield from _batches(users, batch)

    def search_users(self, text: str, offset: int, limit: int) -> tuple[list[User], int]:
        needle = ascii_lower(text)
        with self._lock:
            found = [u for u in self._users.values() if needle in ascii_lower(u.id)]
        return found[offset : offset + limit], len(found)

    def delete_user(self, user_id: str) -> bool:
        with self._lock:
            if self._users.pop(user_id, None) is None:
                return False
            self._user_vectors.pop(user_id, None)
            self._impressions = {k: i for k, i in self._impressions.items() if i.user_id != user_id}
            self._append_log(DELETE_USER, {"id": user_id})
            self._bury(user_id)
            for position in self._by_user.pop(user_id, []):
                event = self._events[position]
                if event is not None and event.event_id is not None:
                    self._event_ids.discard(event.event_id)
                self._events[position] = None
                self._live_events -= 1
            return True

    def append_event_batches(self, batches: Sequence[Sequence[Event]]) -> list[AppendResult]:
        with self._lock:
            return [self.append_events(events) for events in batches]

    def append_events(self, events: Sequence[Event]) -> AppendResult:
        with self._lock:
            forgotten = refused(events, self._dead([e.user_id for e in events]))
            if forgotten:
                return AppendResult(0, 0, forgotten=forgotten)
            fresh, duplicates = dedupe_batch(events, self._event_ids)
            user_ids, item_ids = referenced_ids(fresh)
            new_users = tuple(u for u in user_ids if u not in self._users)
            new_items = tuple(i for i in item_ids if i not in self._items)
            for user_id in new_users:
                self._users[user_id] = User(id=user_id)
            for event in fresh:
                if event.item_id in new_items and event.item_id not in self._items:
                    self._items[event.item_id] = Item.placeholder_for(
                        event.item_id, event.timestamp
                    )
                self._by_user.setdefault(event.user_id, []).append(len(self._events))
                self._events.append(event)
                if event.event_id is not None:
                    self._event_ids.add(event.event_id)
            self._live_events += len(fresh)
            if fresh:
                last = len(self._events)
                payload = {"first": last - len(fresh) + 1, "last": last}
                self._append_log(EVENTS, payload, tuple(fresh))
            return AppendResult(len(fresh), duplicates, new_users, new_items, tuple(fresh))

    def user_events(self, user_id: str, limit: int) -> list[Event]:
        with self._lock:
            positions = self._by_user.get(user_id, [])
            ordered = sorted(positions, key=lambda p: (self._timestamp(p), p), reverse=True)
            return [e for e in (self._events[p] for p in ordered[:limit]) if e is not None]

    def all_user_events(self, user_id: str) -> list[Event]:
        with self._lock:
            positions = self._by_user.get(user_id, [])
            return [e for e in (self._events[p] for p in positions) if e is not None]

    def _timestamp(self, position: int) -> float:
        event = self._events[position]
        return event.timestamp if event is not None else 0.0

    def count_user_events(self, user_id: str) -> int:
        return len(self._by_user.get(user_id, ()))

    def iter_events(
        self, batch_size: int = 10_000, until: int | None = None
    ) -> Iterator[list[Event]]:
        with self._lock:
            stored = self._events if until is None else self._events[:until]
            live = [e for e in stored if e is not None]
        for start in range(0, len(live), batch_size):
            yield live[start : start + batch_size]

    def event_seq(self) -> int:
        """Sequence numbers are positions + 1 in the append-only event list."""
        with self._lock:
            return len(self._events)

    def known_high_water(self) -> int:
        return self.high_water()

    def high_water(self) -> int:
        return len(self._log)

    def entries(self, after: int, limit: int = 1000) -> list[LogEntry]:
        with self._lock:
            return self._log[after : after + limit]

    def cut(self) -> Cut:
        with self._lock:
            return Cut(len(self._log), len(self._events))

    def events_in(self, first: int, last: int) -> list[Event]:
        with self._lock:
            return [e for e in self._events[max(first, 1) - 1 : last] if e is not None]

    def item_vectors(self, ids: Sequence[str]) -> dict[str, Floats]:
        return {i: self._item_vectors[i] for i in ids if i in self._item_vectors}

    def put_item_vectors(self, ids: Sequence[str], vectors: Floats) -> None:
        with self._lock:
            for item_id, vector in zip(ids, vectors, strict=True):
                if item_id in self._items:
                    _keep_vector(self._item_vectors, item_id, vector)

    def user_vectors(self, ids: Sequence[str]) -> dict[str, Floats]:
        return {u: self._user_vectors[u] for u in ids if u in self._user_vectors}

    def secret(self, name: str) -> bytes:
        with self._lock:
            return self._secrets.setdefault(name, secrets.token_bytes(32))

    def experiments(self) -> list[ExperimentRecord]:
        with self._lock:
            return list(self._experiments.values())

    def create_experiment(self, record: ExperimentRecord, admit: Admit) -> ExperimentRecord | None:
        with self._lock:
            if record.id in self._experiments:
                return None
            stored = admit(list(self._experiments.values()))
            self._experiments[stored.id] = stored
            self._append_log(EXPERIMENT, {"id": stored.id})
            return stored

    def stop_experiment(self, experiment_id: str, at: float) -> ExperimentRecord | None:
        with self._lock:
            record = self._experiments.get(experiment_id)
            if record is None or record.stopped_at is not None:
                return record
            stopped = ExperimentRecord(record.id, record.definition, record.started_at, at)
            self._experiments[experiment_id] = stopped
            self._append_log(EXPERIMENT, {"id": experiment_id})
            return stopped

    def append_impressions(self, impressions: Sequence[Impression]) -> None:
        with self._lock:
            dead = self._dead([i.user_id for i in impressions])
            fresh = [i for i in impressions if i.id not in self._impressions]
            fresh = [i for i in fresh if i.user_id not in dead]
            for impression in fresh:
                self._impressions[impression.id] = impression
            if fresh:
                self._append_log(IMPRESSIONS, {"count": len(fresh)})

    def impressions(self, experiment_id: str) -> list[Impression]:
        with self._lock:
            return [i for i in self._impressions.values() if i.experiment == experiment_id]

    def user_impressions(self, user_id: str) -> list[Impression]:
        with self._lock:
            return [i for i in self._impressions.values() if i.user_id == user_id]

    def experiment_events(self, experiment_id: str, since: float) -> list[Event]:
        with self._lock:
            users = {i.user_id for i in self._impressions.values() if i.experiment == experiment_id}
            return [
                e
                for e in self._events
                if e is not None and e.user_id in users and e.timestamp >= since
            ]

    def counts(self) -> StoreCounts:
        return StoreCounts(len(self._items), len(self._users), self._live_events)

    def close(self) -> None:
        """Nothing to release."""


def _batches(records: list[T], batch: int) -> Iterator[list[T]]:
    """``records`` in consecutive non-empty slices of ``batch``."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    for start in range(0, len(records), batch):
        yield records[start : start + batch]


def _keep_vector(vectors: dict[str, Floats], key: str, vector: Floats | None) -> None:
    if vector is None or not vector.size or np.isnan(vector[0]):
        vectors.pop(key, None)
    else:
        vectors[key] = np.asarray(vector, dtype=np.float32).copy()
