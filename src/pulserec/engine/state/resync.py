"""The compacted log: what a process applies when the change log was pruned past its position
(a worker paused, or idle while others wrote, longer than the log keeps;
:mod:`pulserec.storage.changelog`).

The store is the source of truth, so the entries it missed are replaced by entries that
describe the store now, cut at one consistent point: every stored item and user (upserts are
idempotent), a delete for each item and user this process holds and the store does not, the
events after the last one applied up to the cut (exact by sequence, so none twice), and an
``experiment`` entry (definitions reload). They go through the same applier as the log's own,
listeners included (a deleted user's artifacts are scrubbed, queued impressions dropped).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from pulserec.core.types import Item, User
from pulserec.engine.state.online_state import OnlineState
from pulserec.storage.base import CatalogStore, EventStore, UserStore
from pulserec.storage.changelog import (
    DELETE_ITEM,
    DELETE_USER,
    EVENTS,
    EXPERIMENT,
    ITEMS,
    USERS,
    Cut,
    LogEntry,
)

PAGE = 10_000


class CompactStore(CatalogStore, UserStore, EventStore, Protocol):
    """What the compacted log reads: every item and user, events by sequence, a cut."""

    def cut(self) -> Cut: ...


def compacted(store: CompactStore, state: OnlineState, cut: Cut) -> Iterator[LogEntry]:
    """Entries that bring ``state`` (applied up to its ``applied_event_seq``) to the store as of
    ``cut`` (taken before this runs; later writes follow from the log, idempotently)."""
    seq = cut.log_seq
    yield from _as_stored(seq, store.iter_items(PAGE), state.items.held(), ITEMS, DELETE_ITEM)
    yield from _as_stored(seq, store.iter_users(PAGE), state.users.held(), USERS, DELETE_USER)
    for first in range(state.applied_event_seq + 1, cut.event_seq + 1, PAGE):
        yield LogEntry(seq, EVENTS, {"first": first, "last": min(first + PAGE - 1, cut.event_seq)})
    yield LogEntry(seq, EXPERIMENT, {})


def _as_stored(
    seq: int,
    pages: Iterable[Sequence[Item] | Sequence[User]],
    held: list[str],
    kind: str,
    delete: str,
) -> Iterator[LogEntry]:
    """An upsert entry per stored page, then a delete for each id ``held`` the pages lack."""
    stored: set[str] = set()
    for page in pages:
        ids = [record.id for record in page]
        stored.update(ids)
        yield LogEntry(seq, kind, {"ids": ids})
    for gone in [i for i in held if i not in stored]:
        yield LogEntry(seq, delete, {"id": gone})
