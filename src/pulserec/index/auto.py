"""An index that is exact while small and becomes HNSW once it outgrows ``threshold`` vectors.

Exact search is cheaper and perfect for small catalogs (~1 ms at 10k items) but grows linearly;
past ~50k items an HNSW graph answers in well under a millisecond. The migration happens inside
the ``upsert`` that crosses the threshold: writers wait while the graph is built from the exact
index's vectors, searches keep being answered by the exact index, and then the graph is swapped
in. It never migrates back.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.index.base import Hits, read_npz, write_npz
from pulserec.index.exact import FILE as EXACT_FILE
from pulserec.index.exact import ExactIndex
from pulserec.index.hnsw import GRAPH_FILE as HNSW_GRAPH
from pulserec.index.hnsw import META_FILE as HNSW_META
from pulserec.index.hnsw import HnswIndex

logger = logging.getLogger(__name__)
AUTO_FILE = "auto.npz"
DEFAULT_THRESHOLD = 50_000


class AutoIndex:
    """ExactIndex up to ``threshold`` live vectors, then an HnswIndex with ``hnsw_params``."""

    def __init__(self, dim: int, threshold: int = DEFAULT_THRESHOLD, **hnsw_params: Any) -> None:
        if threshold < 0:
            raise ValueError(f"threshold must be >= 0, got {threshold}")
        self.dim, self.threshold, self.hnsw_params = dim, threshold, dict(hnsw_params)
        HnswIndex(dim, **self.hnsw_params)  # fail early on bad parameters
        self._inner: ExactIndex | HnswIndex = ExactIndex(dim)
        self._write = threading.Lock()

    @property
    def backend(self) -> str:
        return "hnsw" if isinstance(self._inner, HnswIndex) else "exact"

    @property
    def memory_bytes(self) -> int:
        return self._inner.memory_bytes

    def __len__(self) -> int:
        return len(self._inner)

    def contains(self, key: int) -> bool:
        return self._inner.contains(key)

    def upsert(self, keys: npt.ArrayLike, vectors: npt.ArrayLike) -> None:
        with self._write:
            self._inner.upsert(keys, vectors)
            if isinstance(self._inner, ExactIndex) and len(self._inner) > self.threshold:
                self._inner = self._migrate(self._inner)

    def remove(self, keys: npt.ArrayLike) -> None:
        with self._write:
            self._inner.remove(keys)

    def search(self, queries: npt.ArrayLike, k: int, exclude: npt.ArrayLike | None = None) -> Hits:
        return self._inner.search(queries, k, exclude)

    def save(self, path: Path | str) -> None:
        """The current backend's files plus ``auto.npz`` (threshold and HNSW parameters)."""
        with self._write:
            self._inner.save(path)
            params = {f"hnsw_{name}": value for name, value in self.hnsw_params.items()}
            for stale in (EXACT_FILE, HNSW_META, HNSW_GRAPH):
                if stale not in self._inner.FILES:
                    (Path(path) / stale).unlink(missing_ok=True)
            limit = np.int64(self.threshold)
            write_npz(Path(path) / AUTO_FILE, dim=np.int64(self.dim), threshold=limit, **params)

    @classmethod
    def load(cls, path: Path | str) -> AutoIndex:
        directory = Path(path)
        meta = read_npz(directory / AUTO_FILE)
        params = {name[5:]: value.item() for name, value in meta.items() if name[:5] == "hnsw_"}
        index = cls(int(meta["dim"]), int(meta["threshold"]), **params)
        if (directory / HNSW_META).is_file():
            index._inner = HnswIndex.load(directory)
        else:
            index._inner = ExactIndex.load(directory)
        return index

    def _migrate(self, exact: ExactIndex) -> HnswIndex:
        started = time.perf_counter()
        keys, vectors = exact.export()
        hnsw = HnswIndex(self.dim, **self.hnsw_params)
        hnsw.upsert(keys, vectors)
        elapsed = time.perf_counter() - started
        logger.info("migrated %d vectors to HNSW in %.1f s", keys.size, elapsed)
        return hnsw
