"""ONNX export into a fresh directory, the embedding cache across restarts, the LRU."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from pulserec.encoders.base import Vectors
from pulserec.encoders.cache import EmbeddingCache, encode_cached
from pulserec.encoders.hashing import HashingEncoder
from pulserec.encoders.lru import CachedEncoder
from pulserec.encoders.onnx import OnnxEncoder
from pulserec.encoders.onnx_export import onnx_model


class CountingEncoder(HashingEncoder):
    """Counts how many texts reach the model."""

    def __init__(self) -> None:
        super().__init__()
        self.encoded = 0

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> Vectors:
        self.encoded += len(texts)
        return super().encode(texts, batch_size)


@pytest.mark.slow
def test_export_writes_both_variants_once(tmp_path: Path, int8: OnnxEncoder) -> None:
    path = onnx_model("int8", directory=tmp_path)
    assert path.name == "int8.onnx" and (tmp_path / "fp32.onnx").is_file()
    assert not list(tmp_path.glob("*.partial-*")), "no half-written files are left behind"
    mtime = path.stat().st_mtime_ns
    assert onnx_model("int8", directory=tmp_path).stat().st_mtime_ns == mtime, "cached, not redone"
    fresh = OnnxEncoder("int8", model_path=path)
    texts = ["space opera", "Toy Story (1995). Genres: Animation, Children's, Comedy."]
    np.testing.assert_allclose(fresh.encode(texts), int8.encode(texts), atol=1e-5)
    with pytest.raises(ValueError, match="variant"):
        onnx_model("int4", directory=tmp_path)


def test_cache_survives_a_restart_and_skips_unchanged_texts(tmp_path: Path) -> None:
    texts = ["alpha beta", "gamma delta", "epsilon"]
    encoder = CountingEncoder()
    cache = EmbeddingCache(tmp_path / "e.sqlite3")
    first = encode_cached(encoder, texts, cache)
    assert encoder.encoded == 3
    cache.close()
    reopened = EmbeddingCache(tmp_path / "e.sqlite3")
    again = encode_cached(encoder, texts, reopened)
    assert encoder.encoded == 3, "nothing re-encoded after a restart"
    np.testing.assert_array_equal(first, again)
    changed = encode_cached(encoder, ["alpha beta", "gamma delta!", "epsilon"], reopened)
    assert encoder.encoded == 4, "only the changed text is encoded"
    np.testing.assert_array_equal(changed[[0, 2]], first[[0, 2]])
    assert reopened.count(encoder.id) == 4
    reopened.close()


def test_lru_returns_the_same_vectors_and_evicts(tmp_path: Path) -> None:
    inner = CountingEncoder()
    cached = CachedEncoder(inner, size=2)
    a = cached.encode(["one", "two"])
    b = cached.encode(["two", "one"])
    np.testing.assert_array_equal(a[::-1], b)
    assert inner.encoded == 2 and cached.hits == 2
    cached.encode(["three"])
    cached.encode(["one"])
    assert inner.encoded == 3, "'one' was used last, so it stayed"
    cached.encode(["two"])
    assert inner.encoded == 4, "'two' was evicted as the least recently used"
