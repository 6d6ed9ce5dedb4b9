"""Vector indexes with incremental upsert and remove: exact (numpy), HNSW (usearch), auto.

``make_index(dim, backend)`` builds one; ``load_index(path)`` reads back whatever ``save(path)``
wrote (a directory of ``.npz`` files and usearch's own file; never pickle). HNSW is imported
lazily, so the exact index works without usearch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pulserec.index.base import VectorIndex
from pulserec.index.exact import ExactIndex

BACKENDS = ("auto", "exact", "hnsw")

__all__ = ["BACKENDS", "ExactIndex", "VectorIndex", "load_index", "make_index"]


def make_index(
    dim: int, backend: str = "auto", threshold: int = 50_000, **hnsw_params: Any
) -> VectorIndex:
    """An empty index: ``exact``, ``hnsw``, or ``auto`` (exact until ``threshold`` vectors)."""
    if backend == "exact":
        return ExactIndex(dim)
    if backend == "hnsw":
        from pulserec.index.hnsw import HnswIndex

        return HnswIndex(dim, **hnsw_params)
    if backend == "auto":
        from pulserec.index.auto import AutoIndex

        return AutoIndex(dim, threshold, **hnsw_params)
    raise ValueError(f"unknown index backend {backend!r} (known: {', '.join(BACKENDS)})")


def load_index(path: Path | str) -> VectorIndex:
    """Load the index saved in directory ``path``, whichever kind it is."""
    directory = Path(path)
    if (directory / "auto.npz").is_file():
        from pulserec.index.auto import AutoIndex

        return AutoIndex.load(directory)
    if (directory / "hnsw.npz").is_file():
        from pulserec.index.hnsw import HnswIndex

        return HnswIndex.load(directory)
    if (directory / "exact.npz").is_file():
        return ExactIndex.load(directory)
    raise FileNotFoundError(f"no saved index in {directory}")
