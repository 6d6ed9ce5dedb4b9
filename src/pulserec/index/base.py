"""The VectorIndex contract and the helpers every implementation shares.

Keys are int64 item indices (>= 0); vectors are L2-normalised float32, so inner product is
cosine. ``search`` always answers ``(n, k)`` arrays, best first, padded with key ``-1`` and score
``-inf`` where fewer than ``k`` live vectors qualify.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Int64s = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]
Hits = tuple[Int64s, F32]


@runtime_checkable
class VectorIndex(Protocol):
    """Inner-product top-k over keyed vectors, with incremental upsert and remove."""

    dim: int

    def __len__(self) -> int: ...

    def upsert(self, keys: npt.ArrayLike, vectors: npt.ArrayLike) -> None: ...

    def remove(self, keys: npt.ArrayLike) -> None: ...

    def search(
        self, queries: npt.ArrayLike, k: int, exclude: npt.ArrayLike | None = None
    ) -> Hits: ...

    def contains(self, key: int) -> bool: ...

    def save(self, path: Path | str) -> None: ...


def as_keys(keys: npt.ArrayLike) -> Int64s:
    """Keys as a 1-D int64 array; ValueError for negative or non-integer keys."""
    arr = np.asarray(keys)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"keys must be integers, got dtype {arr.dtype}")
    out = arr.astype(np.int64).reshape(-1)
    if out.min() < 0:
        raise ValueError(f"keys must be >= 0, got {int(out.min())}")
    return out


def as_vectors(vectors: npt.ArrayLike, dim: int, what: str = "vectors") -> F32:
    """A C-contiguous float32 ``(n, dim)`` matrix (a 1-D vector becomes one row)."""
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise ValueError(f"{what} must have shape (n, {dim}) or ({dim},), got {arr.shape}")
    return np.ascontiguousarray(arr)


def checked_batch(keys: npt.ArrayLike, vectors: npt.ArrayLike, dim: int) -> tuple[Int64s, F32]:
    """Validated keys and vectors; a key repeated in the batch keeps its last vector."""
    ks, vs = as_keys(keys), as_vectors(vectors, dim)
    if ks.shape[0] != vs.shape[0]:
        raise ValueError(f"got {ks.shape[0]} keys but {vs.shape[0]} vectors")
    _, last = np.unique(ks[::-1], return_index=True)
    if last.size < ks.size:
        rows = ks.size - 1 - last
        ks, vs = ks[rows], vs[rows]
    return ks, vs


def empty_hits(n: int, k: int) -> Hits:
    return np.full((n, k), -1, dtype=np.int64), np.full((n, k), -np.inf, dtype=np.float32)


def first_valid(keys: Int64s, scores: F32, valid: npt.NDArray[np.bool_], k: int) -> Hits:
    """Per row, the first ``k`` valid entries in their current (best-first) order, padded."""
    n, m = keys.shape
    out_keys, out_scores = empty_hits(n, k)
    if m == 0 or k == 0:
        return out_keys, out_scores
    order = np.argsort(~valid, axis=1, kind="stable")[:, :k]  # valid ones first, order kept
    take = min(k, m)
    ok = np.take_along_axis(valid, order, axis=1)
    out_keys[:, :take] = np.where(ok, np.take_along_axis(keys, order, axis=1), -1)
    out_scores[:, :take] = np.where(ok, np.take_along_axis(scores, order, axis=1), -np.inf)
    return out_keys, out_scores


def check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        raise ValueError(f"k must be a non-negative integer, got {k!r}")
    return int(k)


def write_npz(path: Path, **arrays: Any) -> None:
    """``np.savez`` to ``path`` atomically (a temporary file, then a rename)."""
    tmp = path.with_name(f"{path.name}.partial")
    with tmp.open("wb") as fh:
        np.savez(fh, **arrays)
    tmp.replace(path)


def read_npz(path: Path) -> dict[str, Any]:
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


class RWLock:
    """Many concurrent readers or one writer; a waiting writer holds off new readers."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writing or self._waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            while self._writing or self._readers:
                self._cond.wait()
            self._waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()
