"""The online updater: every accepted write reaches the engine's state before the reply.

Subscribed to the ``Ingestor``; runs synchronously in the writer's thread, under the ingest
lock, in commit order. Encoding happens before that, in :meth:`OnlineUpdater.prepare`:
- items: text encoded and upserted into the vector index (new and changed items), hidden ones
  masked, deleted ones gone from every result;
- users: stated preferences encoded into a taste vector;
- events: the user's recent and seen items, trending counters and the event log. Models score
  histories at request time, so this is all the next request needs.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.encoders.texts import item_text
from pulserec.engine.core import Engine
from pulserec.feedback import Signal
from pulserec.ingest import Change
from pulserec.interactions import TYPE_CODES
from pulserec.types import Event, Item, User

logger = logging.getLogger(__name__)
Float32s = npt.NDArray[np.float32]


class OnlineUpdater:
    """Applies ``Change``s to an :class:`Engine`; also hands events to a running training."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.events_applied = 0

    def prepare(self, change: Change) -> dict[str, Any]:
        """Encode the text of changed items and users (outside every lock)."""
        prepared: dict[str, Any] = {}
        if change.items:
            prepared["item_vectors"] = self.item_vectors(list(change.items))
        if change.users:
            prepared["preference_vectors"] = self.preference_vectors(list(change.users))
        return prepared

    def __call__(self, change: Change) -> None:
        prepared = change.prepared or {}
        with self.engine.write_lock:
            if change.items:
                self.items(list(change.items), prepared.get("item_vectors"))
            if change.users:
                self.users(list(change.users), prepared.get("preference_vectors"))
            if change.result is not None:
                if change.result.new_items:
                    self.engine.catalog.mark_placeholders(list(change.result.new_items))
                self.events(list(change.result.stored))
            for item_id in change.deleted_items:
                self.delete_item(item_id)
            for user_id in change.deleted_users:
                self.delete_user(user_id)

    def item_vectors(self, items: list[Item]) -> Float32s:
        """One row per item: its text vector, or NaN for an item without text."""
        texts = [item_text(item, self.engine.config.domain) for item in items]
        with_text = [n for n, text in enumerate(texts) if text]
        vectors = np.full((len(items), self.engine.catalog.dim), np.nan, dtype=np.float32)
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
        self.engine.catalog.upsert(items, vectors)

    def users(self, users: list[User], vectors: list[Float32s | None] | None = None) -> None:
        if vectors is None:
            vectors = self.preference_vectors(users)
        for user, vector in zip(users, vectors, strict=True):
            index = self.engine.users.add(user.id)
            self.engine.user_states.set_preferences(index, vector)

    def events(self, events: list[Event]) -> None:
        """User state (history with its evidence, seen), trending and the event log, by the
        rules of :mod:`pulserec.feedback` (a negative event takes the item out of the history;
        trending counts engagements)."""
        engine = self.engine
        rated = [e for e in events if e.item_id is not None]
        if not rated:
            return
        users = engine.users.add_many(e.user_id for e in rated)
        items = engine.items.add_many(e.item_id for e in rated if e.item_id is not None)
        kinds = np.array([TYPE_CODES[e.type.value] for e in rated], dtype=np.int8)
        values = np.array([np.nan if e.value is None else e.value for e in rated], np.float32)
        negative = engine.config.feedback.signals(kinds, values) == Signal.NEGATIVE
        stamps = np.array([e.timestamp for e in rated], dtype=np.float64)
        for user, item, kind, value, bad in zip(
            users.tolist(),
            items.tolist(),
            kinds.tolist(),
            values.tolist(),
            negative.tolist(),
            strict=True,
        ):
            engine.user_states.add(user, item, kind, value, bad)
        counted = engine.config.feedback.engagement(kinds)
        engine.trending.add(items[counted], stamps[counted])
        engine.event_log.append(items[counted], stamps[counted])
        engine.pending.record(rated)
        self.events_applied += len(rated)

    def delete_item(self, item_id: str) -> None:
        index = self.engine.catalog.remove(item_id)
        if index is not None:
            self.engine.trending.forget(index)

    def delete_user(self, user_id: str) -> None:
        index = self.engine.users.get(user_id)
        if index is not None:
            self.engine.user_states.forget(index)
            self.engine.users.remove(user_id)
