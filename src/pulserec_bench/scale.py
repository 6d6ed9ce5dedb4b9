"""``pulserec bench scale``: the engine over a synthetic catalog of up to 1M items.

Items, users and events come from ``pulserec synth --domain ecommerce``; item text is encoded
with a fast encoder (``static`` by default: the full MiniLM would take about an hour and a half
for 1M texts here) and indexed as it arrives, through the same online updater as the server (so
the index build is the incremental one: exact below 50k items, then HNSW). Vectors are kept as
float16 in the engine's table and f16 in the HNSW index. The engine runs without trained models
at this size (text similarity to the user's recent items, trending as the fallback): the
collaborative models here hold item-by-item or dense per-item state that does not fit 1M items.
Reported: build seconds, recommend / search / similar p50 and p99 (in process, one thread),
peak resident memory and bytes per item.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from tqdm import tqdm

from pulserec.app.runtime import build_engine as new_engine
from pulserec.core.config import limit_threads
from pulserec.core.schemas import EventIn, ItemIn
from pulserec.data.synthetic import write_synthetic
from pulserec.encoders import load_encoder
from pulserec.engine.config import EngineConfig
from pulserec.engine.facade import Engine
from pulserec.engine.state.updates import OnlineUpdater
from pulserec.storage import MemoryStore
from pulserec_bench.memory import current_rss_mb, peak_rss_mb
from pulserec_bench.timing import percentiles_ms

BATCH = 10_000
QUERIES = (
    "waterproof hiking boots",
    "wireless earbuds",
    "kitchen knife set",
    "yoga mat",
    "gift for a coffee lover",
    "kids rain jacket",
    "gaming mouse",
    "linen bed sheets",
)


def _jsonl(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


def build_engine(directory: Path, n_items: int, encoder: str) -> tuple[Engine, dict[str, float]]:
    """An engine fed the synthetic items then events through the online updater."""
    enc = load_encoder(encoder)
    config = EngineConfig(
        models=(), item_encoder=encoder, query_encoder=encoder, vector_dtype="float16"
    )
    engine, updater = new_engine(MemoryStore(), config, enc, enc)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    lines = _jsonl(directory / "items.jsonl")
    for start in tqdm(range(0, len(lines), BATCH), desc="encode + index items", unit=" batches"):
        batch = [
            ItemIn.model_validate(orjson.loads(x)).to_domain() for x in lines[start : start + BATCH]
        ]
        updater.items(batch)
    timings["items_seconds"] = time.perf_counter() - started
    del lines
    started = time.perf_counter()
    events = _jsonl(directory / "events.jsonl")
    now = time.time()
    for start in tqdm(range(0, len(events), BATCH * 10), desc="events", unit=" batches"):
        chunk = [
            EventIn.model_validate(orjson.loads(x)).to_domain(now)
            for x in events[start : start + BATCH * 10]
        ]
        updater.events(chunk)
    timings["events_seconds"] = time.perf_counter() - started
    gc.collect()
    gc.freeze()
    return engine, timings


def run_scale(
    n_items: int,
    n_users: int,
    n_events: int,
    requests: int = 1000,
    encoder: str = "static",
    seed: int = 0,
) -> dict[str, Any]:
    """Build, measure and print the figures for one catalog size."""
    limit_threads()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        write_synthetic(directory, "ecommerce", n_items, n_users, n_events, seed=seed)
        engine, timings = build_engine(directory, n_items, encoder)
    rng = np.random.default_rng(seed)
    users = [
        engine.state.users.id_of(int(u)) for u in rng.integers(0, len(engine.state.users), requests)
    ]
    items = [
        engine.state.items.id_of(int(i)) for i in rng.integers(0, len(engine.state.items), requests)
    ]
    figures: dict[str, Any] = {
        "items": n_items,
        "users": n_users,
        "events": n_events,
        "encoder": encoder,
        **timings,
    }
    figures["recommend_p50_ms"], figures["recommend_p99_ms"] = percentiles_ms(
        lambda i: engine.recommend(users[i], 10), requests
    )
    figures["search_p50_ms"], figures["search_p99_ms"] = percentiles_ms(
        lambda i: engine.search(QUERIES[i % len(QUERIES)] + f" {i}", users[i], 10),
        requests,
    )
    figures["similar_p50_ms"], figures["similar_p99_ms"] = percentiles_ms(
        lambda i: engine.similar(items[i], 10), requests
    )
    figures["index"] = type(engine.state.catalog.index).__name__
    figures["peak_rss_mb"] = peak_rss_mb()
    figures["serving_rss_mb"] = current_rss_mb()
    figures["serving_rss_bytes_per_item"] = figures["serving_rss_mb"] * 2**20 / n_items
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    """``pulserec bench scale [--items 10000,100000,1000000] [--encoder static]``."""
    parser = argparse.ArgumentParser(prog="pulserec bench scale", description=__doc__)
    parser.add_argument("--items", default="10000,100000,1000000", help="comma-separated sizes")
    parser.add_argument("--events-per-item", type=float, default=1.0)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--encoder", default="static")
    parser.add_argument(
        "--models",
        help="comma list (als,content): also train these and compare recall@20 with text only",
    )
    parser.add_argument("--test-users", type=int, default=2000)
    args = parser.parse_args(argv)
    if args.models:
        from pulserec_bench.scale_models import run_scale_models

        for size in (int(s) for s in args.items.split(",")):
            events = int(size * args.events_per_item)
            names = [n for n in args.models.split(",") if n]
            figures = run_scale_models(
                size, min(args.users, size), events, names, args.test_users, args.encoder
            )
            print(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode(), flush=True)
        return 0
    for size in (int(s) for s in args.items.split(",")):
        events = int(size * args.events_per_item)
        figures = run_scale(size, min(args.users, size), events, args.requests, args.encoder)
        print(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def updater_of(engine: Engine) -> OnlineUpdater:
    """The updater that follows ``engine``'s log (to feed it directly, as the write path does)."""
    assert isinstance(engine.follower, OnlineUpdater)
    return engine.follower
