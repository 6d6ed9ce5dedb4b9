"""A model's best items for one query vector at catalog scale: an HNSW index over its item vectors.

Factor and text models score a request as ``item_vectors @ query``: at 1M items that is a 64M to
400M multiply-add product and a partition of a million scores, 10-50 ms a request. Above
:data:`ANN_ITEMS` items, ALS and the content model answer ``retrieve`` from this index instead
(usearch HNSW, inner product, f16: about 0.3 ms), built once per fit; below it they keep their
exact dense path. Items the model cannot score (no text) are left out of the index.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pulserec.index import make_index
from pulserec.index.base import VectorIndex

Float32s = npt.NDArray[np.float32]
Int32s = npt.NDArray[np.int32]
ANN_ITEMS = 100_000
BUILD_BATCH = 50_000


class ItemIndex:
    """Inner-product top-k over the rows of an (items, dim) matrix."""

    def __init__(self, vectors: Float32s, usable: npt.NDArray[np.bool_] | None = None) -> None:
        keys = np.flatnonzero(usable) if usable is not None else np.arange(vectors.shape[0])
        self.n_items = vectors.shape[0]
        self.index: VectorIndex = make_index(int(vectors.shape[1]), "hnsw", threads=2)
        for start in range(0, keys.shape[0], BUILD_BATCH):
            chunk = keys[start : start + BUILD_BATCH]
            self.index.upsert(chunk, np.asarray(vectors[chunk], dtype=np.float32))

    def top(self, query: Float32s, k: int, exclude: Int32s) -> tuple[Int32s, Float32s]:
        """The ``k`` best items for ``query`` not in ``exclude``, best first."""
        keys, scores = self.index.search(query[None, :], k, exclude=exclude.astype(np.int64))
        found = keys[0] >= 0
        return keys[0][found].astype(np.int32), scores[0][found].astype(np.float32)


def wants_index(n_items: int) -> bool:
    """Whether a catalog of ``n_items`` is served from an :class:`ItemIndex`."""
    return n_items >= ANN_ITEMS
