"""Background retraining: fit from the store, publish versioned artifacts, swap atomically.

A training cuts its snapshot at a consistent point of the store (``Store.cut``: the last
change-log entry and the last event, read in one statement). It fits every configured model on
the events up to that cut in a worker thread while requests keep being served and writes the
bundle (the cut in its meta); then, under the write lock, the engine catches up with the log
and the events after the cut that this state has applied are folded into the new models,
each exactly once, before they serve. Items posted during the fit stay "fresh".
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np

from pulserec.artifacts import ArtifactStore
from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.core.types import Event
from pulserec.engine.facade import Engine
from pulserec.engine.lifecycle.bundle import ModelBundle
from pulserec.engine.lifecycle.fitting import training_meta
from pulserec.engine.lifecycle.publish import (
    TRAINING_LOCK,
    Published,
    Snapshot,
    deleted_since,
    fit_and_publish,
    try_lock,
)
from pulserec.storage import StoreUnavailable
from pulserec.storage.changelog import LogPruned

logger = logging.getLogger(__name__)
KEPT_JOBS = 100  # the newest jobs ``GET /v1/admin/train/{job}`` can still report


_PATH = re.compile(r"""(?<![\w.:])(?:/[^\s'"/]+)+/?""")


def public_error(failure: BaseException) -> str:
    """What a job reports of its failure: the type, and pulserec's or Python's own message with
    paths taken out; nothing of a file-system or driver error (host, user, path: those are in
    the server log)."""
    name = type(failure).__name__
    module = type(failure).__module__.split(".")[0]
    if isinstance(failure, (OSError, StoreUnavailable)) or module not in ("pulserec", "builtins"):
        return f"{name} (details in the server log)"
    return f"{name}: {_PATH.sub('<path>', str(failure))}"


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
    """Runs one training at a time for an engine, in the background or inline; ``jobs`` keeps
    the newest ``KEPT_JOBS``."""

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
            for old in list(self.jobs)[: max(0, len(self.jobs) - KEPT_JOBS)]:
                del self.jobs[old]  # the oldest (none runs: this one is the only running)
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
            error = public_error(failure)
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

    def _snapshot(self) -> Snapshot:
        """The stored events up to a cut, mapped through the engine's id maps (events of
        deleted items left out), and the catalog's text vectors."""
        engine = self.engine
        with engine.write_lock:
            # the cut first, then every entry up to it: commits do not take the engine's lock,
            # and an event of a user or item the maps do not know yet would be left out
            cut = engine.store.cut()
            engine.catch_up()
            n_items = len(engine.state.items)
        users, items = engine.state.users, engine.state.items
        parts = [
            Interactions.from_known_events(batch, users, items)
            for batch in engine.store.iter_events(until=cut.event_seq)
        ]
        data = Interactions.concat(parts) if parts else Interactions.from_events([], users, items)
        return Snapshot(data, self._vectors(), n_items, cut)

    def _vectors(self) -> ItemVectors | None:
        """The catalog's text vectors by id (live items with text only)."""
        catalog = self.engine.state.catalog
        rows = [int(r) for r in catalog.has_vector().nonzero()[0]]
        live = [(r, i) for r in rows if (i := catalog.items.id_of_or_none(r)) is not None]
        if not live:
            return None
        vectors = catalog.vectors()[[r for r, _ in live]].astype("float32")
        return ItemVectors([i for _, i in live], vectors)

    def _fit(self, snapshot: Snapshot) -> Published:
        """Fit then publish (:func:`~.publish.fit_and_publish`, every training's path)."""
        engine = self.engine
        return fit_and_publish(
            engine.store,
            engine.config,
            snapshot,
            self.artifacts,
            deleted_row=engine.state.deleted_users.get,
        )

    def _train(self) -> ModelBundle:
        engine = self.engine
        snapshot = self._snapshot()
        if not len(snapshot.data):
            skipped = {name: "no events stored yet" for name in engine.config.models}
            started = time.perf_counter()
            meta = training_meta(snapshot.n_items, 0, {}, skipped, snapshot.cut, started)
            bundle = ModelBundle(f"mem-{uuid.uuid4().hex[:8]}", {}, snapshot.n_items, meta)
        else:
            published = self._fit(snapshot)
            models = {name: one.model for name, one in published.fitted.items()}
            bundle = ModelBundle(published.version, models, snapshot.n_items, published.meta)
        replayed = swap_in(engine, bundle, snapshot.cut.event_seq)
        self.last = {**bundle.meta, "model_version": bundle.version, "replayed_events": replayed}
        return bundle

    def schedule(self, every_s: float) -> None:
        """Retrain every ``every_s`` seconds when new events arrived since the last training."""

        def loop() -> None:
            seen = self.engine.store.counts().events
            while not self._stop.wait(every_s):
                now = self.engine.store.counts().events
                if now != seen and not self.running:
                    try:
                        self.start()
                    except TrainingConflict as busy:  # another worker trains: next time
                        logger.info("scheduled training skipped: %s", busy)
                        continue
                    seen = now

        threading.Thread(target=loop, name="pulserec-train-schedule", daemon=True).start()

    def stop(self, wait_s: float = 120.0) -> None:
        """Stop scheduling, and wait (up to ``wait_s``) for a training in flight to end: it
        reads the store, which the caller may close next."""
        self._stop.set()
        running = self._running
        if running is not None:
            running.done.wait(wait_s)


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
            for user_id in deleted_after(engine, bundle, int(cut_log_seq)):
                index = (bundle.users or users).get(user_id)
                if index is None and bundle.users is None:  # a hole in the shared map now:
                    index = engine.state.deleted_users.get(user_id)  # the index it had
                if index is not None:
                    bundle.forget_rows(np.array([index], dtype=np.int32))
        engine.swap(bundle)
    return len(later)


def deleted_after(engine: Engine, bundle: ModelBundle, cut_log_seq: int) -> list[str]:
    """Users deleted after the log entry ``cut_log_seq`` (up to what the engine applied): from
    the log, else (pruned past the cut) the bundle's users the engine no longer holds."""
    try:
        return deleted_since(engine.store, cut_log_seq, engine.state.applied_seq)
    except LogPruned:
        if bundle.users is None:  # the engine's own map: its deleted users
            return engine.state.deleted_users.since(cut_log_seq)
        return [u for u in bundle.users.held() if u not in engine.state.users]
