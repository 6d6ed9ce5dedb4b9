"""Bring an engine up from a data dir: models from the latest artifacts, state from the store.

Order matters: the bundle's id maps come first (the models' rows are indexed by them), then
the catalog (item text vectors through the embedding cache, so a restart encodes nothing),
users' stated preferences, and the event history (recent items, seen sets, trending). With
no artifacts and some events, the models are trained once before serving.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import numpy as np
from tqdm import tqdm

from pulserec.artifacts import ArtifactStore
from pulserec.encoders import Encoder, load_encoder
from pulserec.encoders.cache import CACHE_FILENAME, EmbeddingCache, encode_cached
from pulserec.encoders.lru import CachedEncoder
from pulserec.encoders.texts import item_text
from pulserec.engine.bundle import ModelBundle
from pulserec.engine.config import EngineConfig
from pulserec.engine.core import Engine
from pulserec.engine.training import Trainer
from pulserec.engine.updates import OnlineUpdater
from pulserec.feedback import Signal
from pulserec.ingest import Ingestor
from pulserec.interactions import Interactions
from pulserec.llm.openai_compat import generator_from_env
from pulserec.llm.rewriter import ExplanationRewriter
from pulserec.storage import Store

logger = logging.getLogger(__name__)
PAGE = 10_000
MODELS_DIR = "models"


class Runtime:
    """An engine wired to its store: the ingestor feeds the updater, the trainer swaps models."""

    def __init__(self, engine: Engine, ingestor: Ingestor, trainer: Trainer) -> None:
        self.engine = engine
        self.ingestor = ingestor
        self.trainer = trainer


def start_runtime(
    store: Store,
    config: EngineConfig,
    data_dir: Path | None = None,
    item_encoder: Encoder | None = None,
    query_encoder: Encoder | None = None,
    train_if_empty: bool = True,
    progress: bool = True,
) -> Runtime:
    """Load (or train) models and state; subscribe the updater; schedule retraining."""
    artifacts = ArtifactStore(data_dir / MODELS_DIR) if data_dir is not None else None
    item_encoder = item_encoder or shared_encoder(config.item_encoder)
    query_encoder = query_encoder or CachedEncoder(shared_encoder(config.query_encoder))
    engine = Engine(store, config, item_encoder, query_encoder)
    bundle = artifacts.load_bundle() if artifacts is not None and artifacts.latest() else None
    if bundle is not None:
        engine.adopt_maps(bundle.users, bundle.items)
    cache = EmbeddingCache(data_dir / CACHE_FILENAME) if data_dir is not None else None
    ingestor = Ingestor(store, engine.write_lock)
    updater = OnlineUpdater(engine)
    ingestor.prepare_with(updater.prepare)
    with engine.write_lock:
        load_catalog(engine, cache, progress)
        load_preferences(engine, updater)
        load_events(engine)
        ingestor.subscribe(updater)
    trainer = Trainer(engine, artifacts)
    if bundle is not None:
        n_items = int(bundle.meta.get("n_items", len(bundle.items)))
        engine.swap(ModelBundle(bundle.version, bundle.models, n_items, bundle.meta))
        trainer.last = {**bundle.meta, "model_version": bundle.version}
    elif train_if_empty and config.models and len(engine.event_log):
        logger.info("no trained models yet: training %s", ", ".join(config.models))
        trainer.train_now()
    generator = generator_from_env()
    if generator is not None:
        engine.rewrite = ExplanationRewriter(generator).text
        logger.info("explanations rewritten by %s when ready", generator.name)
    if config.train_every_s:
        trainer.schedule(config.train_every_s)
    return Runtime(engine, ingestor, trainer)


@functools.cache
def shared_encoder(name: str) -> Encoder:
    """One encoder per name per process (they are stateless and thread-safe to call)."""
    return load_encoder(name)


def load_catalog(engine: Engine, cache: EmbeddingCache | None, progress: bool) -> None:
    """Every stored item into the catalog, text encoded through the cache."""
    offset, total = 0, engine.store.counts().items
    with tqdm(total=total, desc="embedding items", unit=" items", disable=not progress) as bar:
        while True:
            page, total = engine.store.list_items(offset, PAGE)
            if not page:
                break
            texts = [item_text(item, engine.config.domain) for item in page]
            rows = [n for n, text in enumerate(texts) if text]
            vectors = np.full((len(page), engine.catalog.dim), np.nan, dtype=np.float32)
            if rows:
                encoded = encode_cached(
                    engine.item_encoder, [texts[n] for n in rows], cache, progress=False
                )
                vectors[rows] = encoded
            engine.catalog.upsert(page, vectors)
            offset += len(page)
            bar.update(len(page))
            if offset >= total:
                break


def load_preferences(engine: Engine, updater: OnlineUpdater) -> None:
    """Users' stated preferences, encoded into taste vectors."""
    offset = 0
    while True:
        page, total = engine.store.list_users(offset, PAGE)
        if not page:
            break
        with_text = [user for user in page if user.preferences]
        if with_text:
            updater.users(with_text)
        for user in page:
            engine.users.add(user.id)
        offset += len(page)
        if offset >= total:
            break


def load_events(engine: Engine) -> None:
    """Recent and seen items per user, trending counters and the event log, from the store,
    with the same feedback rule as the online updater."""
    data = Interactions.from_store(engine.store, engine.users, engine.items)
    feedback = engine.config.feedback
    engine.user_states.load(data, feedback.signals(data.type_code, data.value) == Signal.NEGATIVE)
    counted = feedback.engagement(data.type_code)
    engine.trending.add(data.item_idx[counted], data.timestamp[counted])
    engine.event_log.append(data.item_idx[counted], data.timestamp[counted])
