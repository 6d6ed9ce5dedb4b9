"""``pulserec serve``: open the data dir, load a data set if asked, and serve with uvicorn."""

from __future__ import annotations

import gc
import logging
from pathlib import Path

import uvicorn

from pulserec.api.app import create_app
from pulserec.datasets import load_dataset
from pulserec.ingest import Ingestor
from pulserec.storage import open_store

logger = logging.getLogger(__name__)


def serve(data_dir: Path, host: str, port: int, dataset: str | None = None) -> None:
    """Serve the API over the store in ``data_dir`` until interrupted."""
    store = open_store(data_dir)
    if dataset is not None:
        if store.counts().items == 0:
            load_dataset(dataset, Ingestor(store))
        else:
            logger.info("data dir %s already holds data; not loading %s again", data_dir, dataset)
    app = create_app(store)
    gc.collect()
    gc.freeze()
    print(f"pulserec serving {data_dir} on http://{host}:{port}  (Ctrl-C stops)", flush=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        store.close()
