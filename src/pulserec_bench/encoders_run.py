"""The ``pulserec bench encoders`` driver: builds every encoder in turn and prints the table."""

from __future__ import annotations

import time

import numpy as np

from pulserec.encoders.lru import CachedEncoder
from pulserec.encoders.onnx import OnnxEncoder
from pulserec.encoders.sentence import SentenceEncoder
from pulserec.encoders.static import distill_static
from pulserec.encoders.static_fit import fit_static
from pulserec_bench.encoders import Fidelity, Row, corpus, measure, print_table
from pulserec_bench.queries import query_sets


def run(n_items: int = 5000, n_queries: int = 2000, n_fit: int = 4000) -> None:
    """Measure and print; the goal line compares the query encoder with <= 1 ms at >= 0.90."""
    items = corpus(n_items)
    fit_queries, queries = query_sets(n_fit, n_queries)
    print(
        f"corpus: {len(items):,} item texts; {len(queries):,} held-out queries;"
        f" {len(fit_queries):,} other queries for fitting; one thread per encoder"
    )
    rows: list[Row] = []
    full_row, full, full_items, full_queries = measure(
        "minilm (torch)", SentenceEncoder, items, queries, None
    )
    rows.append(full_row)
    fidelity = Fidelity(full_items, full_queries)
    for name, build in (
        ("minilm-onnx fp32", lambda: OnnxEncoder("fp32")),
        ("minilm-int8", lambda: OnnxEncoder("int8")),
        ("static distilled", distill_static),
    ):
        rows.append(measure(name, build, items, queries, fidelity)[0])
    started = time.perf_counter()
    fit_targets = np.vstack([full.encode(fit_queries), full_items])
    fitted = fit_static(distill_static(), fit_queries + items, fit_targets)
    fit_s = time.perf_counter() - started
    rows.append(measure("static fitted", lambda: fitted, items, queries, fidelity)[0])
    print_table(rows)
    print(
        f"static fitted: targets + fitting took {fit_s:.1f} s on {len(fit_queries) + len(items):,}"
        " texts (queries distinct from the held-out ones)"
    )
    _print_goal(rows, queries)


def _print_goal(rows: list[Row], queries: list[str]) -> None:
    int8 = next(r for r in rows if r.name == "minilm-int8")
    met = int8.b1_median_ms <= 1.0 and int8.overlap_qi >= 0.90
    print(
        f"query encoder (minilm-int8): {int8.b1_median_ms:.3f} ms median per query,"
        f" top-10 overlap {int8.overlap_qi:.3f} -> goal (<= 1 ms, >= 0.90) "
        f"{'met' if met else 'NOT met'}"
    )
    cached = CachedEncoder(OnnxEncoder("int8"))
    cached.encode(queries[:200], batch_size=1)
    start = time.perf_counter()
    for text in queries[:200]:
        cached.encode([text], batch_size=1)
    hit_ms = (time.perf_counter() - start) * 1000 / 200
    print(f"with the LRU query cache, a repeated query costs {hit_ms:.4f} ms")
