"""``pulserec serve`` and ``pulserec train``: open the data dir, bring the engine up, serve."""

from __future__ import annotations

import gc
import logging
import signal
import threading
from pathlib import Path
from typing import Any

import uvicorn

from pulserec.api.app import create_app
from pulserec.datasets import load_dataset
from pulserec.engine.config import EngineConfig
from pulserec.engine.startup import start_runtime
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


def serve(data_dir: Path, host: str, port: int, dataset: str | None = None) -> None:
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
        _serve(data_dir, host, port, dataset)
    except _Terminated:
        terminated = True
    finally:
        release(data_dir)
    if terminated and main_thread:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)


def _serve(data_dir: Path, host: str, port: int, dataset: str | None) -> None:
    store = open_store(data_dir)
    if dataset is not None:
        if store.counts().items == 0:
            load_dataset(dataset, Ingestor(store))
        else:
            logger.info("data dir %s already holds data; not loading %s again", data_dir, dataset)
    overrides = DATASET_CONFIG.get(dataset or "", {})
    runtime = start_runtime(store, EngineConfig.from_env(**overrides), data_dir)
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


def train_models(data_dir: Path) -> str:
    """Train every configured model from the store in ``data_dir``; returns the new version."""
    _one_torch_thread()
    store = open_store(data_dir)
    try:
        if store.counts().events == 0:
            raise ValueError(f"no events in {data_dir}: import some first")
        runtime = start_runtime(store, EngineConfig.from_env(), data_dir, train_if_empty=False)
        job = runtime.trainer.train_now()
        if job.state != "done" or job.model_version is None:
            raise ValueError(f"training failed: {job.error}")
        return job.model_version
    finally:
        store.close()
