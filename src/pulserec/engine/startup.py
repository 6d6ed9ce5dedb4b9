"""Bring an engine's online state up from a store: the catalog, users' preferences and the
event history as of one cut of the change log.

Order matters: the bundle's id maps come first (the models' rows are indexed by them; see
:func:`pulserec.app.runtime.assemble`), then the catalog (item text vectors from the store or
the embedding cache, so a restart encodes nothing), users' stated preferences, and the event
history (recent items, seen sets, trending).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from pulserec.encoders.cache import EmbeddingCache
from pulserec.engine.apply import apply_events
from pulserec.engine.core import Engine
from pulserec.engine.training import Trainer
from pulserec.engine.updates import OnlineUpdater
from pulserec.experiments.service import Experiments
from pulserec.ingest import Ingestor
from pulserec.interactions import Interactions
from pulserec.storage.changelog import Cut, LogEntry

if TYPE_CHECKING:
    from pulserec.engine.watcher import BundleWatcher

logger = logging.getLogger(__name__)
Floats = npt.NDArray[np.float32]
PAGE = 10_000
MODELS_DIR = "models"


@dataclass(frozen=True)
class Runtime:
    """A handle on one serving process's parts, built by :func:`pulserec.app.runtime.assemble`:
    the engine facade, the write path (its updater follows the log), the trainer, the
    experiments, and the watcher of versions published elsewhere (when there is one)."""

    engine: Engine
    ingestor: Ingestor
    trainer: Trainer
    experiments: Experiments
    watcher: BundleWatcher | None = None

    def close(self) -> None:
        """Stop the background work that holds data (queued impressions are written)."""
        if self.watcher is not None:
            self.watcher.stop()
        self.trainer.stop()
        self.experiments.close()


def scrub_deleted(trainer: Trainer) -> Callable[[LogEntry], None]:
    """A ``delete_user`` listener: the user leaves the user maps of every published version
    on disk."""

    def scrub(entry: LogEntry) -> None:
        if trainer.artifacts is not None:
            from pulserec.privacy.audit import scrub_user

            scrub_user(trainer.artifacts, str(entry.payload["id"]))

    return scrub


def load_state(
    engine: Engine, updater: OnlineUpdater, cache: EmbeddingCache | None, cut: Cut, progress: bool
) -> None:
    """The store as of ``cut`` into the engine's online state (the caller holds the write
    lock); the updater follows the log from there."""
    load_catalog(engine, updater, cache, progress)
    load_preferences(engine, updater)
    load_events(engine, cut.event_seq)
    engine.state.applied_seq, engine.state.applied_event_seq = cut.log_seq, cut.event_seq


def load_catalog(
    engine: Engine, updater: OnlineUpdater, cache: EmbeddingCache | None, progress: bool
) -> None:
    """Every stored item into the catalog with its stored text vector; items stored without
    one (an import with no encoder, a data dir from before vectors were stored) are encoded
    through the cache and their vectors kept in the store."""
    total = engine.store.counts().items
    with tqdm(total=total, desc="loading items", unit=" items", disable=not progress) as bar:
        for page in engine.store.iter_items(PAGE):
            engine.state.catalog.upsert(page, updater.text.stored_item_vectors(page, cache))
            bar.update(len(page))


def load_preferences(engine: Engine, updater: OnlineUpdater) -> None:
    """Users, with their stored preference vectors."""
    for page in engine.store.iter_users(PAGE):
        with_text = [user for user in page if user.preferences]
        if with_text:
            updater.users_as_stored(with_text)
        for user in page:
            engine.state.users.add(user.id)


def load_events(engine: Engine, until: int | None = None) -> None:
    """Every state that events move (:func:`~pulserec.engine.apply.apply_events`, the path
    the log applier takes too), from the store's events up to sequence ``until``."""
    users, items = engine.state.users, engine.state.items
    parts = [
        Interactions.from_events(batch, users, items)
        for batch in engine.store.iter_events(until=until)
    ]
    data = Interactions.concat(parts) if parts else Interactions.from_events([], users, items)
    apply_events(engine.state, data, engine.config.feedback, replace=True)
