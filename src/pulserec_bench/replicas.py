"""``pulserec bench serve --replicas 2``: replicas over PostgreSQL and Redis on this machine.

Starts a real PostgreSQL (``fsync`` on) and redis-server, loads ml-100k into the store,
trains once with ``pulserec train --store``, then starts ``pulserec serve --store --bus
--artifacts`` replicas, each with its own data dir, as separate hosts would. Measures, in one
run:

- **propagation**: a click posted to replica A, then B asked until its answer reflects it
  (the clicked item leaves the list); the time from A's acknowledgement to B's first answer
  that reflects it, over ``trials`` trials;
- **pairs/s**: event-then-recommend pairs at each of ``connections`` through one replica, then
  through all of them, each client writing through one replica and reading through the next
  (a stale answer there is one that missed a write made elsewhere).
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from pulserec.data.datasets import load_dataset
from pulserec.storage.ingest import Ingestor
from pulserec.storage.postgres import PostgresStore
from pulserec.testing.engines import Postgres, Redis
from pulserec.testing.server import ServerProcess, run_cli
from pulserec_bench.pairs import PairsResult, run_pairs
from pulserec_bench.serve import JsonClient, known_users
from pulserec_bench.serve_pairs import item_ids


def _propagation(a: JsonClient, b: JsonClient, users: list[str], trials: int) -> list[float]:
    """Milliseconds from A's acknowledgement of a click to B's first answer without it."""
    rng, out = random.Random(1), []
    for trial in range(trials):
        user = rng.choice(users)
        status, body, _ = b.request("GET", f"/v1/recommend/{user}?k=10")
        if status != 200 or not body["items"]:
            continue
        item = body["items"][0]["id"]
        click = {"user_id": user, "item_id": item, "type": "click", "event_id": f"p{trial}"}
        status, _, _ = a.request("POST", "/v1/events", {"events": [click]})
        acknowledged = time.perf_counter()
        while status == 200:
            _, body, _ = b.request("GET", f"/v1/recommend/{user}?k=10")
            if item not in [entry["id"] for entry in body["items"]]:
                out.append((time.perf_counter() - acknowledged) * 1000)
                break
            if time.perf_counter() - acknowledged > 5:
                out.append(float("inf"))
                break
    return out


def _row(label: str, result: PairsResult) -> str:
    row = result.as_dict()
    return (
        f"{label:<26}{result.connections:>6}{row['pairs_per_s']:>10,.0f}"
        f"{row['get_p50_ms']:>9.2f}{row['get_p99_ms']:>9.2f}{row['post_p50_ms']:>9.2f}"
        f"{row['stale']:>7}{row['errors']:>8}"
    )


def run_replicas(
    count: int = 2,
    seconds: float = 15.0,
    trials: int = 100,
    connections: tuple[int, ...] = (16, 32),
    dataset: str = "movielens-100k",
) -> dict[str, Any]:
    """Start the engines and ``count`` replicas, measure, stop everything; the figures."""
    if count < 2:
        raise ValueError("--replicas needs at least 2")
    root = Path(tempfile.mkdtemp(prefix="pulserec-replicas-"))
    postgres, redis = Postgres(fsync=True), Redis()
    replicas: list[ServerProcess] = []
    try:
        url = postgres.database("bench")
        store = PostgresStore(url)
        started = time.perf_counter()
        load_dataset(dataset, Ingestor(store))
        store.close()
        print(f"loaded {dataset} into PostgreSQL in {time.perf_counter() - started:.1f} s")
        artifacts = root / "artifacts"
        started = time.perf_counter()
        trained = run_cli("train", "--store", url, "--artifacts", str(artifacts), timeout=3600)
        if trained.returncode != 0:
            raise RuntimeError(f"pulserec train failed: {trained.stderr[-2000:]}")
        print(f"trained in {time.perf_counter() - started:.1f} s: {trained.stdout.strip()}")
        flags = ("--store", url, "--bus", redis.url, "--artifacts", str(artifacts))
        for n in range(count):
            home = root / f"replica-{n}"
            home.mkdir()
            replicas.append(ServerProcess(home, *flags))
            replicas[-1].wait_ready(3600)
        return _measure(replicas, seconds, trials, connections)
    finally:
        for replica in replicas:
            replica.stop()
        redis.close()
        postgres.close()


def _measure(
    replicas: list[ServerProcess], seconds: float, trials: int, connections: tuple[int, ...]
) -> dict[str, Any]:
    a, b = JsonClient(replicas[0].base), JsonClient(replicas[1].base)
    try:
        users, items = known_users(a), item_ids(a)
        delays = _propagation(a, b, users, trials)
    finally:
        a.close()
        b.close()
    finite = [d for d in delays if np.isfinite(d)]
    p50, p99 = (float(np.percentile(finite, q)) for q in (50, 99)) if finite else (0.0, 0.0)
    print(
        f"propagation A -> B over {len(delays)} trials: p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
        f"max {max(delays):.2f} ms, never seen: {len(delays) - len(finite)}"
    )
    ports = [r.port for r in replicas]
    users = random.Random(0).sample(users, min(len(users), 500))
    run_pairs("127.0.0.1", ports[0], users, items, 4, 2.0, routes=[(p, p) for p in ports])
    print(f"{'':<26}{'conns':>6}{'pairs/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'POST p50':>9}"
          f"{'stale':>7}{'errors':>8}")  # fmt: skip
    crossed = [(ports[n], ports[(n + 1) % len(ports)]) for n in range(len(ports))]
    runs: dict[str, Any] = {}
    for count in connections:
        one = run_pairs("127.0.0.1", ports[0], users, items, count, seconds)
        print(_row("one replica", one), flush=True)
        every = run_pairs("127.0.0.1", ports[0], users, items, count, seconds, routes=crossed)
        print(_row(f"{len(ports)} replicas, write A read B", every), flush=True)
        ratio = every.pairs_per_s / one.pairs_per_s if one.pairs_per_s else 0.0
        print(f"pairs/s at {count} connections, {len(ports)} replicas / one: {ratio:.2f}")
        runs[str(count)] = {"one_replica": one.as_dict(), "replicas": every.as_dict(),
                            "ratio": ratio}  # fmt: skip
    return {
        "propagation_ms": {"p50": p50, "p99": p99, "max": max(delays), "trials": len(delays)},
        "pairs": runs,
    }
