"""``pulserec serve`` and ``pulserec train``: open the data dir, bring the engine up, serve.

With ``--workers N`` uvicorn runs N processes on one port; each builds its own online state
from the store and follows the change log (:mod:`pulserec.engine.updates`), and watches the
artifacts for new model versions (:mod:`pulserec.engine.watcher`), so every worker answers
the same and serves what any trainer published. The parent loads a data set and trains the
first version before the workers start, so they never do it twice.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading
from pathlib import Path
from typing import Any

import uvicorn

from pulserec.api.app import create_app
from pulserec.artifacts import ArtifactStore
from pulserec.datasets import load_dataset
from pulserec.engine.config import EngineConfig
from pulserec.engine.standalone import train_every, train_from_store
from pulserec.engine.startup import MODELS_DIR, Runtime, start_runtime
from pulserec.engine.watcher import BundleWatcher
from pulserec.ingest import Ingestor
from pulserec.server_lock import claim, release
from pulserec.storage import open_store

logger = logging.getLogger(__name__)
DATASET_CONFIG: dict[str, dict[str, Any]] = {"movielens-100k": {"category_label": "genre"}}


def _one_torch_thread() -> None:
    import torch

    torch.set_num_threads(1)


class _Terminated(Exception):
    """SIGTERM as an exception, so that the store is closed and the record removed."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


WORKER_ENV = "PULSEREC_WORKER_DATA_DIR"
DATASET_ENV = "PULSEREC_WORKER_DATASET"


def serve(
    data_dir: Path, host: str, port: int, dataset: str | None = None, workers: int = 1
) -> None:
    """Serve the API over the store in ``data_dir`` until interrupted; while it runs,
    ``server.json`` in the data dir names this server (see ``pulserec.server_lock``).

    uvicorn shuts down gracefully on SIGTERM and then raises it again; here that second SIGTERM
    unwinds the cleanup before the process ends with the usual status."""
    _one_torch_thread()
    main_thread = threading.current_thread() is threading.main_thread()
    if main_thread:
        signal.signal(signal.SIGTERM, _on_sigterm)
    terminated = False
    claim(data_dir, host, port)
    try:
        if workers > 1:
            _serve_workers(data_dir, host, port, dataset, workers)
        else:
            _serve(data_dir, host, port, dataset)
    except _Terminated:
        terminated = True
    finally:
        release(data_dir)
    if terminated and main_thread:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)


def _load_dataset_once(data_dir: Path, dataset: str | None) -> None:
    if dataset is None:
        return
    store = open_store(data_dir)
    try:
        if store.counts().items == 0:
            load_dataset(dataset, Ingestor(store))
        else:
            logger.info("data dir %s already holds data; not loading %s again", data_dir, dataset)
    finally:
        store.close()


def _config(dataset: str | None) -> EngineConfig:
    return EngineConfig.from_env(**DATASET_CONFIG.get(dataset or "", {}))


def _runtime(data_dir: Path, dataset: str | None, train_if_empty: bool) -> tuple[Runtime, Any]:
    """One worker's runtime over the data dir, watching the artifacts for new versions."""
    store = open_store(data_dir)
    runtime = start_runtime(store, _config(dataset), data_dir, train_if_empty=train_if_empty)
    trainer, artifacts = runtime.trainer, runtime.trainer.artifacts
    if artifacts is not None:
        BundleWatcher(runtime.engine, artifacts, busy=lambda: trainer.running).start()
    return runtime, store


def _serve(data_dir: Path, host: str, port: int, dataset: str | None) -> None:
    _load_dataset_once(data_dir, dataset)
    runtime, store = _runtime(data_dir, dataset, train_if_empty=True)
    app = create_app(store, runtime=runtime)
    gc.collect()
    gc.freeze()
    print(f"pulserec serving {data_dir} on http://{host}:{port}  (Ctrl-C stops)", flush=True)
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            http="httptools",
            loop="uvloop",
        )
    finally:
        runtime.trainer.stop()
        store.close()


def _serve_workers(data_dir: Path, host: str, port: int, dataset: str | None, workers: int) -> None:
    """Load and train once here, then hand the port to ``workers`` uvicorn processes."""
    _load_dataset_once(data_dir, dataset)
    store = open_store(data_dir)
    try:
        artifacts = ArtifactStore(data_dir / MODELS_DIR)
        config = _config(dataset)
        if artifacts.latest() is None and config.models and store.counts().events:
            logger.info("no trained models yet: training %s", ", ".join(config.models))
            train_from_store(store, config, artifacts)
    finally:
        store.close()
    os.environ[WORKER_ENV] = str(data_dir)
    os.environ[DATASET_ENV] = dataset or ""
    print(
        f"pulserec serving {data_dir} on http://{host}:{port} with {workers} workers"
        "  (Ctrl-C stops)",
        flush=True,
    )
    uvicorn.run(
        "pulserec.server:worker_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        http="httptools",
        loop="uvloop",
    )


def worker_app() -> Any:
    """The app of one ``--workers`` process (uvicorn calls this in each)."""
    _one_torch_thread()
    data_dir = Path(os.environ[WORKER_ENV])
    dataset = os.environ.get(DATASET_ENV) or None
    runtime, store = _runtime(data_dir, dataset, train_if_empty=False)
    app = create_app(store, runtime=runtime)
    gc.collect()
    gc.freeze()
    return app


def train_models(data_dir: Path) -> str:
    """Train every configured model from the store in ``data_dir`` in this process (no
    server, no online state) and publish a version; returns it."""
    _one_torch_thread()
    store = open_store(data_dir)
    try:
        if store.counts().events == 0:
            raise ValueError(f"no events in {data_dir}: import some first")
        artifacts = ArtifactStore(data_dir / MODELS_DIR)
        meta = train_from_store(store, EngineConfig.from_env(), artifacts)
        return str(meta["model_version"])
    finally:
        store.close()


def keep_training(data_dir: Path, every_s: float) -> None:
    """``pulserec trainer --every``: publish a new version whenever events arrived."""
    _one_torch_thread()
    store = open_store(data_dir)
    try:
        artifacts = ArtifactStore(data_dir / MODELS_DIR)
        train_every(store, EngineConfig.from_env(), artifacts, every_s)
    finally:
        store.close()
