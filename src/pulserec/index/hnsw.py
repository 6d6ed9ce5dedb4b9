"""Approximate inner-product search on usearch's HNSW graph, with incremental add and remove.

Upsert removes a key's old vector, then adds the new one; removal only marks graph nodes deleted
(usearch reuses their slots), so a removed key vanishes from results at once. Vectors are stored
as ``f16`` by default (half the memory of f32, recall unchanged on text embeddings). Scores come
back as ``1 - distance``, i.e. the inner product at the stored precision.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from usearch.index import Index

from pulserec.index.base import (
    Hits,
    RWLock,
    as_keys,
    as_vectors,
    check_k,
    checked_batch,
    empty_hits,
    first_valid,
    read_npz,
    write_npz,
)

GRAPH_FILE = "hnsw.usearch"
META_FILE = "hnsw.npz"
DTYPES = ("f32", "f16", "i8")


class HnswIndex:
    """usearch HNSW (metric ``ip``): sub-millisecond top-k at a million items."""

    FILES = (GRAPH_FILE, META_FILE)

    def __init__(
        self,
        dim: int,
        connectivity: int = 16,
        expansion_add: int = 128,
        expansion_search: int = 128,
        dtype: str = "f16",
        threads: int = 1,
    ) -> None:
        if isinstance(dim, bool) or not isinstance(dim, int) or dim <= 0:
            raise ValueError(f"dim must be a positive integer, got {dim!r}")
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
        self.dim = dim
        self.connectivity, self.dtype, self.threads = connectivity, dtype, threads
        self.expansion_add, self._expansion_search = expansion_add, expansion_search
        self._index = Index(
            ndim=dim,
            metric="ip",
            dtype=dtype,
            connectivity=connectivity,
            expansion_add=expansion_add,
            expansion_search=expansion_search,
        )
        self._lock = RWLock()

    def __len__(self) -> int:
        return len(self._index)

    @property
    def expansion_search(self) -> int:
        """Candidates kept while searching ("ef"); higher is slower and more exact."""
        return self._expansion_search

    @expansion_search.setter
    def expansion_search(self, value: int) -> None:
        with self._lock.write():
            self._index.expansion_search = value  # type: ignore[misc]  # usearch has a setter
            self._expansion_search = value

    @property
    def memory_bytes(self) -> int:
        """What usearch reports it holds (graph, vectors and reserved capacity)."""
        return int(self._index.memory_usage)

    @property
    def serialized_bytes(self) -> int:
        """The size ``save`` would write for the graph and vectors."""
        return int(self._index.serialized_length)

    def contains(self, key: int) -> bool:
        return key >= 0 and bool(self._index.contains(int(key)))

    def upsert(self, keys: npt.ArrayLike, vectors: npt.ArrayLike) -> None:
        """Replace existing keys (remove, then add) and add new ones."""
        ks, vs = checked_batch(keys, vectors, self.dim)
        if not ks.size:
            return
        with self._lock.write():
            self._drop(ks)
            self._index.add(ks.astype(np.uint64), vs, threads=self.threads)

    def remove(self, keys: npt.ArrayLike) -> None:
        """Mark the keys deleted; unknown keys are ignored."""
        ks = as_keys(keys)
        with self._lock.write():
            self._drop(ks)

    def search(self, queries: npt.ArrayLike, k: int, exclude: npt.ArrayLike | None = None) -> Hits:
        """Approximate top ``k`` per query; over-fetches by the live excluded keys' count."""
        q = as_vectors(queries, self.dim, "queries")
        k = check_k(k)
        ex = np.unique(as_keys(exclude)) if exclude is not None else np.zeros(0, np.int64)
        with self._lock.read():
            size = len(self._index)
            if not size or not k:
                return empty_hits(q.shape[0], k)
            if ex.size:
                ex = ex[np.asarray(self._index.contains(ex.astype(np.uint64)), dtype=bool)]
            fetch = min(size, k + int(ex.size))
            matches = self._index.search(q, fetch, threads=self.threads)
        keys = np.asarray(matches.keys).astype(np.int64).reshape(q.shape[0], -1)
        dist = np.asarray(matches.distances, dtype=np.float32).reshape(q.shape[0], -1)
        counts = np.asarray(getattr(matches, "counts", keys.shape[1])).reshape(-1, 1)
        valid = np.arange(keys.shape[1]) < counts
        if ex.size:
            valid &= ~np.isin(keys, ex)
        return first_valid(keys, (1.0 - dist).astype(np.float32), valid, k)

    def save(self, path: Path | str) -> None:
        """Write usearch's own file ``hnsw.usearch`` and the parameters in ``hnsw.npz``."""
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        graph = directory / GRAPH_FILE
        partial = directory / f"{GRAPH_FILE}.partial"
        with self._lock.read():
            self._index.save(str(partial))
        partial.replace(graph)
        write_npz(directory / META_FILE, **self._params())

    @classmethod
    def load(cls, path: Path | str) -> HnswIndex:
        directory = Path(path)
        meta = read_npz(directory / META_FILE)
        index = cls(
            int(meta["dim"]),
            connectivity=int(meta["connectivity"]),
            expansion_add=int(meta["expansion_add"]),
            expansion_search=int(meta["expansion_search"]),
            dtype=str(meta["dtype"]),
            threads=int(meta["threads"]),
        )
        index._index.load(str(directory / GRAPH_FILE))  # keeps the constructor's expansions
        return index

    def _params(self) -> dict[str, Any]:
        return {
            "dim": np.int64(self.dim),
            "connectivity": np.int64(self.connectivity),
            "expansion_add": np.int64(self.expansion_add),
            "expansion_search": np.int64(self.expansion_search),
            "dtype": np.str_(self.dtype),
            "threads": np.int64(self.threads),
        }

    def _drop(self, keys: npt.NDArray[np.int64]) -> None:
        if keys.size:
            self._index.remove(keys.astype(np.uint64))
