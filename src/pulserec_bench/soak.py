"""``pulserec bench serve --soak MINUTES``: event-then-recommend pairs for minutes on end.

One ``pulserec serve --dataset movielens-100k --workers N`` (default 2) over a cached data dir;
16 clients do event-then-recommend pairs (:mod:`~.pairs`) for ``MINUTES``. Printed per
minute: pairs/s, GET p50 and p99, stale lists, errors, and the resident memory of the whole
server (supervisor and workers, from ``/proc``). The verdict checks the soak's bars: no errors,
memory after the first minute (the warm-up) growing at most 5%, and every minute's p99 within
1.5x of the first minute's.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from pulserec.testing.server import ServerProcess
from pulserec_bench.memory import tree_rss_mb
from pulserec_bench.pairs import PairsResult, run_pairs
from pulserec_bench.serve import BenchError, JsonClient, host_port, known_users
from pulserec_bench.serve_pairs import item_ids

MEMORY_GROWTH = 0.05
P99_RATIO = 1.5


def _row(minute: int, result: PairsResult, rss_mb: float) -> dict[str, Any]:
    return {"minute": minute, **result.as_dict(), "rss_mb": round(rss_mb, 1)}


def verdict(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The soak's bars over the per-minute rows."""
    errors = sum(row["errors"] for row in rows)
    base_rss, last_rss = rows[0]["rss_mb"], rows[-1]["rss_mb"]
    growth = (last_rss - base_rss) / base_rss if base_rss else 0.0
    first_p99 = rows[0]["get_p99_ms"]
    worst = max(row["get_p99_ms"] / first_p99 for row in rows) if first_p99 else float("inf")
    return {
        "errors": errors,
        "memory_growth_after_warmup": round(growth, 4),
        "worst_p99_over_first": round(worst, 3),
        "passed": errors == 0 and growth <= MEMORY_GROWTH and worst <= P99_RATIO,
    }


def run_soak(
    data_dir: Path, workers: int, connections: int, minutes: int, dataset: str = "movielens-100k"
) -> dict[str, Any]:
    server = ServerProcess(data_dir, "--dataset", dataset, "--workers", str(workers))
    rows: list[dict[str, Any]] = []
    try:
        server.wait_ready(3600)
        setup = JsonClient(server.base)
        try:
            users, items = known_users(setup), item_ids(setup)
        finally:
            setup.close()
        users = random.Random(0).sample(users, min(len(users), 500))
        host, port = host_port(server.base)
        run_pairs(host, port, users, items, 4, 5.0)  # every worker loaded and warm
        print(
            f"{'minute':>6}{'pairs/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'stale':>7}{'errors':>8}"
            f"{'RSS MiB':>10}",
            flush=True,
        )
        for minute in range(1, minutes + 1):
            result = run_pairs(host, port, users, items, connections, 60.0, seed=minute * 1000)
            row = _row(minute, result, tree_rss_mb(server.proc.pid))
            rows.append(row)
            print(
                f"{minute:>6}{row['pairs_per_s']:>10,.0f}{row['get_p50_ms']:>9.2f}"
                f"{row['get_p99_ms']:>9.2f}{row['stale']:>7}{row['errors']:>8}"
                f"{row['rss_mb']:>10,.0f}",
                flush=True,
            )
    finally:
        server.stop()
    if not rows:
        raise BenchError("the soak measured nothing")
    summary = verdict(rows)
    print(
        f"errors {summary['errors']}; memory after the first minute "
        f"{summary['memory_growth_after_warmup']:+.1%} (bar +{MEMORY_GROWTH:.0%}); worst minute's "
        f"p99 / first minute's {summary['worst_p99_over_first']:.2f} (bar {P99_RATIO}); "
        f"{'PASSED' if summary['passed'] else 'FAILED'}",
        flush=True,
    )
    return {"minutes": rows, "verdict": summary, "workers": workers, "connections": connections}
