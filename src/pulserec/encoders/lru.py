"""An LRU cache in front of an encoder, for repeated queries on the request path."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from pulserec.encoders.base import Encoder, Vectors


class CachedEncoder:
    """Remembers the vectors of the last ``size`` distinct texts; same ``id`` as the inner one."""

    def __init__(self, inner: Encoder, size: int = 10_000) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self.inner = inner
        self.id = inner.id
        self.dim = inner.dim
        self.size = size
        self.hits = 0
        self.misses = 0
        self._vectors: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        missing: list[int] = []
        with self._lock:
            for i, text in enumerate(texts):
                vector = self._vectors.get(text)
                if vector is None:
                    missing.append(i)
                else:
                    self._vectors.move_to_end(text)
                    out[i] = vector
            self.hits += len(texts) - len(missing)
            self.misses += len(missing)
        if missing:
            fresh = self.inner.encode([texts[i] for i in missing], batch_size)
            out[missing] = fresh
            with self._lock:
                for i, vector in zip(missing, fresh, strict=True):
                    self._vectors[texts[i]] = vector
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        return out
