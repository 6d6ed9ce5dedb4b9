"""Bulk work on a Ray cluster (``--ray auto|ray://host:port|host:port``; the ``scale`` extra).

- :func:`encode_on_ray`: texts to vectors with Ray Data, ``map_batches`` over actors that each
  load the encoder once. Texts travel in the very chunks the in-process path encodes
  (:data:`CHUNK`, in order), and each chunk is encoded by the same code, so the vectors are
  identical to ``pulserec embed`` without Ray.
- :func:`fit_on_ray`: independent models fitted as parallel Ray tasks, each returning its
  fitted model (pickled back to the driver).

Ray is imported here only, when one of these runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pulserec.encoders.base import Vectors

logger = logging.getLogger(__name__)
CHUNK = 1024  # texts per task: the step of pulserec.encoders.cache.encode_cached


def connect(address: str) -> Any:
    """``ray.init`` against an existing cluster (no new one is started here)."""
    import ray

    if not ray.is_initialized():
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
    return ray


class _EncodeChunks:
    """A Ray Data actor: loads the named encoder once, then encodes chunk after chunk."""

    def __init__(self, encoder: str, cache_dir: str | None) -> None:
        from pulserec.core.config import use_cache_dir
        from pulserec.encoders import load_encoder

        if cache_dir:
            use_cache_dir(Path(cache_dir))
        self.encoder = load_encoder(encoder)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        blobs = [
            self.encoder.encode([str(t) for t in texts]).astype(np.float32).tobytes()
            for texts in batch["texts"]
        ]
        return {"start": batch["start"], "vectors": np.array(blobs, dtype=object)}


def encode_on_ray(
    address: str, encoder: str, dim: int, texts: Sequence[str], cache_dir: str | None = None
) -> Vectors:
    """``texts`` encoded on the cluster at ``address`` by ``encoder``; one actor per CPU."""
    ray = connect(address)
    actors = max(1, int(ray.cluster_resources().get("CPU", 1)))
    chunks = [
        {"start": start, "texts": list(texts[start : start + CHUNK])}
        for start in range(0, len(texts), CHUNK)
    ]
    if not chunks:
        return np.zeros((0, dim), dtype=np.float32)
    started = time.perf_counter()
    dataset = ray.data.from_items(chunks, override_num_blocks=len(chunks))
    encoded = dataset.map_batches(
        _EncodeChunks,
        fn_constructor_args=(encoder, cache_dir),
        batch_size=1,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=min(actors, len(chunks))),
        num_cpus=1,
    )
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for row in encoded.iter_rows():
        start = int(row["start"])
        block = np.frombuffer(row["vectors"], dtype=np.float32).reshape(-1, dim)
        out[start : start + len(block)] = block
    logger.info("encoded %d texts on %d Ray actors in %.1f s", len(texts), actors,
                time.perf_counter() - started)  # fmt: skip
    return out


def fit_on_ray(address: str, jobs: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Run each ``jobs[name]()`` (a model's fit) as a Ray task; their results by name."""
    ray = connect(address)
    remote = ray.remote(num_cpus=1)(_call)
    futures = {name: remote.remote(job) for name, job in jobs.items()}
    return {name: ray.get(future) for name, future in futures.items()}


def _call(job: Callable[[], Any]) -> Any:
    return job()
