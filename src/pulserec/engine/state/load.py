"""Bring an engine's online state up from a store: the catalog, users' preferences and the
event history as of one cut of the change log.

Order matters: the bundle's id maps come first (the models' rows are indexed by them; see
:func:`pulserec.app.runtime.assemble`), then the catalog (item text vectors from the store or
the embedding cache, so a restart encodes nothing), users' stated preferences, and the event
history (recent items, seen sets, trending).
"""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from pulserec.core.feedback import Feedback
from pulserec.core.interactions import Interactions
from pulserec.encoders.cache import EmbeddingCache
from pulserec.engine.state.apply import apply_events
from pulserec.engine.state.online_state import OnlineState
from pulserec.engine.state.updates import OnlineUpdater
from pulserec.storage.base import CatalogStore, EventStore, StoreCounts, UserStore
from pulserec.storage.changelog import Cut


class LoadStore(CatalogStore, UserStore, EventStore, Protocol):
    """What loading reads: every item, user and event up to a cut."""

    def counts(self) -> StoreCounts: ...


logger = logging.getLogger(__name__)
Floats = npt.NDArray[np.float32]
PAGE = 10_000


def load_state(
    state: OnlineState,
    store: LoadStore,
    updater: OnlineUpdater,
    cache: EmbeddingCache | None,
    cut: Cut,
    progress: bool,
) -> dict[str, int]:
    """The store as of ``cut`` into the online state (the caller holds the write lock); the
    updater follows the log from there. Returns the users of an adopted id map that the store
    no longer holds (:func:`forget_absent`)."""
    load_catalog(state, store, updater, cache, progress)
    present = load_preferences(state, store, updater)
    present |= load_events(state, store, updater.feedback, cut.event_seq)
    state.applied_seq, state.applied_event_seq = cut.log_seq, cut.event_seq
    return forget_absent(state, present)


def forget_absent(state: OnlineState, present: set[str]) -> dict[str, int]:
    """Users of an adopted id map (a published version's) that the store no longer holds
    (deleted after that version was saved) leave the map, as the log applier would have
    done: ``{user id: the row they had}``, for the caller to forget in the models."""
    gone: dict[str, int] = {}
    for index in range(len(state.users)):
        user_id = state.users.id_of_or_none(index)
        if user_id is not None and user_id not in present:
            state.users.remove(user_id)
            state.deleted_users[user_id] = index
            gone[user_id] = index
    return gone


def load_catalog(
    state: OnlineState,
    store: LoadStore,
    updater: OnlineUpdater,
    cache: EmbeddingCache | None,
    progress: bool,
) -> None:
    """Every stored item into the catalog with its stored text vector; items stored without
    one (an import with no encoder, a data dir from before vectors were stored) are encoded
    through the cache and their vectors kept in the store."""
    total = store.counts().items
    with tqdm(total=total, desc="loading items", unit=" items", disable=not progress) as bar:
        for page in store.iter_items(PAGE):
            state.catalog.upsert(page, updater.text.stored_item_vectors(page, cache))
            bar.update(len(page))


def load_preferences(state: OnlineState, store: LoadStore, updater: OnlineUpdater) -> set[str]:
    """Users, with their stored preference vectors; returns their ids."""
    stored: set[str] = set()
    for page in store.iter_users(PAGE):
        with_text = [user for user in page if user.preferences]
        if with_text:
            updater.users_as_stored(with_text)
        for user in page:
            state.users.add(user.id)
            stored.add(user.id)
    return stored


def load_events(
    state: OnlineState, store: LoadStore, feedback: Feedback, until: int | None = None
) -> set[str]:
    """Every state that events move (:func:`~pulserec.engine.state.apply.apply_events`, the
    path the log applier takes too), from the store's events up to sequence ``until``;
    returns the ids of the users who have events."""
    users, items = state.users, state.items
    parts = [
        Interactions.from_events(batch, users, items) for batch in store.iter_events(until=until)
    ]
    data = Interactions.concat(parts) if parts else Interactions.from_events([], users, items)
    apply_events(state, data, feedback, replace=True)
    return set(users.ids_of(np.unique(data.user_idx)))
