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
import numpy.typing as npt
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
from pulserec.types import Item

logger = logging.getLogger(__name__)
Floats = npt.NDArray[np.float32]
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
    cut = store.cut()  # load what the store held at this entry, then follow the log from it
    with engine.write_lock:
        load_catalog(engine, cache, progress)
        load_preferences(engine, updater)
        load_events(engine, cut.event_seq)
        engine.applied_seq, engine.applied_event_seq = cut.log_seq, cut.event_seq
        ingestor.subscribe(updater)
    engine.catch_up()
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
    """Every stored item into the catalog with its stored text vector; items stored without
    one (an import with no encoder, a data dir from before vectors were stored) are encoded
    through the cache and their vectors kept in the store."""
    offset, total = 0, engine.store.counts().items
    with tqdm(total=total, desc="loading items", unit=" items", disable=not progress) as bar:
        while True:
            page, total = engine.store.list_items(offset, PAGE)
            if not page:
                break
            engine.catalog.upsert(page, _page_vectors(engine, page, cache))
            offset += len(page)
            bar.update(len(page))
            if offset >= total:
                break


def _page_vectors(engine: Engine, page: list[Item], cache: EmbeddingCache | None) -> Floats:
    stored = engine.store.item_vectors([item.id for item in page])
    vectors = np.full((len(page), engine.catalog.dim), np.nan, dtype=np.float32)
    missing: list[int] = []
    for n, item in enumerate(page):
        vector = stored.get(item.id)
        if vector is not None and vector.shape[0] == vectors.shape[1]:
            vectors[n] = vector
        elif item_text(item, engine.config.domain):
            missing.append(n)
    if missing:
        texts = [item_text(page[n], engine.config.domain) for n in missing]
        encoded = encode_cached(engine.item_encoder, texts, cache, progress=False)
        vectors[missing] = encoded
        engine.store.put_item_vectors([page[n].id for n in missing], encoded)
    return vectors


def load_preferences(engine: Engine, updater: OnlineUpdater) -> None:
    """Users, with their stored preference vectors."""
    offset = 0
    while True:
        page, total = engine.store.list_users(offset, PAGE)
        if not page:
            break
        with_text = [user for user in page if user.preferences]
        if with_text:
            updater.users_as_stored(with_text)
        for user in page:
            engine.users.add(user.id)
        offset += len(page)
        if offset >= total:
            break


def load_events(engine: Engine, until: int | None = None) -> None:
    """Recent and seen items per user, trending counters and the event log, from the store's
    events up to sequence ``until``, with the same feedback rule as the online updater."""
    parts = [
        Interactions.from_events(batch, engine.users, engine.items)
        for batch in engine.store.iter_events(until=until)
    ]
    data = (
        Interactions.concat(parts)
        if parts
        else Interactions.from_events([], engine.users, engine.items)
    )
    feedback = engine.config.feedback
    engine.user_states.load(data, feedback.signals(data.type_code, data.value) == Signal.NEGATIVE)
    counted = feedback.engagement(data.type_code)
    engine.trending.add(data.item_idx[counted], data.timestamp[counted])
    engine.event_log.append(data.item_idx[counted], data.timestamp[counted])
