"""Background retraining: fit from the store, publish versioned artifacts, swap atomically.

A training cuts its snapshot at a consistent point of the store (``Store.cut``: the last
change-log entry and the last event, read in one statement). It fits every configured model on
the events up to that cut in a worker thread while requests keep being served and writes the
bundle (the cut in its meta); then, under the write lock, the engine catches up with the log
and the events after the cut that this state has applied are folded into the new models,
each exactly once, before they serve. Items posted during the fit stay "fresh".
"""

from __future__ import annotations

import fcntl
import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from pulserec.artifacts import ArtifactStore
from pulserec.engine.bundle import ModelBundle
from pulserec.engine.config import EngineConfig
from pulserec.engine.core import Engine
from pulserec.experiments.service import running_models
from pulserec.ids import IdMap
from pulserec.interactions import Interactions
from pulserec.item_vectors import ItemVectors
from pulserec.retrievers import registry
from pulserec.retrievers.base import Retriever
from pulserec.storage.changelog import DELETE_USER, ChangeLog, Cut
from pulserec.types import Event

logger = logging.getLogger(__name__)


TRAINING_LOCK = ".training.lock"


def try_lock(path: Path) -> IO[str] | None:
    """An exclusive lock on ``path`` across processes, or None when another holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


class TrainingConflict(RuntimeError):
    """A training is already running (409 at the API)."""


@dataclass
class TrainJob:
    """One training run, as ``GET /v1/admin/train/{job}`` reports it."""

    id: str
    state: str = "queued"  # queued | running | done | failed
    model_version: str | None = None
    error: str | None = None
    models: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # model -> why it was not trained
    served: dict[str, Any] = field(default_factory=dict)  # model -> its served configuration
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def as_json(self) -> dict[str, Any]:
        return {
            "job": self.id,
            "state": self.state,
            "model_version": self.model_version,
            "error": self.error,
            "models": self.models,
            "skipped": self.skipped,
            "served": self.served,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


class Trainer:
    """Runs one training at a time for an engine, in the background or inline."""

    def __init__(self, engine: Engine, artifacts: ArtifactStore | None) -> None:
        self.engine = engine
        self.artifacts = artifacts
        self.jobs: dict[str, TrainJob] = {}
        self.last: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._running: TrainJob | None = None
        self._held: IO[str] | None = None
        self._stop = threading.Event()

    @property
    def running(self) -> bool:
        return self._running is not None

    def start(self) -> TrainJob:
        """Start a training in a worker thread; TrainingConflict if one runs."""
        job = self._claim()
        threading.Thread(target=self._run, args=(job,), name="pulserec-train", daemon=True).start()
        return job

    def train_now(self) -> TrainJob:
        """Train in the calling thread (CLI ``train``, first start of a server)."""
        job = self._claim()
        self._run(job)
        return job

    def _claim(self) -> TrainJob:
        with self._lock:
            if self._running is not None:
                raise TrainingConflict(f"training {self._running.id} is still running")
            if self.artifacts is not None:  # a training in another worker holds the lock
                self._held = try_lock(self.artifacts.root / TRAINING_LOCK)
                if self._held is None:
                    raise TrainingConflict("a training is running in another process")
            job = TrainJob(uuid.uuid4().hex[:12])
            self.jobs[job.id] = job
            self._running = job
            return job

    def _run(self, job: TrainJob) -> None:
        job.state = "running"
        version, error = None, None
        try:
            bundle = self._train()
            version = bundle.version
            job.models = list(bundle.models)
            job.skipped = dict(bundle.meta.get("skipped", {}))
            job.served = dict(bundle.meta.get("served", {}))
        except Exception as failure:  # reported through the job; the old models keep serving
            logger.exception("training %s failed", job.id)
            error = f"{type(failure).__name__}: {failure}"
        finally:
            with self._lock:  # free the trainer before the job reads as finished
                self._running = None
                if self._held is not None:
                    self._held.close()  # releases the lock for every process
                    self._held = None
            job.model_version, job.error = version, error
            job.finished_at = time.time()
            job.state = "done" if error is None and version is not None else "failed"
            job.done.set()

    def _snapshot(self) -> tuple[Interactions, int, Cut]:
        """The stored events up to a cut, mapped through the engine's id maps (events of
        deleted items left out), how many items the engine knew at the cut, and the cut."""
        engine = self.engine
        with engine.write_lock:
            # the cut first, then every entry up to it: commits do not take the engine's lock,
            # and an event of a user or item the maps do not know yet would be left out
            cut = engine.store.cut()
            if engine.updater is not None:
                engine.updater.catch_up(ask=True)
            n_items = len(engine.state.items)
        parts = [
            Interactions.from_known_events(batch, engine.state.users, engine.state.items)
            for batch in engine.store.iter_events(until=cut.event_seq)
        ]
        if not parts:
            return (
                Interactions.from_events([], engine.state.users, engine.state.items),
                n_items,
                cut,
            )
        return Interactions.concat(parts), n_items, cut

    def _vectors(self) -> ItemVectors | None:
        """The catalog's text vectors by id (live items with text only)."""
        catalog = self.engine.state.catalog
        rows = [int(r) for r in catalog.has_vector().nonzero()[0]]
        live = [(r, i) for r in rows if (i := catalog.items.id_of_or_none(r)) is not None]
        if not live:
            return None
        vectors = catalog.vectors()[[r for r, _ in live]].astype("float32")
        return ItemVectors([i for _, i in live], vectors)

    def _fit(
        self, data: Interactions, vectors: ItemVectors | None, skipped: dict[str, str]
    ) -> dict[str, Fitted]:
        extra = running_models(self.engine.store)
        return fit_models(self.engine.config, data, vectors, skipped, extra=extra)

    def _train(self) -> ModelBundle:
        engine = self.engine
        started = time.perf_counter()
        data, n_items, cut = self._snapshot()
        skipped: dict[str, str] = {}
        fitted: dict[str, Fitted] = {}
        if len(data):
            fitted = self._fit(data, self._vectors(), skipped)
        else:
            skipped = {name: "no events stored yet" for name in engine.config.models}
        meta = training_meta(n_items, len(data), fitted, skipped, cut, started)
        models: dict[str, Retriever] = {name: one.model for name, one in fitted.items()}
        version = f"mem-{uuid.uuid4().hex[:8]}"
        if self.artifacts is not None and models:
            version = self.artifacts.save_bundle(save_entries(fitted), data.users, data.items, meta)
            self.artifacts.prune(engine.config.keep_versions)
            from pulserec.privacy.audit import scrub_user

            for user_id in deleted_since(engine.store, cut.log_seq):  # deleted while it trained
                scrub_user(self.artifacts, user_id, engine.state.deleted_users.get(user_id))
        bundle = ModelBundle(version, models, n_items, meta)
        replayed = swap_in(engine, bundle, cut.event_seq)
        self.last = {**meta, "model_version": version, "replayed_events": replayed}
        return bundle

    def schedule(self, every_s: float) -> None:
        """Retrain every ``every_s`` seconds when new events arrived since the last training."""

        def loop() -> None:
            seen = self.engine.store.counts().events
            while not self._stop.wait(every_s):
                now = self.engine.store.counts().events
                if now != seen and not self.running:
                    seen = now
                    self.start()

        threading.Thread(target=loop, name="pulserec-train-schedule", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()


def training_meta(
    n_items: int,
    n_events: int,
    fitted: dict[str, Fitted],
    skipped: dict[str, str],
    cut: Cut,
    started: float,
) -> dict[str, Any]:
    """What a published version records about its training (the cut included)."""
    served = {
        name: one.model.served() for name, one in fitted.items() if hasattr(one.model, "served")
    }
    return {
        "n_items": n_items,
        "n_events": n_events,
        "served": served,
        "trained_at": time.time(),
        "fit_seconds": {name: round(one.seconds, 3) for name, one in fitted.items()},
        "train_seconds": round(time.perf_counter() - started, 3),
        "skipped": skipped,
        "cut_log_seq": cut.log_seq,
        "cut_event_seq": cut.event_seq,
    }


Parallel = Callable[[dict[str, Callable[[], Any]]], dict[str, Any]]


@dataclass(frozen=True)
class Fitted:
    """One model fitted for a version: the model, its registry name and parameters, and the
    seconds its fit took."""

    model: Retriever
    name: str
    params: dict[str, Any]
    seconds: float

    def entry(self) -> tuple[Retriever, str, dict[str, Any]]:
        """What :meth:`ArtifactStore.save_bundle` publishes of it."""
        return self.model, self.name, self.params


def save_entries(fitted: dict[str, Fitted]) -> dict[str, Any]:
    """The models to publish, by key (see :meth:`Fitted.entry`)."""
    return {key: one.entry() for key, one in fitted.items()}


def fit_models(
    config: EngineConfig,
    data: Interactions,
    vectors: ItemVectors | None,
    skipped: dict[str, str],
    parallel: Parallel | None = None,
    extra: Iterable[str] = (),
) -> dict[str, Fitted]:
    """Fit every configured model on ``data``, and the ``extra`` ones (what running
    experiments name): ``{name: Fitted}``; a model that cannot be
    fitted is named in ``skipped`` with the reason. With ``parallel`` (e.g. Ray tasks)
    independent fits run through it: the models, and a hybrid's sources."""
    if parallel is not None:
        return _fit_in_parallel(config, data, vectors, skipped, parallel, extra)
    fitted: dict[str, Fitted] = {}
    for name, params in _configured(config, vectors, skipped, extra).items():
        started = time.perf_counter()
        model = registry.make(name, vectors=vectors, **params).fit(data)
        fitted[name] = Fitted(model, name, params, time.perf_counter() - started)
        logger.info("trained %s in %.1f s", name, fitted[name].seconds)
    return fitted


def _configured(
    config: EngineConfig,
    vectors: ItemVectors | None,
    skipped: dict[str, str],
    extra: Iterable[str] = (),
) -> dict[str, dict[str, Any]]:
    """The configured models (then the ``extra`` ones) that can be fitted now, with their
    parameters; the others are named in ``skipped`` with the reason."""
    out: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys((*config.models, *sorted(extra))):
        spec = registry.MODELS.get(name)
        if spec is None:
            raise ValueError(f"unknown model {name!r} in the engine's configuration")
        if spec.needs_vectors and vectors is None:
            skipped[name] = "no item has text vectors yet (post items with a title)"
            logger.warning("skipping %s: %s", name, skipped[name])
            continue
        out[name] = {**spec.defaults, **config.model_params.get(name, {})}
    return out


def _fit_in_parallel(
    config: EngineConfig,
    data: Interactions,
    vectors: ItemVectors | None,
    skipped: dict[str, str],
    parallel: Parallel,
    extra: Iterable[str] = (),
) -> dict[str, Fitted]:
    from pulserec.ranking.learned import HybridRanker

    made = {
        name: (registry.make(name, vectors=vectors, **params), params)
        for name, params in _configured(config, vectors, skipped, extra).items()
    }
    started = time.perf_counter()
    fitted: dict[str, Fitted] = {}
    for name, (model, params) in made.items():
        if isinstance(model, HybridRanker):  # its sources are the independent fits
            model.parallel = parallel
            try:
                model.fit(data)
            finally:
                model.parallel = None
            fitted[name] = Fitted(model, name, params, time.perf_counter() - started)
    jobs: dict[str, Callable[[], Any]] = {
        n: functools.partial(m.fit, data) for n, (m, _) in made.items() if n not in fitted
    }
    for name, model in parallel(jobs).items():
        fitted[name] = Fitted(model, name, made[name][1], time.perf_counter() - started)
    return {name: fitted[name] for name in made}


def deleted_since(store: ChangeLog, log_seq: int, upto: int | None = None) -> list[str]:
    """Ids of users deleted by log entries after ``log_seq`` (up to ``upto``, else all)."""
    deleted: list[str] = []
    while True:
        entries = store.entries(log_seq, limit=1000)
        for entry in entries:
            if upto is not None and entry.seq > upto:
                return deleted
            if entry.kind == DELETE_USER:
                deleted.append(str(entry.payload["id"]))
        if len(entries) < 1000:
            return deleted
        log_seq = entries[-1].seq


def swap_in(
    engine: Engine,
    bundle: ModelBundle,
    cut_event_seq: int,
    maps: tuple[IdMap, IdMap] | None = None,
) -> int:
    """Serve ``bundle``, trained on events up to ``cut_event_seq``: under the write lock, catch
    up with the log, fold the events applied since the cut into its models (each exactly
    once, mapped through the models' own ``maps`` when they have their own), then swap.
    Returns how many events were folded in."""
    users, items = maps if maps is not None else (engine.state.users, engine.state.items)
    with engine.write_lock:
        engine.catch_up()
        later: list[Event] = []
        if bundle.models and engine.state.applied_event_seq > cut_event_seq:
            later = engine.store.events_in(cut_event_seq + 1, engine.state.applied_event_seq)
            fresh = Interactions.from_known_events(later, users, items)
            for model in bundle.models.values():
                model.update(fresh)
        cut_log_seq = bundle.meta.get("cut_log_seq")
        if bundle.models and cut_log_seq is not None:  # users deleted since the cut
            for user_id in deleted_since(engine.store, int(cut_log_seq), engine.state.applied_seq):
                index = (bundle.users or users).get(user_id)
                if index is None:  # a hole in the live map now: the index it had
                    index = engine.state.deleted_users.get(user_id)
                if index is not None:
                    bundle.forget_rows(np.array([index], dtype=np.int32))
        engine.swap(bundle)
    return len(later)
