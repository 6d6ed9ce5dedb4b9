"""The composition root: from :class:`~pulserec.app.settings.Settings` to a running process.

Store, encoders, the engine facade over its online state, the updater that follows the change
log, the ingestor (the write path), the trainer, the watcher of published versions and the
optional explanation rewriter are built and wired here and nowhere else.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from pulserec.app.settings import Settings
from pulserec.artifacts import ArtifactStore
from pulserec.core.config import use_cache_dir
from pulserec.core.ids import IdMap
from pulserec.encoders import Encoder, load_encoder
from pulserec.encoders.cache import CACHE_FILENAME, EmbeddingCache
from pulserec.encoders.lru import CachedEncoder
from pulserec.engine.config import EngineConfig
from pulserec.engine.facade import Engine
from pulserec.engine.lifecycle.bundle import ModelBundle, ServedBundle
from pulserec.engine.lifecycle.scrubber import ArtifactScrubber
from pulserec.engine.lifecycle.training import Trainer
from pulserec.engine.lifecycle.watcher import BundleWatcher
from pulserec.engine.runtime import MODELS_DIR, Runtime, scrub_deleted
from pulserec.engine.serving.answer_cache import AnswerCache
from pulserec.engine.serving.pipeline import Rewrite
from pulserec.engine.state.load import load_state
from pulserec.engine.state.online_state import OnlineState
from pulserec.engine.state.text_vectors import TextVectors
from pulserec.engine.state.updates import OnlineUpdater
from pulserec.experiments.service import Experiments
from pulserec.llm.generate import Generator
from pulserec.llm.openai_compat import make_generator
from pulserec.llm.rewriter import ExplanationRewriter
from pulserec.llm.stated_tastes import StatedTastesReader
from pulserec.storage import Store, open_store
from pulserec.storage.changelog import DELETE_USER, EXPERIMENT, ChangeLog, LogEntry
from pulserec.storage.ingest import Ingestor
from pulserec.storage.local_feed import LocalFeed

logger = logging.getLogger(__name__)
# what a named data set changes in the engine's defaults (over the settings)
DATASET_CONFIG: dict[str, dict[str, Any]] = {
    "movielens-100k": {"category_label": "genre"},
    "movielens-1m": {"category_label": "genre"},
}


def configure_process(settings: Settings) -> None:
    """Process-wide settings: the cache dir."""
    use_cache_dir(settings.cache_dir)


def engine_config(settings: Settings) -> EngineConfig:
    """The engine's configuration, with the data set's own defaults."""
    return replace(settings.engine, **DATASET_CONFIG.get(settings.dataset or "", {}))


def generator(settings: Settings) -> Generator | None:
    """The optional language model the settings name."""
    llm = settings.llm
    return make_generator(llm.url, llm.model, llm.key, llm.gguf)


def artifacts(data_dir: Path) -> ArtifactStore:
    """The versioned model bundles of a data dir."""
    return ArtifactStore(data_dir / MODELS_DIR)


@functools.cache
def shared_encoder(name: str) -> Encoder:
    """One encoder per name per process (they are stateless and thread-safe to call)."""
    return load_encoder(name)


def follow_bus(store: Store, url: str) -> ChangeLog:
    """Publish ``store``'s writes to the bus at ``url`` and follow the log through it."""
    try:
        from pulserec.storage.redis_bus import BusFeed, BusPublisher, RedisBus
    except ImportError as exc:  # pragma: no cover - the scale extra is not installed
        raise ValueError(f"{url}: the Redis bus needs pip install 'pulserec[scale]'") from exc
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"unknown bus URL {url!r} (use redis://host:port/db)")
    bus = RedisBus(url)
    feed = BusFeed(store, bus)
    store.after_commit(BusPublisher(bus))
    store.after_commit(feed.offer)
    return feed


def build_engine(
    store: Store,
    config: EngineConfig,
    item_encoder: Encoder,
    query_encoder: Encoder,
    feed: ChangeLog | None = None,
    maps: tuple[IdMap, IdMap] | None = None,
    rewrite: Rewrite | None = None,
) -> tuple[Engine, OnlineUpdater]:
    """An engine over a fresh online state (on the bundle's id ``maps`` when given, so model
    rows line up) and the updater that brings the state up to ``feed`` (the store's log)."""
    state = OnlineState(config, item_encoder.dim)
    if maps is not None:
        state.adopt_maps(*maps)
    if config.dp_epsilon is not None:
        state.make_private(store.secret("dp-noise"))
    feed = feed if feed is not None else store
    write_lock = threading.RLock()
    answers = AnswerCache(config.answer_cache, config.answer_cache_bytes)
    served = ServedBundle()
    updater = OnlineUpdater(
        state,
        store,
        feed,
        write_lock,
        config.feedback,
        TextVectors(store, config.text_recipe, item_encoder, query_encoder),
        lambda user_id: served.forget_user(user_id, state.users),
        answers,
    )
    engine = Engine(
        store,
        state,
        config,
        query_encoder,
        feed,
        updater,
        write_lock,
        answers,
        served,
        rewrite,
        StatedTastesReader(state.catalog),
    )
    return engine, updater


def follow_locally(store: Store) -> ChangeLog:
    """Follow ``store``'s log with this process's own entries (and their events) in hand."""
    feed = LocalFeed(store)
    store.after_commit(feed.offer)
    return feed


def open_runtime(settings: Settings, train_if_empty: bool) -> tuple[Runtime, Store]:
    """One serving process over the settings' data dir, watching its artifacts for versions
    published elsewhere."""
    store = open_store(settings.store_target)
    feed = follow_bus(store, settings.bus) if settings.bus else None
    runtime = assemble(
        store,
        engine_config(settings),
        settings.data_dir,
        train_if_empty=train_if_empty,
        rewriter=generator(settings),
        feed=feed,
        artifacts_dir=settings.artifacts_dir,
    )
    trainer = runtime.trainer
    if trainer.artifacts is not None:
        watcher = BundleWatcher(runtime.engine, trainer.artifacts, busy=lambda: trainer.running)
        watcher.start()
        runtime = replace(runtime, watcher=watcher)
    return runtime, store


def drop_queued(experiments: Experiments) -> Callable[[LogEntry], None]:
    """A ``delete_user`` listener: the user's impressions still queued are dropped."""

    def drop(entry: LogEntry) -> None:
        experiments.log.forget(str(entry.payload["id"]))

    return drop


def assemble(
    store: Store,
    config: EngineConfig,
    data_dir: Path | None = None,
    item_encoder: Encoder | None = None,
    query_encoder: Encoder | None = None,
    train_if_empty: bool = True,
    progress: bool = True,
    rewriter: Generator | None = None,
    feed: ChangeLog | None = None,
    artifacts_dir: Path | None = None,
) -> Runtime:
    """Load (or train) models and state over ``store``; subscribe the updater to the write
    path; schedule retraining; rewrite explanations with ``rewriter`` when given."""
    published = artifacts_dir or data_dir
    models = artifacts(published) if published is not None else None
    item_encoder = item_encoder or shared_encoder(config.item_encoder)
    query_encoder = query_encoder or CachedEncoder(shared_encoder(config.query_encoder))
    feed = feed if feed is not None else follow_locally(store)
    bundle = models.load_bundle() if models is not None and models.latest() else None
    maps = (bundle.users, bundle.items) if bundle is not None else None
    rewrite = ExplanationRewriter(rewriter).text if rewriter is not None else None
    engine, updater = build_engine(store, config, item_encoder, query_encoder, feed, maps, rewrite)
    cache = EmbeddingCache(data_dir / CACHE_FILENAME) if data_dir is not None else None
    ingestor = Ingestor(store)  # its own lock: a commit does not hold up answers
    ingestor.prepare_with(updater.prepare)
    cut = store.cut()  # load what the store held at this entry, then follow the log from it
    with engine.write_lock:
        gone = load_state(engine.state, store, updater, cache, cut, progress)
        ingestor.subscribe(updater)
    engine.catch_up()
    trainer = Trainer(engine, models)
    if bundle is not None:
        served = ModelBundle.from_artifact(bundle, own_users=False)  # it shares its maps
        served.forget_rows(np.array(list(gone.values()), dtype=np.int32))  # deleted since
        engine.swap(served)
        trainer.last = {**bundle.meta, "model_version": bundle.version}
    elif train_if_empty and config.models and len(engine.state.event_log):
        logger.info("no trained models yet: training %s", ", ".join(config.models))
        trainer.train_now()
    if rewriter is not None:
        logger.info("explanations rewritten by %s when ready", rewriter.name)
    if config.train_every_s:
        trainer.schedule(config.train_every_s)
    experiments = Experiments(store)
    updater.listen(EXPERIMENT, experiments.on_entry)  # definitions follow the change log
    scrubber = ArtifactScrubber(models) if models is not None else None
    for user_id, row in gone.items():  # a version saved before they were deleted
        if scrubber is not None:
            scrubber.add(user_id, row)
    updater.listen(DELETE_USER, scrub_deleted(scrubber))
    updater.listen(DELETE_USER, drop_queued(experiments))
    return Runtime(engine, ingestor, trainer, experiments, scrubber=scrubber)
