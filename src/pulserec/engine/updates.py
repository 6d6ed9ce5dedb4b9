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
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.encoders.cache import EmbeddingCache, encode_cached
from pulserec.encoders.texts import item_text
from pulserec.engine.apply import apply_events
from pulserec.engine.core import Engine
from pulserec.engine.online_state import OnlineState
from pulserec.ingest import Change
from pulserec.interactions import Interactions
from pulserec.storage.changelog import (
    DELETE_ITEM,
    DELETE_USER,
    EVENTS,
    EXPERIMENT,
    IMPRESSIONS,
    ITEMS,
    USERS,
    LogEntry,
)
from pulserec.types import Event, Item, User

logger = logging.getLogger(__name__)
Float32s = npt.NDArray[np.float32]


class OnlineUpdater:
    """Applies the change log to the engine's :class:`OnlineState`, exactly once per entry,
    in order; the engine supplies the store, the encoders and the write lock."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.state: OnlineState = engine.state
        self.events_applied = 0
        # kinds the online state does not hold, applied by whoever listens (experiments), and
        # kinds others also follow (a deleted user leaves the artifacts on disk)
        self.listeners: dict[str, list[Callable[[LogEntry], None]]] = {
            EXPERIMENT: [],
            IMPRESSIONS: [],
        }
        engine.attach_updater(self)

    def listen(self, kind: str, listener: Callable[[LogEntry], None]) -> None:
        """Call ``listener`` with every entry of ``kind`` as it is applied (after the state)."""
        self.listeners.setdefault(kind, []).append(listener)

    def prepare(self, change: Change) -> dict[str, Any]:
        """Encode the text of changed items and users (outside every lock)."""
        prepared: dict[str, Any] = {}
        if change.items:
            prepared["item_vectors"] = self.item_vectors(list(change.items))
        if change.users:
            prepared["preference_vectors"] = self.preference_vectors(list(change.users))
        return prepared

    def __call__(self, change: Change) -> None:
        """After a write through this process: apply it (and anything before it) at once,
        without asking the log whether others wrote meanwhile (the next answer does)."""
        self.catch_up(ask=False)

    def catch_up(self, ask: bool = True) -> int:
        """Apply every entry after the last applied one, up to the log's high-water mark
        (``ask``) or to what this process knows; returns how many were applied."""
        state, feed = self.state, self.engine.feed
        high = feed.high_water if ask else feed.known_high_water
        applied = 0
        with self.engine.write_lock:
            while high() > state.applied_seq:
                entries = feed.entries(state.applied_seq, limit=1000)
                if not entries:
                    break  # the mark is raised before the commit is visible: next time
                for entry in entries:
                    self.apply(entry)
                    state.applied_seq = entry.seq
                applied += len(entries)
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
            events = list(entry.events) or self.engine.store.events_in(first, last)
            known = self.state.items
            fresh = [e.item_id for e in events if e.item_id is not None and e.item_id not in known]
            if fresh:
                self.state.catalog.mark_placeholders(list(dict.fromkeys(fresh)))
            self.events(events)
            self.state.applied_event_seq = max(self.state.applied_event_seq, payload["last"])
        elif entry.kind == DELETE_ITEM:
            self.delete_item(str(payload["id"]))
        elif entry.kind == DELETE_USER:
            self.delete_user(str(payload["id"]))
        elif entry.kind not in self.listeners:
            logger.warning("skipping log entry %d of unknown kind %r", entry.seq, entry.kind)
        for listener in self.listeners.get(entry.kind, ()):
            listener(entry)

    def stored_items(self, ids: list[str]) -> None:
        """Items as the store holds them now, with their stored vectors (missing ones encoded
        here and kept in the store, e.g. after an import that had no encoder)."""
        store = self.engine.store
        found = store.get_items(ids)
        items = [found[i] for i in ids if i in found]
        if items:
            self.items(items, self.stored_item_vectors(items))

    def stored_item_vectors(
        self, items: list[Item], cache: EmbeddingCache | None = None
    ) -> Float32s:
        """Each item's stored vector; items with text stored without one are encoded (through
        ``cache`` when given) and their vectors kept in the store."""
        stored = self.engine.store.item_vectors([i.id for i in items])
        vectors = np.full((len(items), self.state.catalog.dim), np.nan, dtype=np.float32)
        missing = []
        for n, item in enumerate(items):
            vector = stored.get(item.id)
            if vector is not None and vector.shape[0] == vectors.shape[1]:
                vectors[n] = vector
            elif item_text(item, self.engine.config.domain):
                missing.append(n)
        if missing:
            texts = [item_text(items[n], self.engine.config.domain) for n in missing]
            encoded = encode_cached(self.engine.item_encoder, texts, cache, progress=False)
            vectors[missing] = encoded
            self.engine.store.put_item_vectors([items[n].id for n in missing], encoded)
        return vectors

    def stored_users(self, ids: list[str]) -> None:
        store = self.engine.store
        self.users_as_stored([user for u in ids if (user := store.get_user(u)) is not None])

    def users_as_stored(self, users: list[User]) -> None:
        """Users with their stored preference vectors (encoded here when missing)."""
        stored = self.engine.store.user_vectors([u.id for u in users])
        vectors: list[Float32s | None] = []
        for user in users:
            vector = stored.get(user.id)
            if vector is None and user.preferences and user.preferences.strip():
                vector = self.preference_vectors([user])[0]
            vectors.append(vector)
        self.users(users, vectors)

    def item_vectors(self, items: list[Item]) -> Float32s:
        """One row per item: its text vector, or NaN for an item without text."""
        texts = [item_text(item, self.engine.config.domain) for item in items]
        with_text = [n for n, text in enumerate(texts) if text]
        vectors = np.full((len(items), self.state.catalog.dim), np.nan, dtype=np.float32)
        if with_text:
            encoded = self.engine.item_encoder.encode([texts[n] for n in with_text])
            vectors[with_text] = encoded
        return vectors

    def preference_vectors(self, users: list[User]) -> list[Float32s | None]:
        """Each user's stated preferences encoded, or None."""
        stated = [n for n, u in enumerate(users) if u.preferences and u.preferences.strip()]
        out: list[Float32s | None] = [None] * len(users)
        if stated:
            texts = [str(users[n].preferences) for n in stated]
            for n, vector in zip(stated, self.engine.query_encoder.encode(texts), strict=True):
                out[n] = vector
        return out

    def items(self, items: list[Item], vectors: Float32s | None = None) -> None:
        if vectors is None:
            vectors = self.item_vectors(items)
        self.state.catalog.upsert(items, vectors)

    def users(self, users: list[User], vectors: list[Float32s | None] | None = None) -> None:
        if vectors is None:
            vectors = self.preference_vectors(users)
        for user, vector in zip(users, vectors, strict=True):
            index = self.state.users.add(user.id)
            self.state.user_states.set_preferences(index, vector)

    def events(self, events: list[Event]) -> None:
        """User state (history with its evidence, seen), trending and the event log, by the
        rules of :mod:`pulserec.feedback` and :mod:`pulserec.engine.users` (negative feedback
        that outweighs an item's positive feedback takes it out of the history; trending
        counts engagements)."""
        data = Interactions.from_events(events, self.state.users, self.state.items)
        if len(data):
            apply_events(self.state, data, self.engine.config.feedback)
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
        bundle = self.engine.bundle
        if bundle is not None:
            bundle.forget_user(user_id, self.state.users)
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
        self.engine.answers.clear()
