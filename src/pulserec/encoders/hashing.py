"""A deterministic hashing encoder for unit tests of other modules. Never a production default.

Each lower-cased word (and word bigram) is hashed to a signed position; similar texts that share
words get similar vectors, which is all a test of, say, a vector index needs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from itertools import pairwise

import numpy as np

from pulserec.encoders.base import Vectors, normalise

_WORD = re.compile(r"\w+")


class HashingEncoder:
    """Bag of hashed words and bigrams; no model, no dependencies, same output everywhere."""

    def __init__(self, dim: int = 384) -> None:
        if dim < 8:
            raise ValueError("dim must be at least 8")
        self.dim = dim
        self.id = f"hashing-{dim}"

    def _features(self, text: str) -> list[str]:
        words = _WORD.findall(text.lower())
        return words + [f"{a} {b}" for a, b in pairwise(words)]

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature in self._features(text):
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                out[row, value % self.dim] += 1.0 if (value >> 63) & 1 else -1.0
        return normalise(out)
