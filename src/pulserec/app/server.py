"""``pulserec serve``, ``train`` and ``trainer``: drivers over :mod:`pulserec.app.runtime`.

With ``--workers N``, N processes serve one port (:mod:`pulserec.app.workers`, one
``SO_REUSEPORT`` socket each); each builds its own online state
from the store and follows the change log (:mod:`pulserec.engine.state.updates`), and watches the
artifacts for new model versions (:mod:`pulserec.engine.lifecycle.watcher`), so every worker answers
the same and serves what any trainer published. The parent loads a data set and trains the
first version before the workers start, so they never do it twice; the workers read the
same settings again from the flags the parent hands them (:func:`~pulserec.app.settings.
worker_settings`).
"""

from __future__ import annotations

import gc
import logging
import signal
import threading
from typing import Any

import uvicorn

from pulserec.api.app import create_app
from pulserec.app.runtime import artifacts, configure_process, engine_config, open_runtime
from pulserec.app.server_lock import claim, release
from pulserec.app.settings import Settings, hand_to_workers, worker_settings
from pulserec.app.workers import run_workers
from pulserec.data.datasets import load_dataset
from pulserec.engine.lifecycle.standalone import train_every, train_from_store
from pulserec.storage import open_store
from pulserec.storage.ingest import Ingestor

logger = logging.getLogger(__name__)


def _one_torch_thread() -> None:
    import torch

    torch.set_num_threads(1)


class _Terminated(BaseException):
    """SIGTERM as an exception, so that the store is closed and the record removed. Not an
    ``Exception``: code that catches those (a training, an import) must not swallow it."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


def serve(settings: Settings) -> None:
    """Serve the API over the store in ``settings.data_dir`` until interrupted; while it runs,
    ``server.json`` in the data dir names this server (see ``pulserec.app.server_lock``).

    uvicorn shuts down gracefully on SIGTERM and then raises it again; here that second SIGTERM
    unwinds the cleanup before the process ends with the usual status."""
    _one_torch_thread()
    configure_process(settings)
    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread:
        signal.signal(signal.SIGTERM, _on_sigterm)
    terminated = False
    claim(settings.data_dir, settings.host, settings.port)
    try:
        if settings.workers > 1:
            _serve_workers(settings)
        else:
            _serve(settings)
    except _Terminated:
        terminated = True
    finally:
        release(settings.data_dir)
    if terminated and main_thread:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)


def _load_dataset_once(settings: Settings) -> None:
    if settings.dataset is None:
        return
    store = open_store(settings.store_target)
    try:
        if store.counts().items == 0:
            load_dataset(settings.dataset, Ingestor(store))
        else:
            logger.info(
                "data dir %s already holds data; not loading %s again",
                settings.data_dir,
                settings.dataset,
            )
    finally:
        store.close()


def _serve(settings: Settings) -> None:
    _load_dataset_once(settings)
    runtime, store = open_runtime(settings, train_if_empty=True)
    app = create_app(store, settings.server, runtime)
    gc.collect()
    gc.freeze()
    where = f"{settings.data_dir} on http://{settings.host}:{settings.port}"
    print(f"pulserec serving {where}  (Ctrl-C stops)", flush=True)
    try:
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            access_log=False,
            http="httptools",
            loop="uvloop",
        )
    finally:
        runtime.close()
        store.close()


def _serve_workers(settings: Settings) -> None:
    """Load and train once here, then hand the port to ``settings.workers`` uvicorn processes."""
    _load_dataset_once(settings)
    store = open_store(settings.store_target)
    try:
        models, config = artifacts(settings.artifacts_dir), engine_config(settings)
        if models.latest() is None and config.models and store.counts().events:
            logger.info("no trained models yet: training %s", ", ".join(config.models))
            train_from_store(store, config, models)
    finally:
        store.close()
    hand_to_workers(settings)
    where = f"{settings.data_dir} on http://{settings.host}:{settings.port}"
    print(f"pulserec serving {where} with {settings.workers} workers  (Ctrl-C stops)", flush=True)
    run_workers(settings.workers, worker_app, settings.host, settings.port)


def worker_app() -> Any:
    """The app of one ``--workers`` process (each worker calls this once)."""
    _one_torch_thread()
    settings = worker_settings()
    configure_process(settings)
    runtime, store = open_runtime(settings, train_if_empty=False)
    app = create_app(store, settings.server, runtime)
    gc.collect()
    gc.freeze()
    return app


def train_models(settings: Settings, ray: str | None = None) -> dict[str, Any]:
    """Train every configured model from the settings' store in this process (no server, no
    online state; with ``ray``, independent fits as tasks on that cluster) and publish a
    version; returns its meta (``model_version``, ``served``...)."""
    _one_torch_thread()
    configure_process(settings)
    store = open_store(settings.store_target)
    try:
        if store.counts().events == 0:
            raise ValueError(f"no events in {settings.data_dir}: import some first")
        parallel = None
        if ray is not None:
            from functools import partial

            from pulserec.engine.lifecycle.distributed import fit_on_ray

            parallel = partial(fit_on_ray, ray)
        models = artifacts(settings.artifacts_dir)
        return train_from_store(store, settings.engine, models, parallel=parallel)
    finally:
        store.close()


def keep_training(settings: Settings, every_s: float) -> None:
    """``pulserec trainer --every``: publish a new version whenever events arrived (with a bus,
    those handed to this trainer by the trainers' consumer group)."""
    _one_torch_thread()
    configure_process(settings)
    store = open_store(settings.store_target)
    feed = None
    if settings.bus:
        import os
        import socket

        from pulserec.storage.redis_bus import RedisBus
        from pulserec.storage.redis_trainers import TrainerFeed

        feed = TrainerFeed(RedisBus(settings.bus), f"{socket.gethostname()}-{os.getpid()}")
    try:
        train_every(store, settings.engine, artifacts(settings.artifacts_dir), every_s, feed=feed)
    finally:
        store.close()
