"""``pulserec bench scale --models als,content``: collaborative models trained at catalog scale.

A synthetic e-commerce world (``pulserec synth``: users with latent category tastes, sessions in
time order) of ``--items`` items and ``--events-per-item`` events per item. Ground truth: for
``--test-users`` users, their last ``HELD_OUT`` positive events by time are held out (never
ingested, never trained on). The engine is built as ``bench scale`` builds it (static encoder,
f16 vectors, HNSW text index) from the other events, the models are fitted on them (ALS with
its CG solver and an HNSW index over the item factors; the content model over the item text
with its own HNSW index; EASE refuses a catalog this size, and the sequence model's softmax
over every item does not fit this machine, so neither is in), and served as one bundle, fused by
reciprocal rank (the learned blend needs dense per-user rows of the whole catalog to train).

Printed: training seconds per model, peak and serving resident memory, recall@20 on the
held-out events for text-only (no models: text similarity to recent items, trending fill)
against the models, and in-process event-then-recommend latency.
"""

from __future__ import annotations

import gc
import itertools
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from tqdm import tqdm

from pulserec.core.config import limit_threads
from pulserec.core.interactions import TYPE_CODES, Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.core.schemas import EventIn
from pulserec.core.types import Event, EventType
from pulserec.data.synthetic import write_synthetic
from pulserec.engine.facade import Engine
from pulserec.engine.lifecycle.bundle import ModelBundle
from pulserec.models import registry
from pulserec.models.persistable import Model
from pulserec_bench.memory import current_rss_mb, peak_rss_mb
from pulserec_bench.scale import build_engine, updater_of

HELD_OUT = 5
K = 20
NEGATIVE = {"dislike", "skip", "search"}
MODEL_PARAMS: dict[str, dict[str, Any]] = {"als": {"iterations": 8}}


def held_out_lines(path: Path, test_users: int, seed: int) -> tuple[set[int], dict[str, set[str]]]:
    """Line numbers of the held-out events and each test user's held-out items: the last
    :data:`HELD_OUT` positive events by time of users drawn among those with enough of them."""
    users, items, times, positive = [], [], [], []
    with path.open("rb") as lines:
        for line in tqdm(lines, desc="reading events", unit=" events"):
            event = orjson.loads(line)
            users.append(event["user_id"])
            items.append(event.get("item_id"))
            times.append(event["timestamp"])
            positive.append(event["type"] not in NEGATIVE and event.get("item_id") is not None)
    user_arr, time_arr = np.array(users), np.array(times, dtype=np.float64)
    pos = np.array(positive)
    order = np.lexsort((np.arange(len(users)), time_arr, user_arr))
    order = order[pos[order]]
    by_user = user_arr[order]
    starts = np.r_[0, np.flatnonzero(by_user[1:] != by_user[:-1]) + 1]
    ends = np.r_[starts[1:], by_user.size]
    eligible = np.flatnonzero(ends - starts >= 3 * HELD_OUT)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(eligible, size=min(test_users, eligible.size), replace=False)
    lines_out: set[int] = set()
    truth: dict[str, set[str]] = {}
    for group in chosen:
        tail = order[ends[group] - HELD_OUT : ends[group]]
        lines_out.update(int(i) for i in tail)
        truth[str(by_user[starts[group]])] = {str(items[i]) for i in tail}
    return lines_out, truth


def feed_events(engine: Engine, path: Path, skip: set[int]) -> Interactions:
    """Every event but ``skip`` through the online updater; the same events as training data."""
    updater = updater_of(engine)
    now = time.time()
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("u", "i", "t", "v", "s")}
    batch, start = 100_000, 0
    with path.open("rb") as handle, tqdm(desc="events (train)", unit=" events") as bar:
        while lines := list(itertools.islice(handle, batch)):
            chunk = [
                EventIn.model_validate(orjson.loads(line)).to_domain(now)
                for n, line in enumerate(lines, start)
                if n not in skip
            ]
            start += len(lines)
            bar.update(len(lines))
            updater.events(chunk)
            rated = [e for e in chunk if e.item_id is not None]
            parts["u"].append(engine.state.users.lookup([e.user_id for e in rated]))
            parts["i"].append(engine.state.items.lookup([e.item_id for e in rated if e.item_id]))
            parts["t"].append(np.array([TYPE_CODES[str(e.type)] for e in rated], np.int8))
            parts["v"].append(np.array([np.nan if e.value is None else e.value for e in rated]))
            parts["s"].append(np.array([e.timestamp for e in rated], dtype=np.float64))
    return Interactions(
        users=engine.state.users,
        items=engine.state.items,
        user_idx=np.concatenate(parts["u"]).astype(np.int32),
        item_idx=np.concatenate(parts["i"]).astype(np.int32),
        type_code=np.concatenate(parts["t"]),
        value=np.concatenate(parts["v"]).astype(np.float32),
        timestamp=np.concatenate(parts["s"]),
    )


def fit(
    engine: Engine, data: Interactions, names: list[str]
) -> tuple[dict[str, Model], dict[str, float]]:
    """Each model fitted on ``data`` (text models over the engine's item vectors)."""
    n = len(engine.state.items)
    ids = [engine.state.items.id_of(i) for i in range(n)]
    catalog = engine.state.catalog
    has_text = catalog.has_vector()[:n]
    vectors = ItemVectors(
        [i for i, ok in zip(ids, has_text, strict=True) if ok],
        np.asarray(catalog.vectors()[:n][has_text], dtype=np.float32),
    )
    models: dict[str, Model] = {}
    seconds: dict[str, float] = {}
    for name in names:
        started = time.perf_counter()
        model = registry.make_model(name, vectors=vectors, **MODEL_PARAMS.get(name, {}))
        model.fit(data)
        seconds[name] = round(time.perf_counter() - started, 1)
        models[name] = model
        print(
            f"fitted {name} in {seconds[name]:.0f} s (peak RSS {peak_rss_mb():,.0f} MiB)",
            flush=True,
        )
    del vectors
    gc.collect()
    return models, seconds


def recall(engine: Engine, truth: dict[str, set[str]]) -> float:
    """Mean recall@K of the engine's lists on the held-out items."""
    found = []
    for user, held in truth.items():
        listed = {r.id for r in engine.recommend(user, K).items}
        found.append(len(listed & held) / len(held))
    return float(np.mean(found))


def pairs_latency(engine: Engine, users: list[str], n: int, seed: int) -> dict[str, float]:
    """In process: a click of a random user on a random item, then that user's list."""
    rng = np.random.default_rng(seed)
    updater = updater_of(engine)
    items = rng.integers(0, len(engine.state.items), n)
    spent = np.empty(n)
    for i in range(n):
        user = users[int(rng.integers(0, len(users)))]
        item = engine.state.items.id_of(int(items[i]))
        started = time.perf_counter()
        updater.events([Event(user, item, EventType.CLICK, time.time())])
        engine.recommend(user, 10)
        spent[i] = time.perf_counter() - started
    return {
        "pair_p50_ms": round(float(np.percentile(spent, 50) * 1e3), 2),
        "pair_p99_ms": round(float(np.percentile(spent, 99) * 1e3), 2),
    }


def run_scale_models(
    n_items: int,
    n_users: int,
    n_events: int,
    names: list[str],
    test_users: int = 2000,
    encoder: str = "static",
    seed: int = 0,
) -> dict[str, Any]:
    """Build, train, measure and return the figures (see the module docstring)."""
    limit_threads()
    figures: dict[str, Any] = {"items": n_items, "users": n_users, "events": n_events}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        write_synthetic(directory, "ecommerce", n_items, n_users, n_events, seed=seed)
        skip, truth = held_out_lines(directory / "events.jsonl", test_users, seed)
        (directory / "no-events.jsonl").write_bytes(b"")
        (directory / "events.jsonl").rename(directory / "all-events.jsonl")
        (directory / "no-events.jsonl").rename(directory / "events.jsonl")
        engine, timings = build_engine(directory, n_items, encoder)  # items only
        data = feed_events(engine, directory / "all-events.jsonl", skip)
    figures.update(timings)
    figures["train_events"], figures["test_users"] = len(data), len(truth)
    figures["rss_before_training_mb"] = round(current_rss_mb())
    started = time.perf_counter()
    models, seconds = fit(engine, data, names)
    figures["train_seconds"] = {**seconds, "total": round(time.perf_counter() - started, 1)}
    figures["peak_rss_mb"] = round(peak_rss_mb())
    del data
    gc.collect()
    figures["recall@20_text_only"] = round(recall(engine, truth), 4)
    engine.swap(ModelBundle("scale", dict(models), len(engine.state.items)))
    figures["recall@20_models"] = round(recall(engine, truth), 4)
    text_only = figures["recall@20_text_only"]
    figures["recall_ratio"] = (
        round(figures["recall@20_models"] / text_only, 2) if text_only else None
    )
    figures.update(pairs_latency(engine, list(truth), 1000, seed))
    figures["serving_rss_mb"] = round(current_rss_mb())
    return figures
