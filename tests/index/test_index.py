"""The VectorIndex contract, run against every backend, and HNSW recall on real text vectors."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import orjson
import pytest

from pulserec.core.schemas import ItemIn
from pulserec.data.synthetic import write_synthetic
from pulserec.encoders.static import StaticEncoder, distill_static
from pulserec.encoders.texts import ecommerce_text
from pulserec.index import VectorIndex, load_index, make_index
from pulserec.index.auto import AutoIndex
from pulserec.index.exact import ExactIndex
from pulserec.index.hnsw import HnswIndex
from pulserec_bench.queries import shop_queries

DIM = 32
N = 300
Vectors = npt.NDArray[np.float32]
FACTORIES: dict[str, Callable[[], VectorIndex]] = {
    "exact": lambda: ExactIndex(DIM),
    "hnsw": lambda: HnswIndex(DIM),
    "auto": lambda: AutoIndex(DIM, threshold=50),  # migrates while the fixture fills it
}


def unit(rng: np.random.Generator, n: int, dim: int = DIM) -> Vectors:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return np.asarray(x / np.linalg.norm(x, axis=1, keepdims=True), dtype=np.float32)


@pytest.fixture(scope="module")
def vectors() -> Vectors:
    return unit(np.random.default_rng(0), N)


@pytest.fixture(params=list(FACTORIES))
def empty(request: pytest.FixtureRequest) -> VectorIndex:
    return FACTORIES[request.param]()


@pytest.fixture
def index(empty: VectorIndex, vectors: Vectors) -> VectorIndex:
    empty.upsert(np.arange(N), vectors)
    return empty


def test_own_key_comes_first(index: VectorIndex, vectors: Vectors) -> None:
    keys, scores = index.search(vectors, 5)
    assert keys.shape == scores.shape == (N, 5)
    assert keys.dtype == np.int64 and scores.dtype == np.float32
    np.testing.assert_array_equal(keys[:, 0], np.arange(N))
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-2)
    assert np.all(np.diff(scores, axis=1) <= 0)
    assert len(index) == N and index.contains(7) and not index.contains(N)


def test_auto_migrated_to_hnsw(index: VectorIndex) -> None:
    if isinstance(index, AutoIndex):
        assert index.backend == "hnsw"


def test_one_query_vector_gives_one_row(index: VectorIndex, vectors: Vectors) -> None:
    keys, scores = index.search(vectors[3], 4)
    assert keys.shape == scores.shape == (1, 4) and keys[0, 0] == 3


def test_replacing_a_vector_changes_results(index: VectorIndex, vectors: Vectors) -> None:
    fresh = unit(np.random.default_rng(1), 1)
    index.upsert([7], fresh)
    assert len(index) == N
    assert index.search(fresh, 1)[0][0, 0] == 7
    assert index.search(vectors[7], 1)[0][0, 0] != 7


def test_last_vector_of_a_repeated_key_wins(empty: VectorIndex, vectors: Vectors) -> None:
    empty.upsert([4, 4], vectors[:2])
    assert len(empty) == 1
    np.testing.assert_allclose(empty.search(vectors[1], 1)[1][0, 0], 1.0, atol=1e-2)


def test_removed_keys_vanish_at_once(index: VectorIndex, vectors: Vectors) -> None:
    index.remove([3, 5, 10_000])  # the unknown key is ignored
    assert len(index) == N - 2 and not index.contains(3)
    keys, _ = index.search(vectors[[3, 5]], N)
    assert not np.isin(keys, [3, 5]).any()
    index.upsert([3], vectors[3])
    assert index.search(vectors[3], 1)[0][0, 0] == 3 and len(index) == N - 1


def test_exclude_still_returns_k(index: VectorIndex, vectors: Vectors) -> None:
    exact, _ = _filled(vectors).search(vectors[:2], 8)
    excluded = np.unique(exact[:, :5])
    keys, scores = index.search(vectors[:2], 5, exclude=excluded)
    assert keys.shape == (2, 5) and (keys >= 0).all() and np.isfinite(scores).all()
    assert not np.isin(keys, excluded).any()


def test_k_beyond_live_count_pads(empty: VectorIndex, vectors: Vectors) -> None:
    empty.upsert([10, 11, 12], vectors[:3])
    keys, scores = empty.search(vectors[0], 5, exclude=[11])
    assert keys[0, 0] == 10 and set(keys[0, :2].tolist()) == {10, 12}
    np.testing.assert_array_equal(keys[0, 2:], -1)
    assert np.isneginf(scores[0, 2:]).all() and np.isfinite(scores[0, :2]).all()


def test_empty_index_returns_nothing(empty: VectorIndex, vectors: Vectors) -> None:
    keys, scores = empty.search(vectors[:2], 3)
    assert keys.shape == (2, 3) and (keys == -1).all() and np.isneginf(scores).all()
    empty.upsert([1], vectors[1])
    empty.remove([1])
    assert len(empty) == 0 and (empty.search(vectors[:2], 3)[0] == -1).all()


def test_save_load_round_trip(index: VectorIndex, vectors: Vectors, tmp_path: Path) -> None:
    index.remove([0, 1])
    index.save(tmp_path)
    loaded = load_index(tmp_path)
    assert type(loaded) is type(index) and len(loaded) == len(index) == N - 2
    for a, b in zip(index.search(vectors, 10), loaded.search(vectors, 10), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not loaded.contains(0) and loaded.contains(2)


def test_wrong_dim_is_a_clear_error(index: VectorIndex) -> None:
    with pytest.raises(ValueError, match=rf"shape \(n, {DIM}\)"):
        index.upsert([1], np.ones((1, DIM + 1), dtype=np.float32))
    with pytest.raises(ValueError, match="queries must have shape"):
        index.search(np.ones(DIM - 1, dtype=np.float32), 3)
    with pytest.raises(ValueError, match="keys must be >= 0"):
        index.upsert([-1], np.ones((1, DIM), dtype=np.float32))
    with pytest.raises(ValueError, match="2 keys but 1 vectors"):
        index.upsert([1, 2], np.ones((1, DIM), dtype=np.float32))


def test_searches_run_while_a_writer_writes(index: VectorIndex, vectors: Vectors) -> None:
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for i in range(100):
                keys, _ = index.search(vectors[i : i + 4], 5)
                assert keys.shape == (4, 5)
        except BaseException as exc:  # re-raised in the main thread
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    for i in range(50):
        index.remove([i])
        index.upsert([i, N + i], vectors[[i, i]])
    for thread in readers:
        thread.join()
    assert not errors and len(index) == N + 50


def test_exact_reuses_freed_rows(vectors: Vectors) -> None:
    exact = ExactIndex(DIM, capacity=N)
    exact.upsert(np.arange(N), vectors)
    size = exact.memory_bytes
    for _ in range(3):
        exact.remove(np.arange(100))
        exact.upsert(np.arange(100), vectors[:100])
    assert exact.memory_bytes == size and len(exact) == N


def test_auto_save_replaces_an_older_backend(vectors: Vectors, tmp_path: Path) -> None:
    grown = AutoIndex(DIM, threshold=10)
    grown.upsert(np.arange(N), vectors)
    grown.save(tmp_path)
    small = AutoIndex(DIM, threshold=10, connectivity=8)
    small.upsert([1, 2], vectors[1:3])
    small.save(tmp_path)
    loaded = load_index(tmp_path)
    assert isinstance(loaded, AutoIndex) and loaded.backend == "exact" and len(loaded) == 2
    assert loaded.hnsw_params == {"connectivity": 8}


def test_make_index_backends() -> None:
    assert isinstance(make_index(DIM, "exact"), ExactIndex)
    assert isinstance(make_index(DIM, "hnsw", connectivity=8), HnswIndex)
    assert isinstance(make_index(DIM), AutoIndex)
    with pytest.raises(ValueError, match="unknown index backend"):
        make_index(DIM, "faiss")


def _filled(vectors: Vectors) -> ExactIndex:
    exact = ExactIndex(DIM)
    exact.upsert(np.arange(N), vectors)
    return exact


@pytest.fixture(scope="module")
def static() -> StaticEncoder:
    return distill_static()


@pytest.fixture(scope="module")
def item_vectors(static: StaticEncoder) -> Vectors:
    """3,000 synthetic e-commerce item texts, encoded with the static encoder."""
    with tempfile.TemporaryDirectory() as tmp:
        write_synthetic(Path(tmp), "ecommerce", 3000, 1, 1, seed=3, progress=False)
        lines = (Path(tmp) / "items.jsonl").read_bytes().splitlines()
    texts = [
        ecommerce_text(ItemIn.model_validate(orjson.loads(line)).to_domain()) for line in lines
    ]
    return static.encode(texts)


@pytest.mark.parametrize("dtype", ["f16", "f32"])
def test_hnsw_recall_on_text_embeddings(
    static: StaticEncoder, item_vectors: Vectors, dtype: str
) -> None:
    queries = static.encode(shop_queries(np.random.default_rng(0), 200))
    exact, hnsw = ExactIndex(static.dim), HnswIndex(static.dim, dtype=dtype)
    for index in (exact, hnsw):
        index.upsert(np.arange(len(item_vectors)), item_vectors)
    truth, _ = exact.search(queries, 10)
    found, _ = hnsw.search(queries, 10)
    recall = np.mean([np.intersect1d(t, f).size / 10 for t, f in zip(truth, found, strict=True)])
    assert recall >= 0.98
