"""How the vector indexes scale: encode, build, search latency, recall and memory per size.

Items are synthetic e-commerce texts (``write_synthetic``), encoded once in batches with the
chosen encoder; a size N uses the first N. Two query sets, never catalog texts: ``search``,
shopping phrases (``bench.queries.shop_queries``: short, off the item manifold, the hard case
for HNSW), and ``items``, held-out item texts (like item-to-item and user-taste vectors). For each
size: encode seconds (the first N items), HNSW build seconds (incremental upserts of 50k), and
per ``expansion_search`` ("ef"): single-query p50/p99 for exact and HNSW on the search phrases,
HNSW recall@10 against exact for both sets, HNSW bytes per item (usearch's memory use and its
serialized length) and peak process RSS. Exact latency uses 100 queries past 200k items.

    python -m pulserec_bench.index_scale --sizes 10000,100000
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from tqdm import tqdm

from pulserec.core.schemas import ItemIn
from pulserec.data.synthetic import write_synthetic
from pulserec.encoders import Encoder, load_encoder
from pulserec.encoders.texts import ecommerce_text
from pulserec.index.base import F32, VectorIndex
from pulserec.index.exact import ExactIndex
from pulserec.index.hnsw import HnswIndex
from pulserec_bench.queries import shop_queries

ENCODE_BATCH = 10_000
BUILD_BATCH = 50_000
EXACT_FULL_UP_TO = 200_000
EXACT_FEW_QUERIES = 100


def item_texts(n: int, seed: int) -> list[str]:
    """``n`` synthetic e-commerce item texts ("Title. Category: ... Tags: ...")."""
    with tempfile.TemporaryDirectory() as tmp:
        write_synthetic(Path(tmp), "ecommerce", n, 1, 1, seed=seed, progress=n > 100_000)
        lines = (Path(tmp) / "items.jsonl").read_bytes().splitlines()
    return [
        ecommerce_text(ItemIn.model_validate(orjson.loads(line)).to_domain())
        for line in tqdm(lines, desc="item texts", disable=n <= 100_000)
    ]


def encode_timed(
    encoder: Encoder, texts: list[str], marks: Sequence[int]
) -> tuple[F32, dict[int, float]]:
    """All vectors, and the cumulative encode seconds at each size in ``marks``."""
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    seconds, elapsed = {}, 0.0
    for lo in tqdm(range(0, len(texts), ENCODE_BATCH), desc="encode", unit=" batches"):
        started = time.perf_counter()
        out[lo : lo + ENCODE_BATCH] = encoder.encode(texts[lo : lo + ENCODE_BATCH], 256)
        elapsed += time.perf_counter() - started
        seconds.update({m: elapsed for m in marks if lo < m <= lo + ENCODE_BATCH})
    return out, seconds


def latency_ms(index: VectorIndex, queries: F32, k: int = 10) -> tuple[float, float]:
    """Median and p99 milliseconds of one-query searches."""
    index.search(queries[:5], k)  # warm up
    times = np.zeros(queries.shape[0])
    for i in range(queries.shape[0]):
        started = time.perf_counter()
        index.search(queries[i], k)
        times[i] = time.perf_counter() - started
    return float(np.median(times) * 1e3), float(np.percentile(times, 99) * 1e3)


def build_hnsw(vectors: F32, params: dict[str, Any]) -> tuple[HnswIndex, float]:
    """An HNSW index filled by incremental upserts; searches afterwards use one thread."""
    hnsw = HnswIndex(vectors.shape[1], **params)
    started = time.perf_counter()
    for lo in tqdm(range(0, vectors.shape[0], BUILD_BATCH), desc="hnsw build", unit=" batches"):
        hi = min(lo + BUILD_BATCH, vectors.shape[0])
        hnsw.upsert(np.arange(lo, hi), vectors[lo:hi])
    seconds = time.perf_counter() - started
    hnsw.threads = 1
    return hnsw, seconds


def recall_at_10(truth: npt.NDArray[np.int64], found: npt.NDArray[np.int64]) -> float:
    hits = [np.intersect1d(t, f).size for t, f in zip(truth, found, strict=True)]
    return round(float(np.mean(hits)) / int(truth.shape[1]), 4)


def measure(
    vectors: F32, queries: dict[str, F32], efs: Sequence[int], params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Figures for one catalog size, one row per HNSW ``expansion_search`` in ``efs``."""
    n = vectors.shape[0]
    exact = ExactIndex(vectors.shape[1], capacity=n)
    exact.upsert(np.arange(n), vectors)
    truth = {name: exact.search(q, 10)[0] for name, q in queries.items()}
    search = queries["search"]
    few = search if n <= EXACT_FULL_UP_TO else search[:EXACT_FEW_QUERIES]
    exact_p50, exact_p99 = latency_ms(exact, few)
    del exact
    hnsw, build_s = build_hnsw(vectors, params)
    fixed = {"items": n, "build_s": round(build_s, 1), "exact_queries": few.shape[0]}
    fixed |= {"exact_p50_ms": round(exact_p50, 2), "exact_p99_ms": round(exact_p99, 2)}
    rows = []
    for ef in efs:
        hnsw.expansion_search = ef
        p50, p99 = latency_ms(hnsw, search)
        row = {**fixed, "ef": ef, "hnsw_p50_ms": round(p50, 3), "hnsw_p99_ms": round(p99, 3)}
        for name, q in queries.items():
            row[f"recall_{name}"] = recall_at_10(truth[name], hnsw.search(q, 10)[0])
        row["bytes_per_item"] = round(hnsw.memory_bytes / n)
        row["saved_bytes_per_item"] = round(hnsw.serialized_bytes / n)
        row["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        rows.append(row)
    return rows


def run_index_scale(
    sizes: Sequence[int] = (10_000, 100_000, 1_000_000),
    queries: int = 1000,
    encoder: str = "static",
    dtype: str = "f16",
    seed: int = 0,
    efs: Sequence[int] = (128, 512),
    build_threads: int = 2,
    connectivity: int = 16,
    expansion_add: int = 128,
) -> list[dict[str, Any]]:
    """Rows of figures per catalog size and ``ef`` (see the module docstring)."""
    sizes = sorted(sizes)
    model = load_encoder(encoder)
    texts = item_texts(sizes[-1] + queries, seed)
    item_queries = texts[sizes[-1] :]
    vectors, encode_s = encode_timed(model, texts[: sizes[-1]], sizes)
    del texts
    query_vectors = {
        "search": model.encode(shop_queries(np.random.default_rng(seed), queries), 256),
        "items": model.encode(item_queries, 256),
    }
    params = {"dtype": dtype, "connectivity": connectivity, "expansion_add": expansion_add}
    params["threads"] = build_threads
    rows = []
    for n in sizes:
        for row in measure(vectors[:n], query_vectors, efs, params):
            rows.append(
                {"encoder": encoder, "dtype": dtype, "encode_s": round(encode_s[n], 1), **row}
            )
    return rows


COLUMNS = (
    *("items", "encode_s", "build_s", "ef", "exact_p50_ms", "exact_p99_ms", "hnsw_p50_ms"),
    *("hnsw_p99_ms", "recall_search", "recall_items", "bytes_per_item", "saved_bytes_per_item"),
    "peak_rss_mb",
)


def format_table(rows: list[dict[str, Any]]) -> str:
    lines = [" | ".join(COLUMNS)]
    lines += [" | ".join(str(row[c]) for c in COLUMNS) for row in rows]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--encoder", default="static")
    parser.add_argument("--dtype", default="f16", choices=("f32", "f16", "i8"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--efs", default="128,512", help="HNSW expansion_search values")
    parser.add_argument("--build-threads", type=int, default=2)
    parser.add_argument("--connectivity", type=int, default=16, help="HNSW M")
    parser.add_argument("--expansion-add", type=int, default=128, help="HNSW efConstruction")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    efs = [int(e) for e in args.efs.split(",") if e]
    rows = run_index_scale(
        sizes,
        args.queries,
        args.encoder,
        args.dtype,
        args.seed,
        efs,
        args.build_threads,
        args.connectivity,
        args.expansion_add,
    )
    print(
        f"encoder={args.encoder} dtype={args.dtype} M={args.connectivity} "
        f"expansion_add={args.expansion_add} queries={args.queries} k=10"
    )
    print(format_table(rows))


if __name__ == "__main__":
    main()
