"""The change log: every accepted write, numbered in the store's commit order.

A ``LogEntry`` says what changed (``kind``) and which records (``payload``: ids, or the range
of event sequence numbers a batch was stored under); consumers read the records themselves
from the store, which stays the source of truth. The embedded stores append an entry inside
the very transaction of the write, so an entry exists exactly when its write is committed,
numbers never repeat and never skip a committed write, and their order is commit order.

The log is pruned as it grows: the store keeps its newest ``LOG_KEEP`` entries (about 5 MB in
SQLite) and deletes older ones every ``PRUNE_EVERY`` entries, in the appending transaction
(:func:`prune_horizon`). Numbers are dense, so a reader sees a pruned stretch as a gap
(:func:`contiguous`); it then applies the store itself instead of the entries it missed
(:mod:`pulserec.engine.state.resync`). The newest entry is never pruned, so numbers are
never reused.

``HighWater`` is the log's high-water mark in a memory-mapped file beside the database: a
consumer that is current pays one 8-byte read to know it, with no query and no lock.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pulserec.core.types import Event

ITEMS, USERS, EVENTS = "items", "users", "events"
DELETE_ITEM, DELETE_USER = "delete_item", "delete_user"
EXPERIMENT, IMPRESSIONS = "experiment", "impressions"
KINDS = (ITEMS, USERS, EVENTS, DELETE_ITEM, DELETE_USER, EXPERIMENT, IMPRESSIONS)
_WORD = struct.Struct("<q")
LOG_KEEP = 100_000  # entries kept
PRUNE_EVERY = 1_000  # entries between two prunings


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One accepted write: ``items``/``users`` ``{"ids": [...]}``; ``events``
    ``{"first": seq, "last": seq}`` (event sequence numbers, inclusive; empty when every
    event was a duplicate); ``delete_item``/``delete_user`` ``{"id": ...}``; ``experiment``
    ``{"id": ...}`` (created or stopped); ``impressions`` ``{"count": n}`` (a flushed batch).
    ``events``: the stored events of an ``events`` entry when the entry travels with them (the
    writer's own entries and the bus's); empty: read them from the store."""

    seq: int
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    events: tuple[Event, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Cut:
    """A consistent point of the store: the last log entry and the last event at it."""

    log_seq: int
    event_seq: int


CommitHook = Callable[[list["LogEntry"]], None]


class LogPruned(Exception):
    """The log no longer holds what a reader needs right after its position: entries pruned,
    or a deletion whose id was hashed (``storage.tombstones``)."""

    def __init__(self, after: int, first: int, what: str = "") -> None:
        gone = what or f"entries {after + 1}-{first - 1} are gone"
        super().__init__(f"the change log was pruned: {gone}")
        self.after, self.first = after, first


def prune_horizon(seq: int, keep: int) -> int | None:
    """After appending entry ``seq``: the last entry to delete now (every entry up to it), or
    None when this append does not prune. Prunes every ``min(PRUNE_EVERY, keep)`` entries, so
    the log holds at most ``keep`` plus that many."""
    keep = max(1, keep)
    if seq <= keep or seq % min(PRUNE_EVERY, keep):
        return None
    return seq - keep


def contiguous(after: int, entries: list[LogEntry]) -> list[LogEntry]:
    """``entries`` read after ``after``; LogPruned when they do not start right after it, or
    when one deletes a user whose id the log no longer names (hashed a day after)."""
    if entries and entries[0].seq != after + 1:
        raise LogPruned(after, entries[0].seq)
    for entry in entries:
        if entry.kind == DELETE_USER and not entry.payload.get("id"):
            raise LogPruned(after, entry.seq, f"entry {entry.seq} no longer names its user")
    return entries


class BusUnavailable(Exception):
    """The bus (Redis) cannot be reached; what the store holds is unaffected."""


class ChangeLog(Protocol):
    """Read side of the log: the stores append inside their transactions; a bus
    (:mod:`pulserec.storage.redis_bus`) carries it to other machines."""

    def high_water(self) -> int: ...
    def known_high_water(self) -> int:
        """What this process knows without asking anyone (at least its own writes): what a
        writer catches up to after its own write; ``high_water`` before an answer."""
        ...

    def entries(self, after: int, limit: int = 1000) -> list[LogEntry]: ...


class HighWater:
    """An int64 in a shared memory-mapped file, written by writers, read by every process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if os.fstat(descriptor).st_size < _WORD.size:
                os.ftruncate(descriptor, _WORD.size)
            self._map = mmap.mmap(descriptor, _WORD.size)
        finally:
            os.close(descriptor)

    def read(self) -> int:
        value: int = _WORD.unpack_from(self._map, 0)[0]
        return value

    def write(self, value: int) -> None:
        _WORD.pack_into(self._map, 0, value)

    def close(self) -> None:
        self._map.close()
