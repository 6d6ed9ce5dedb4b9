"""``pulserec train`` and ``pulserec trainer``: fit and publish from the store alone.

No server, no online state, no generative model: the snapshot is cut at a consistent point of
the store (``Store.cut``), item text vectors are read from the store (items stored without one
are encoded, and only those), every configured model is fitted and the bundle published with
the cut in its meta. Running workers swap it in within a second or two
(:mod:`pulserec.engine.lifecycle.watcher`) and fold in the events after the cut.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from tqdm import tqdm

from pulserec.artifacts import ArtifactStore
from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.encoders import load_encoder
from pulserec.engine.config import EngineConfig
from pulserec.engine.lifecycle.fitting import Parallel
from pulserec.engine.lifecycle.publish import TRAINING_LOCK, Snapshot, fit_and_publish, try_lock
from pulserec.engine.state.text_vectors import stored_or_encoded
from pulserec.storage import Store
from pulserec.storage.changelog import EVENTS, BusUnavailable, LogEntry

logger = logging.getLogger(__name__)
PAGE = 10_000


def train_from_store(
    store: Store,
    config: EngineConfig,
    artifacts: ArtifactStore,
    progress: bool = True,
    parallel: Parallel | None = None,
) -> dict[str, Any]:
    """Fit every configured model on the store's events up to a cut and publish a version;
    returns the bundle's meta with its ``model_version``. ``parallel`` runs independent fits
    (e.g. as Ray tasks: :func:`pulserec.engine.lifecycle.distributed.fit_on_ray`)."""
    held = try_lock(artifacts.root / TRAINING_LOCK)
    if held is None:
        raise ValueError("a training is already running for these artifacts")
    try:
        return _train(store, config, artifacts, progress, parallel)
    finally:
        held.close()


def _train(
    store: Store,
    config: EngineConfig,
    artifacts: ArtifactStore,
    progress: bool,
    parallel: Parallel | None,
) -> dict[str, Any]:
    cut = store.cut()
    users, items = IdMap(), IdMap()
    vectors = _catalog_vectors(store, config, items, progress)
    parts = [
        Interactions.from_events(batch, users, items)
        for batch in store.iter_events(until=cut.event_seq)
    ]
    if not parts:
        raise ValueError("no events stored yet: import some first")
    data = Interactions.concat(parts)
    snapshot = Snapshot(data, vectors, data.n_items, cut)
    trained_by = "pulserec train --ray" if parallel is not None else "pulserec train"
    published = fit_and_publish(store, config, snapshot, artifacts, parallel, trained_by)
    if not published.fitted:
        skipped = published.meta["skipped"]
        reasons = "; ".join(f"{name}: {why}" for name, why in skipped.items())
        raise ValueError(f"no model could be trained ({reasons or 'none configured'})")
    return {**published.meta, "model_version": published.version}


def _catalog_vectors(
    store: Store, config: EngineConfig, items: IdMap, progress: bool
) -> ItemVectors | None:
    """Every stored item into ``items`` (so text models know cold items too) and the text
    vectors the store holds; items with text but no stored vector are encoded and kept
    (:func:`~pulserec.engine.state.text_vectors.stored_or_encoded`, the updater's rule)."""
    ids: list[str] = []
    rows: list[np.ndarray[Any, np.dtype[np.float32]]] = []
    encoder = functools.cache(lambda: load_encoder(config.item_encoder))
    total = store.counts().items
    with tqdm(total=total, desc="reading items", unit=" items", disable=not progress) as bar:
        for page in store.iter_items(PAGE):
            items.add_many(item.id for item in page)
            vectors = stored_or_encoded(store, page, config.text_recipe, encoder)
            with_text = vectors.shape[1] > 0
            kept = np.flatnonzero(~np.isnan(vectors).any(axis=1) & with_text)
            ids.extend(page[n].id for n in kept.tolist())
            rows.extend(vectors[kept])
            bar.update(len(page))
    if not rows:
        return None
    return ItemVectors(ids, np.vstack(rows).astype(np.float32))


class Feed(Protocol):
    """Entries handed to this trainer, acknowledged once a version covers them
    (:class:`pulserec.storage.redis_trainers.TrainerFeed`)."""

    def take(self, block_s: float) -> list[tuple[str, LogEntry]]: ...
    def ack(self, ids: Sequence[str]) -> None: ...


def train_every(
    store: Store,
    config: EngineConfig,
    artifacts: ArtifactStore,
    every_s: float,
    stop: threading.Event | None = None,
    feed: Feed | None = None,
) -> None:
    """``pulserec trainer --every``: train whenever new events arrived, every ``every_s``
    (with ``feed``, the events the trainers' group handed to this one)."""
    stop = stop or threading.Event()
    if feed is not None:
        _train_from_feed(store, config, artifacts, every_s, stop, feed)
        return
    trained_at = -1
    while not stop.is_set():
        cut = store.cut()
        if cut.event_seq != trained_at:
            try:
                meta = train_from_store(store, config, artifacts, progress=False)
                trained_at = int(meta["cut_event_seq"])
                logger.info("published %s", meta["model_version"])
            except ValueError as error:
                logger.warning("not trained: %s", error)
                trained_at = cut.event_seq
        stop.wait(every_s)


def _train_from_feed(
    store: Store,
    config: EngineConfig,
    artifacts: ArtifactStore,
    every_s: float,
    stop: threading.Event,
    feed: Feed,
) -> None:
    """Hold the entries the group hands over; at most every ``every_s``, when some are event
    batches, train (the store's cut covers every entry held: each was committed before it was
    published) and acknowledge them once the version is published."""
    held: dict[str, LogEntry] = {}
    last = float("-inf")
    while not stop.is_set():
        try:
            held.update(feed.take(block_s=min(every_s, 5.0)))
        except BusUnavailable as error:  # keep what is held, try again
            logger.warning("trainer feed unavailable: %s", error)
            stop.wait(1.0)
            continue
        wait = every_s - (time.monotonic() - last)
        if held and wait > 0:  # what is held comes back on every take: wait until due
            stop.wait(wait)
            continue
        if not held:
            continue
        if any(entry.kind == EVENTS for entry in held.values()):
            try:
                meta = train_from_store(store, config, artifacts, progress=False)
                logger.info("published %s", meta["model_version"])
            except ValueError as error:
                logger.warning("not trained: %s", error)
            last = time.monotonic()
        feed.ack(list(held))
        held.clear()
