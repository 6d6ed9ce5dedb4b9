"""The online state follows the store's change log: every accepted write, in commit order.

Each process keeps its own state (users' histories and seen sets, preferences, trending, the
catalog's vectors and fresh items) and brings it up to the log's high-water mark before it
answers (``Engine.catch_up``: one shared-memory read when current), so a write acknowledged by
any worker shapes the next answer of every worker. Applying an entry reads its records from
the store, which stays the source of truth; text vectors come from the store too (computed
once by the writer's :meth:`OnlineUpdater.prepare`, outside every lock), so no worker
re-encodes what another already did.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from pulserec.core.feedback import Feedback
from pulserec.core.interactions import Interactions
from pulserec.core.types import Event, Item, User
from pulserec.engine.serving.answer_cache import AnswerCache
from pulserec.engine.state.apply import apply_events
from pulserec.engine.state.online_state import OnlineState
from pulserec.engine.state.resync import CompactStore, compacted
from pulserec.engine.state.text_vectors import TextStore, TextVectors
from pulserec.storage.base import StoreUnavailable
from pulserec.storage.changelog import (
    DELETE_ITEM,
    DELETE_USER,
    EVENTS,
    EXPERIMENT,
    IMPRESSIONS,
    ITEMS,
    USERS,
    ChangeLog,
    LogEntry,
    LogPruned,
    contiguous,
)
from pulserec.storage.ingest import Change

logger = logging.getLogger(__name__)
Float32s = npt.NDArray[np.float32]


class UpdaterStore(TextStore, CompactStore, Protocol):
    """What the updater reads: the catalog, the users and the events an entry names; the
    whole store at a cut when the log was pruned past this process (:mod:`.resync`)."""


class OnlineUpdater:
    """Applies the change log to an :class:`OnlineState`, exactly once per entry, in order,
    under the state's write lock. ``on_forget`` takes a deleted user out of the served models'
    rows; ``answers`` are cleared after a deletion; ``text`` encodes on the write path."""

    def __init__(
        self,
        state: OnlineState,
        store: UpdaterStore,
        feed: ChangeLog,
        write_lock: threading.RLock,
        feedback: Feedback,
        text: TextVectors,
        on_forget: Callable[[str], None],
        answers: AnswerCache,
    ) -> None:
        self.state = state
        self.store = store
        self.feed = feed
        self.write_lock = write_lock
        self.feedback = feedback
        self.text = text
        self.on_forget = on_forget
        self.answers = answers
        self.events_applied = 0
        self.failures = 0
        self.resyncs = 0  # times the log was pruned past this process (resync)
        self.last_failure: str | None = None
        # kinds the online state does not hold, applied by whoever listens (experiments), and
        # kinds others also follow (a deleted user leaves the artifacts on disk)
        self.listeners: dict[str, list[Callable[[LogEntry], None]]] = {
            EXPERIMENT: [],
            IMPRESSIONS: [],
        }

    def listen(self, kind: str, listener: Callable[[LogEntry], None]) -> None:
        """Call ``listener`` with every entry of ``kind`` as it is applied (after the state)."""
        self.listeners.setdefault(kind, []).append(listener)

    def prepare(self, change: Change) -> dict[str, Any]:
        """Encode the text of changed items and users (outside every lock)."""
        return self.text.prepare(change)

    def __call__(self, change: Change) -> None:
        """After a write through this process: apply it (and anything before it) at once,
        without asking the log whether others wrote meanwhile (the next answer does)."""
        self.catch_up(ask=False)

    def catch_up(self, ask: bool = True) -> int:
        """Apply every entry after the last applied one, up to the log's high-water mark
        (``ask``) or to what this process knows; returns how many were applied."""
        state, feed = self.state, self.feed
        high = feed.high_water if ask else feed.known_high_water
        applied = 0
        with self.write_lock:
            while high() > state.applied_seq:
                try:
                    entries = contiguous(state.applied_seq, feed.entries(state.applied_seq, 1000))
                except LogPruned as pruned:
                    applied += self.resync(pruned)
                    continue
                if not entries:
                    break  # the mark is raised before the commit is visible: next time
                for entry in entries:
                    self.apply_safely(entry)
                    state.applied_seq = entry.seq
                applied += len(entries)
        return applied

    def resync(self, pruned: LogPruned) -> int:
        """The log lost entries this process had not applied: apply the store itself instead
        (:func:`~.resync.compacted`); returns how many entries that took."""
        logger.warning("%s: applying the store instead of the entries missed", pruned)
        cut = self.store.cut()
        applied = 0
        for entry in compacted(self.store, self.state, cut):
            self.apply_safely(entry)
            applied += 1
        self.state.applied_seq = cut.log_seq
        self.state.applied_event_seq = max(self.state.applied_event_seq, cut.event_seq)
        self.resyncs += 1
        return applied

    def apply(self, entry: LogEntry) -> None:
        """One log entry onto the state (the caller holds the write lock)."""
        payload = entry.payload
        if entry.kind == ITEMS:
            self.stored_items(list(payload["ids"]))
        elif entry.kind == USERS:
            self.stored_users(list(payload["ids"]))
        elif entry.kind == EVENTS:
            first, last = int(payload["first"]), int(payload["last"])
            events = list(entry.events) or self.store.events_in(first, last)
            known = self.state.items
            fresh = [e.item_id for e in events if e.item_id is not None and e.item_id not in known]
            if fresh:
                self.state.catalog.mark_placeholders(list(dict.fromkeys(fresh)))
            self.events(events)
            self.state.applied_event_seq = max(self.state.applied_event_seq, payload["last"])
        elif entry.kind == DELETE_ITEM:
            self.delete_item(str(payload["id"]))
        elif entry.kind == DELETE_USER:
            self.delete_user(str(payload["id"]))  # a hashed id never gets here (contiguous)
        elif entry.kind not in self.listeners:
            logger.warning("skipping log entry %d of unknown kind %r", entry.seq, entry.kind)
        for listener in self.listeners.get(entry.kind, ()):
            try:
                listener(entry)
            except Exception as error:  # a side effect never holds the log up
                self._failed(entry, error, "a listener of")

    def apply_safely(self, entry: LogEntry) -> None:
        """:meth:`apply`, except that only an unreachable store stops the log (the entry is
        retried by the next catch-up); any other failure is logged, counted and skipped, so
        one entry can never turn every later read into an error."""
        try:
            self.apply(entry)
        except StoreUnavailable:
            raise
        except Exception as error:
            self._failed(entry, error, "applying")

    def _failed(self, entry: LogEntry, error: Exception, what: str) -> None:
        self.failures += 1
        self.last_failure = f"{what} entry {entry.seq} ({entry.kind}): {type(error).__name__}"
        logger.exception("%s log entry %d (%s) failed", what, entry.seq, entry.kind)

    def stats(self) -> dict[str, Any]:
        """Where the log stands here: applied up to, and failures skipped."""
        return {
            "applied_seq": self.state.applied_seq,
            "failures": self.failures,
            "resyncs": self.resyncs,
            "last_failure": self.last_failure,
        }

    def stored_items(self, ids: list[str]) -> None:
        """Items as the store holds them now, with their stored vectors (missing ones encoded
        here and kept in the store, e.g. after an import that had no encoder)."""
        found = self.store.get_items(ids)
        items = [found[i] for i in ids if i in found]
        if items:
            self.items(items, self.text.stored_item_vectors(items))

    def stored_users(self, ids: list[str]) -> None:
        self.users_as_stored([user for u in ids if (user := self.store.get_user(u)) is not None])

    def users_as_stored(self, users: list[User]) -> None:
        """Users with their stored preference vectors (encoded here when missing)."""
        self.users(users, self.text.stored_preference_vectors(users))

    def items(self, items: list[Item], vectors: Float32s | None = None) -> None:
        if vectors is None:
            vectors = self.text.item_vectors(items)
        self.state.catalog.upsert(items, vectors)

    def users(self, users: list[User], vectors: list[Float32s | None] | None = None) -> None:
        if vectors is None:
            vectors = self.text.preference_vectors(users)
        for user, vector in zip(users, vectors, strict=True):
            index = self.state.users.add(user.id)
            self.state.user_states.set_preferences(index, vector, user.preferences)
            if user.hidden is not None:
                self.state.user_states.set_hidden(index, user.hidden)

    def events(self, events: list[Event]) -> None:
        """User state (history with its evidence, seen), trending and the event log, by the
        rules of :mod:`pulserec.core.feedback` and :mod:`pulserec.engine.state.users` (negative
        feedback
        that outweighs an item's positive feedback takes it out of the history; trending
        counts engagements)."""
        data = Interactions.from_events(events, self.state.users, self.state.items)
        if len(data):
            apply_events(self.state, data, self.feedback)
        self.events_applied += len(data)

    def delete_item(self, item_id: str) -> None:
        index = self.state.catalog.remove(item_id)
        if index is not None:
            self.state.trending.forget(index)

    def delete_user(self, user_id: str) -> None:
        """Forget a user in this state at once: their rows in the served models (and the
        neighbour lists and item-item weights built from them), their history and tastes,
        their events in trending and the popularity windows, and every cached answer."""
        index = self.state.users.get(user_id)
        self.on_forget(user_id)  # the served models' rows, while the id is still mapped
        if index is not None:
            self.state.user_states.forget(index)
            if self.state.private is not None:
                self.state.private.forget_user(index)
            items, stamps = self.state.event_log.forget_user(index)
            if items.size:
                touched = np.unique(items)
                self.state.trending.remove(items, stamps, self.state.event_log.last_seen(touched))
            self.state.users.remove(user_id)
            self.state.deleted_users[user_id] = index
        self.answers.clear()
