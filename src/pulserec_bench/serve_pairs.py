"""``pulserec bench serve --workers 1,2``: event-then-recommend pairs per worker count.

For each count, one ``pulserec serve --workers N`` over the same data dir: pairs at 2 and 16
connections on one connection per client, and at 16 with the event and the read on different
connections (so on different workers). Figures are printed side by side with the ratio of
pairs/s at 16 connections against the first count, all in one run.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from pulserec.testing.server import ServerProcess
from pulserec_bench.pairs import PairsResult, run_pairs
from pulserec_bench.serve import BenchError, JsonClient, host_port, known_users

PLAN = ((2, False), (16, False), (16, True))


def item_ids(client: JsonClient, limit: int = 1000) -> list[str]:
    status, body, _ = client.request("GET", f"/v1/items?limit={limit}")
    if status != 200 or not body.get("items"):
        raise BenchError("the server lists no items")
    return [str(item["id"]) for item in body["items"]]


def _measure(base: str, seconds: float) -> dict[str, PairsResult]:
    setup = JsonClient(base)
    try:
        users, items = known_users(setup), item_ids(setup)
    finally:
        setup.close()
    rng = random.Random(0)
    users = rng.sample(users, min(len(users), 500))
    host, port = host_port(base)
    run_pairs(host, port, users, items, 4, 2.0)  # warm up every worker
    out: dict[str, PairsResult] = {}
    for connections, split in PLAN:
        key = f"{connections}{'-split' if split else ''}"
        out[key] = run_pairs(host, port, users, items, connections, seconds, split)
    return out


def catch_up_cost(data_dir: Path, calls: int = 200_000) -> float:
    """Microseconds per ``Engine.catch_up()`` of an engine that is current with the log (what
    every request pays before it is answered), in process over ``data_dir``."""
    from pulserec.app.runtime import assemble
    from pulserec.app.settings import Settings
    from pulserec.storage import open_store

    store = open_store(data_dir)
    try:
        runtime = assemble(store, Settings.load().engine, data_dir, progress=False)
        engine = runtime.engine
        engine.catch_up()
        started = time.perf_counter()
        for _ in range(calls):
            engine.catch_up()
        return (time.perf_counter() - started) / calls * 1e6
    finally:
        store.close()


def run_workers_bench(
    data_dir: Path, workers: list[int], seconds: float = 10.0, dataset: str = "movielens-100k"
) -> dict[str, Any]:
    """Pairs per worker count over ``data_dir`` (loaded and trained on the first start)."""
    results: dict[int, dict[str, PairsResult]] = {}
    header = f"{'workers':>8}{'conns':>7}{'split':>7}{'pairs/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
    print(header + f"{'stale':>7}{'errors':>8}", flush=True)
    for count in workers:
        server = ServerProcess(data_dir, "--dataset", dataset, "--workers", str(count))
        try:
            server.wait_ready(3600)
            results[count] = _measure(server.base, seconds)
        finally:
            server.stop()
        for result in results[count].values():
            row = result.as_dict()
            print(
                f"{count:>8}{result.connections:>7}{'yes' if result.split else 'no':>7}"
                f"{row['pairs_per_s']:>10,.0f}{row['get_p50_ms']:>9.2f}{row['get_p99_ms']:>9.2f}"
                f"{row['stale']:>7}{row['errors']:>8}",
                flush=True,
            )
    per_call = catch_up_cost(data_dir)
    print(f"catch-up of a worker already current with the log: {per_call:.3f} us per request")
    first = results[workers[0]]["16"].pairs_per_s
    ratios = {n: results[n]["16"].pairs_per_s / first for n in workers if first}
    for count, ratio in ratios.items():
        print(f"pairs/s at 16 connections, {count} workers / {workers[0]}: {ratio:.2f}")
    return {
        "workers": {n: {k: r.as_dict() for k, r in runs.items()} for n, runs in results.items()},
        "ratios": ratios,
        "catch_up_us": per_call,
    }
