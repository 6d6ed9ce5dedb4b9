"""The Store contract: durable items, users and events, shared by every backend.

Semantics every backend keeps (checked by ``tests/contracts/test_store_contract.py``):
- items and users upsert (replace the stored record, keep its place in listings);
- ``append_events`` is atomic: all of a batch or nothing;
- an ``event_id`` already stored, or repeated inside the batch, is a duplicate: counted, not stored;
- an event's unknown user is created, its unknown item becomes a placeholder item;
- deleting a user removes their events and impressions and leaves a tombstone (a keyed hash of
  the id, :mod:`~.tombstones`): until it expires, an event batch holding one of their events is
  refused whole (``AppendResult.forgotten`` names those events), their impressions are skipped,
  and so is their user record unless ``restore`` lifts it;
  deleting an item keeps the events that name it;
- ``user_events`` is newest first (by timestamp, then arrival); ``all_user_events`` is every
  event of a user in arrival order (the export of ``GET /v1/users/{id}/export``);
- ``search_users`` finds ids containing a text, ASCII letters case-insensitive, in listing order;
- ``get_items`` reads many items at once (unknown ids left out); ``iter_items``/``iter_users``
  yield every record in listing order, in non-empty batches, paged by key (not by offset).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from pulserec.core.types import Event, ExperimentRecord, Impression, Item, User
from pulserec.storage.changelog import CommitHook, Cut, LogEntry

Floats = npt.NDArray[np.float32]
# what the experiment service decides inside the store's write transaction: the record to
# store, given every stored experiment (it raises to refuse, e.g. an overlap)
Admit = Callable[[list[ExperimentRecord]], ExperimentRecord]


@dataclass(frozen=True, slots=True)
class AppendResult:
    """What ``append_events`` did with a batch."""

    accepted: int
    duplicates: int
    new_users: tuple[str, ...] = ()
    new_items: tuple[str, ...] = ()
    # the events actually stored (duplicates left out), in order
    stored: tuple[Event, ...] = field(default=(), compare=False, repr=False)
    # positions in the batch of events of deleted users (tombstones): when not empty, nothing
    # of the batch was stored
    forgotten: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class StoreCounts:
    """How much the store holds (placeholders included in ``items``)."""

    items: int
    users: int
    events: int


class CatalogStore(Protocol):
    """Items, with their text vectors."""

    def upsert_items(self, items: Sequence[Item], vectors: Floats | None = None) -> int: ...
    def get_item(self, item_id: str) -> Item | None: ...
    def get_items(self, ids: Sequence[str]) -> dict[str, Item]:
        """The stored items among ``ids`` by id (an unknown id is absent), read in one query
        (or a few, for long lists)."""
        ...

    def list_items(self, offset: int, limit: int) -> tuple[list[Item], int]: ...
    def iter_items(self, batch: int = 10_000) -> Iterator[list[Item]]:
        """Every item in listing order, ``batch`` at a time (each list non-empty)."""
        ...

    def delete_item(self, item_id: str) -> bool: ...
    def item_vectors(self, ids: Sequence[str]) -> dict[str, Floats]: ...
    def put_item_vectors(self, ids: Sequence[str], vectors: Floats) -> None: ...


class UserStore(Protocol):
    """Users, with their stated preferences' vectors."""

    def upsert_users(
        self,
        users: Sequence[User],
        vectors: Sequence[Floats | None] | None = None,
        restore: bool = False,
    ) -> int:
        """Upsert users; a deleted one (a live tombstone) is skipped, unless ``restore``
        lifts its tombstone. Returns how many were stored."""
        ...

    def forgotten(self, user_ids: Sequence[str]) -> set[str]:
        """Which of ``user_ids`` have a live tombstone (deleted, not restored, not expired)."""
        ...

    def get_user(self, user_id: str) -> User | None: ...
    def list_users(self, offset: int, limit: int) -> tuple[list[User], int]: ...
    def iter_users(self, batch: int = 10_000) -> Iterator[list[User]]:
        """Every user in listing order, ``batch`` at a time (each list non-empty)."""
        ...

    def search_users(self, text: str, offset: int, limit: int) -> tuple[list[User], int]: ...
    def delete_user(self, user_id: str) -> bool: ...
    def user_vectors(self, ids: Sequence[str]) -> dict[str, Floats]: ...


class EventStore(Protocol):
    """Events, deduplicated by ``event_id``, in arrival order."""

    def append_events(self, events: Sequence[Event]) -> AppendResult: ...
    def append_event_batches(self, batches: Sequence[Sequence[Event]]) -> list[AppendResult]:
        """Several batches in one durable commit, each deduplicated and logged on its own."""
        ...

    def user_events(self, user_id: str, limit: int) -> list[Event]: ...
    def all_user_events(self, user_id: str) -> list[Event]: ...
    def count_user_events(self, user_id: str) -> int: ...
    def iter_events(
        self, batch_size: int = 10_000, until: int | None = None
    ) -> Iterator[list[Event]]: ...
    def event_seq(self) -> int: ...
    def events_in(self, first: int, last: int) -> list[Event]: ...


class LogStore(Protocol):
    """The change log (see :mod:`pulserec.storage.changelog`): what its consumers read, and
    the hook its publishers take."""

    def high_water(self) -> int: ...
    def known_high_water(self) -> int: ...
    def entries(self, after: int, limit: int = 1000) -> list[LogEntry]: ...
    def cut(self) -> Cut: ...
    def after_commit(self, hook: CommitHook) -> None:
        """Call ``hook`` with the log entries of every write, after it commits (events
        included), in the writing thread."""
        ...


class ExperimentStore(Protocol):
    """Experiments (:mod:`pulserec.experiments`): definitions and the impressions they
    served."""

    def experiments(self) -> list[ExperimentRecord]:
        """Every stored experiment, running or stopped, in creation order."""
        ...

    def create_experiment(self, record: ExperimentRecord, admit: Admit) -> ExperimentRecord | None:
        """Store ``admit(stored)`` and log it, unless an experiment with the id exists (None)."""
        ...

    def stop_experiment(self, experiment_id: str, at: float) -> ExperimentRecord | None:
        """Stop a running experiment (logged); a stopped one is returned as it is; None:
        unknown."""
        ...

    def append_impressions(self, impressions: Sequence[Impression]) -> None:
        """Keep a batch of impressions (an id already stored is skipped, and so is one of a
        deleted user), logged as one entry."""
        ...

    def impressions(self, experiment_id: str) -> list[Impression]: ...
    def user_impressions(self, user_id: str) -> list[Impression]:
        """Every stored impression shown to ``user_id``, in arrival order (the export)."""
        ...

    def experiment_events(self, experiment_id: str, since: float) -> list[Event]:
        """Every event at or after ``since`` of the users the experiment showed lists to, in
        arrival order (what attribution and the pre-period covariate read)."""
        ...


class SecretStore(Protocol):
    def secret(self, name: str) -> bytes:
        """A random 32-byte value kept under ``name``, the same for every process of this
        store (created by the first that asks): the key of shared noise draws."""
        ...


class Store(CatalogStore, UserStore, EventStore, LogStore, ExperimentStore, SecretStore, Protocol):
    """Where accepted data lives: every role above, over one backend (memory, SQLite,
    PostgreSQL). Writes are durable when they return. Code that needs one role takes that
    role, not the whole store."""

    def counts(self) -> StoreCounts: ...
    def close(self) -> None: ...


class StoreUnavailable(Exception):
    """The store cannot be reached (a server down, a connection lost): the write was not
    committed; the API answers 503 ``unavailable``."""


class CommitUnknown(StoreUnavailable):
    """The connection was lost while ``COMMIT`` was on its way: the write may or may not be
    stored. Retrying with the same ``event_id`` values is safe (a stored one counts as a
    duplicate); the API answers 503 and says so."""


def ascii_lower(text: str) -> str:
    """``text`` with A-Z lowered and nothing else changed (as SQLite's ``lower()`` does)."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def dedupe_batch(events: Sequence[Event], known: set[str]) -> tuple[list[Event], int]:
    """Drop events whose ``event_id`` is in ``known`` or repeats within the batch.

    Returns the events to store and how many were duplicates. Events without an id are kept.
    """
    fresh: list[Event] = []
    seen: set[str] = set()
    duplicates = 0
    for event in events:
        event_id = event.event_id
        if event_id is not None:
            if event_id in known or event_id in seen:
                duplicates += 1
                continue
            seen.add(event_id)
        fresh.append(event)
    return fresh, duplicates


def referenced_ids(events: Sequence[Event]) -> tuple[list[str], list[str]]:
    """Distinct user ids and item ids named by ``events``, in order of first appearance."""
    users = list(dict.fromkeys(e.user_id for e in events))
    items = list(dict.fromkeys(e.item_id for e in events if e.item_id is not None))
    return users, items
