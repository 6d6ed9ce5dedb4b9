"""``pulserec bench encoders``: speed, memory and fidelity of every encoder against the full one.

Corpus: ml-100k's 1,682 movie texts plus synthetic e-commerce items, 5,000 texts in all.
Queries: held-out realistic search phrases (``bench.queries``) that no fitting saw. Reference:
all-MiniLM-L6-v2 on PyTorch (sentence-transformers). Fidelity is top-10 neighbour overlap with
the reference (query->item: fast query vector against reference item vectors; item->item: fast
vectors on both sides) and the share of the reference top-10 inside the fast top-100. The query
cache is off for fidelity and for the latency figures; its hit latency is printed apart.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import orjson

from pulserec.core.schemas import ItemIn
from pulserec.data.movielens import load_movielens_100k
from pulserec.data.synthetic import write_synthetic
from pulserec.encoders.base import Encoder, Vectors
from pulserec.encoders.texts import ecommerce_text, movie_text
from pulserec_bench.memory import current_rss_mb

Ints = npt.NDArray[np.int64]


@dataclass
class Row:
    name: str
    load_s: float
    rss_mb: float
    b1_median_ms: float
    b1_p99_ms: float
    b64_ms: float
    bulk_per_s: float
    overlap_qi: float
    overlap_ii: float
    recall_100: float


def corpus(n_items: int = 5000) -> list[str]:
    """ml-100k movie texts topped up with synthetic e-commerce item texts."""
    texts = [movie_text(i) for i in load_movielens_100k().items]
    with tempfile.TemporaryDirectory() as tmp:
        write_synthetic(
            Path(tmp), "ecommerce", max(n_items - len(texts), 1), 50, 100, seed=7, progress=False
        )
        for line in (Path(tmp) / "items.jsonl").read_bytes().splitlines():
            texts.append(ecommerce_text(ItemIn.model_validate(orjson.loads(line)).to_domain()))
    return texts[:n_items]


def _top(scores: Vectors, k: int) -> Ints:
    part = np.argpartition(-scores, k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1)
    return np.take_along_axis(part, order, axis=1)


def _overlap(reference: Ints, candidate: Ints) -> float:
    k = reference.shape[1]
    return float(
        np.mean([len(set(a) & set(b)) / k for a, b in zip(reference, candidate, strict=True)])
    )


def _latency(encoder: Encoder, texts: list[str]) -> tuple[float, float, float]:
    encoder.encode(texts[:10], batch_size=1)
    times = []
    for text in texts:
        start = time.perf_counter()
        encoder.encode([text], batch_size=1)
        times.append(time.perf_counter() - start)
    ms = np.array(times) * 1000
    start = time.perf_counter()
    encoder.encode(texts[:640], batch_size=64)
    b64 = (time.perf_counter() - start) * 1000 / min(640, len(texts))
    return float(np.median(ms)), float(np.percentile(ms, 99)), b64


class Fidelity:
    """Reference neighbours, computed once with the full encoder."""

    def __init__(self, items: Vectors, queries: Vectors) -> None:
        self.items = items
        self.qi10 = _top(queries @ items.T, 10)
        self.ii10 = _top(self._item_scores(items), 10)

    @staticmethod
    def _item_scores(vectors: Vectors) -> Vectors:
        scores = vectors @ vectors.T
        np.fill_diagonal(scores, -np.inf)
        return scores

    def measure(self, items: Vectors, queries: Vectors) -> tuple[float, float, float]:
        qi = queries @ self.items.T
        return (
            _overlap(self.qi10, _top(qi, 10)),
            _overlap(self.ii10, _top(self._item_scores(items), 10)),
            _overlap(self.qi10, _top(qi, 100)),
        )


def measure(
    name: str,
    build: Callable[[], Encoder],
    items: list[str],
    queries: list[str],
    fidelity: Fidelity | None,
) -> tuple[Row, Encoder, Vectors, Vectors]:
    """Load, time and compare one encoder."""
    rss = current_rss_mb()
    start = time.perf_counter()
    encoder = build()
    load_s = time.perf_counter() - start
    rss_mb = current_rss_mb() - rss
    b1_med, b1_p99, b64 = _latency(encoder, queries[:500])
    start = time.perf_counter()
    item_vectors = encoder.encode(items, batch_size=64)
    bulk = len(items) / (time.perf_counter() - start)
    query_vectors = encoder.encode(queries, batch_size=64)
    scores = fidelity.measure(item_vectors, query_vectors) if fidelity else (1.0, 1.0, 1.0)
    row = Row(name, load_s, rss_mb, b1_med, b1_p99, b64, bulk, *scores)
    return row, encoder, item_vectors, query_vectors


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'encoder':18s} {'load s':>7s} {'RSS MB':>7s} {'b1 med':>7s} {'b1 p99':>7s}"
        f" {'b64/txt':>7s} {'texts/s':>8s} {'q->i@10':>8s} {'i->i@10':>8s} {'in@100':>7s}"
    )
    print(header)
    for r in rows:
        print(
            f"{r.name:18s} {r.load_s:7.2f} {r.rss_mb:7.0f} {r.b1_median_ms:7.3f}"
            f" {r.b1_p99_ms:7.3f} {r.b64_ms:7.3f} {r.bulk_per_s:8.0f} {r.overlap_qi:8.3f}"
            f" {r.overlap_ii:8.3f} {r.recall_100:7.3f}"
        )
