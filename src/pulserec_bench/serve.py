"""``pulserec bench serve``: recommend latency and throughput beside /healthz and the HTTP floor.

All in one run, on loopback. The headline is the computed path: event-then-recommend pairs
(:mod:`pulserec_bench.pairs`: a click of a random known user, then that user's list, which no
answer cache can serve) at 2 and 16 connections. Beside it: the cached path (repeated
``GET /v1/recommend/{random known user}?k=10``) at 2 and 16, the same server's ``GET /healthz``
at 16, and a bare Starlette app on uvicorn (the floor of Python HTTP here) at 16. Ratios compare
requests/s at 16 connections.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import orjson

from pulserec.core.config import cache_dir
from pulserec.testing.server import ServerProcess
from pulserec_bench.floor_app import PATH as FLOOR_PATH
from pulserec_bench.floor_app import FloorServer
from pulserec_bench.loadgen import LoadResult, Paths, run_load


class BenchError(RuntimeError):
    """A failure the bench reports in one line (no traceback)."""


class JsonClient:
    """A synchronous keep-alive JSON client (``http.client``), for set-up and freshness checks."""

    def __init__(self, base_url: str, api_key: str | None = None, timeout: float = 60.0) -> None:
        self.host, self.port = host_port(base_url)
        self.headers = {"content-type": "application/json"}
        if api_key:
            self.headers["x-api-key"] = api_key
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any, float]:
        """Status, decoded body (text if not JSON) and milliseconds; reconnects once if dropped."""
        data = None if body is None else orjson.dumps(body)
        for attempt in range(2):
            try:
                started = time.perf_counter()
                self.conn.request(method, path, data, self.headers)
                response = self.conn.getresponse()
                raw = response.read()
                elapsed_ms = (time.perf_counter() - started) * 1000
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                if attempt:
                    raise
        try:
            parsed = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            parsed = raw.decode(errors="replace")
        return response.status, parsed, elapsed_ms

    def close(self) -> None:
        self.conn.close()


def host_port(base_url: str) -> tuple[str, int]:
    """``http://host:port`` → (host, port)."""
    url = urlsplit(base_url)
    if url.scheme != "http" or not url.hostname:
        raise BenchError(f"not a plain http://host:port URL: {base_url!r}")
    return url.hostname, url.port or 80


def describe(status: int, body: Any) -> str:
    """``404 not_found: no route ...`` from an error response in the API's format."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return f"{status} {error.get('code')}: {error.get('message')}"
    return f"{status}: {str(body)[:200]}"


@contextmanager
def target_server(
    base_url: str | None, data_dir: Path, timeout: float = 3600.0, workers: int = 1
) -> Iterator[str]:
    """Yield ``base_url``, or start ``pulserec serve --dataset movielens-100k [--workers N]``
    and yield its."""
    if base_url is not None:
        host_port(base_url)
        yield base_url.rstrip("/")
        return
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    print(f"starting pulserec serve --dataset movielens-100k --data-dir {data_dir}", flush=True)
    print("  (the first start loads and trains; later starts reuse the data dir)", flush=True)
    server = ServerProcess(data_dir, "--dataset", "movielens-100k", "--workers", str(workers))
    try:
        try:
            server.wait_ready(timeout)
        except (RuntimeError, TimeoutError, ValueError) as exc:
            raise BenchError(f"the server did not start ({server.log_path}): {exc}") from None
        yield server.base
    finally:
        server.stop()


def known_users(client: JsonClient, limit: int = 1000) -> list[str]:
    """Ids of up to ``limit`` stored users (``GET /v1/users``)."""
    status, body, _ = client.request("GET", f"/v1/users?limit={limit}")
    if status != 200:
        raise BenchError(f"GET /v1/users answered {describe(status, body)}")
    users = [str(user["id"]) for user in body.get("users", [])]
    if not users:
        raise BenchError("the server holds no users")
    return users


def _row(label: str, result: LoadResult) -> str:
    figures = (result.rps, result.p50_ms, result.p90_ms, result.p99_ms, result.max_ms)
    cells = "".join(f"{value:>9.2f}" if n else f"{value:>9,.0f}" for n, value in enumerate(figures))
    return f"{label:<30}{result.connections:>6}{cells}{result.errors:>8}"


def _computed_path(
    base: str, setup_users: list[str], duration_s: float, api_key: str | None
) -> dict[str, dict[str, Any]]:
    """The headline: event-then-recommend pairs at 2 and 16 connections (GET latency)."""
    from pulserec_bench.pairs import run_pairs

    setup = JsonClient(base, api_key)
    try:
        status, body, _ = setup.request("GET", "/v1/items?limit=1000")
    finally:
        setup.close()
    items = [str(item["id"]) for item in body.get("items", [])] if status == 200 else []
    if not items:
        return {}
    host, port = host_port(base)
    users = random.Random(0).sample(setup_users, min(len(setup_users), 500))
    run_pairs(host, port, users, items, 4, 2.0)  # warm up (first requests load lazily)
    print("computed path: POST /v1/events (one click), then GET /v1/recommend/{that user}?k=10")
    print(f"{'':<30}{'conns':>6}{'pairs/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'stale':>7}{'errors':>8}")
    out: dict[str, dict[str, Any]] = {}
    for connections in (2, 16):
        result = run_pairs(host, port, users, items, connections, duration_s).as_dict()
        out[str(connections)] = result
        print(
            f"{'event, then recommend':<30}{connections:>6}{result['pairs_per_s']:>9,.0f}"
            f"{result['get_p50_ms']:>9.2f}{result['get_p99_ms']:>9.2f}{result['stale']:>7}"
            f"{result['errors']:>8}",
            flush=True,
        )
    print("cached path and the floors:")
    return out


def run_serve_bench(
    base_url: str | None = None,
    data_dir: Path | None = None,
    duration_s: float = 10.0,
    api_key: str | None = None,
    client: str = "python",
    retrain: bool = False,
) -> dict[str, Any]:
    """Measure and print; without ``base_url``, serve ml-100k from ``data_dir`` (cached).
    With ``retrain``, also measure recommend at 2 connections during a retrain and swap."""
    data_dir = data_dir or cache_dir() / "bench-serve-ml100k"
    headers = {"x-api-key": api_key} if api_key else {}
    runs: dict[str, LoadResult] = {}
    errors: list[str] = []
    with target_server(base_url, data_dir) as base, FloorServer() as floor:
        host, port = host_port(base)
        setup = JsonClient(base, api_key)
        try:
            users = known_users(setup)
            probe = f"/v1/recommend/{quote(users[0], safe='')}?k=10"
            status, body, _ = setup.request("GET", probe)
        finally:
            setup.close()
        recommend = Paths([f"/v1/recommend/{quote(u, safe='')}?k=10" for u in users])
        plan: list[tuple[str, str, int, int, Paths]] = [
            ("floor", "floor: Starlette + orjson", floor.port, 16, Paths([FLOOR_PATH])),
            ("healthz", "GET /healthz", port, 16, Paths(["/healthz"])),
        ]
        if status == 200:
            label = "GET /v1/recommend/{user}?k=10"
            plan += [("recommend", label, port, n, recommend) for n in (16, 2)]
        else:
            errors.append(f"GET {probe} answered {describe(status, body)}: recommend not measured")
        print(f"{len(users)} known users; {duration_s:g} s per measurement ({client} client)")
        pairs = _computed_path(base, setup_users=users, duration_s=duration_s, api_key=api_key)
        print(f"{'':<30}{'conns':>6}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}", end="")
        print(f"{'max ms':>9}{'errors':>8}")
        for name, label, target_port, connections, paths in plan:
            h = headers if target_port == port else {}
            result = run_load(host, target_port, paths, connections, duration_s, 1.0, h, client)
            runs[f"{name}@{connections}"] = result
            print(_row(label, result), flush=True)
            if result.errors:
                errors.append(
                    f"{name}@{connections}: {result.errors} errors {result.errors_by_status}"
                )
        if retrain and status == 200:
            from pulserec_bench.retrain import run_retrain_under_load

            print("GET /v1/recommend/{user}?k=10 at 2 connections during a retrain:")
            retrained = run_retrain_under_load(base, recommend, api_key)
            print(
                f"retrain under load: {retrained['failed_requests']} failed of"
                f" {retrained['requests']:,} requests; worst round p99"
                f" {retrained['worst_round_p99_ms']:.2f} ms; model"
                f" {retrained['model_version_before']} -> {retrained['model_version_after']}"
            )
            if retrained["failed_requests"]:
                errors.append(f"{retrained['failed_requests']} requests failed during retraining")
    ratios: dict[str, float] = {}
    if "recommend@16" in runs and pairs:
        ratio = pairs["16"]["pairs_per_s"] / runs["recommend@16"].rps
        ratios["pairs/cached@16"] = ratio
        print(f"at 16 connections, computed pairs/s / cached requests/s: {ratio:.3f}")
    if "recommend@16" in runs:
        for other in ("healthz", "floor"):
            ratio = runs["recommend@16"].rps / runs[f"{other}@16"].rps
            ratios[f"recommend/{other}@16"] = ratio
            print(f"requests/s at 16 connections, recommend / {other}: {ratio:.3f}")
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    return {
        "base_url": base,
        "users": len(users),
        "duration_s": duration_s,
        "client": client,
        "runs": {key: result.as_dict() for key, result in runs.items()},
        "ratios": ratios,
        "pairs": pairs,
        "errors": errors,
        "retrain": retrained if retrain and status == 200 else None,
    }


def main(argv: list[str] | None = None) -> int:
    """``pulserec bench serve [--url URL] [--data-dir D] [--duration S] [--json PATH] ...``."""
    parser = argparse.ArgumentParser(prog="pulserec bench serve", description=__doc__)
    parser.add_argument("--url", help="a running server (default: start the ml-100k demo)")
    parser.add_argument("--data-dir", type=Path, help="data dir of the started server")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--api-key", help="X-API-Key (default: PULSEREC_API_KEY or _READ_KEY)")
    parser.add_argument("--client", choices=["python", "wrk"], default="python")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--retrain", action="store_true", help="also load during a retrain")
    parser.add_argument(
        "--workers",
        help="comma list (e.g. 1,2): event-then-recommend pairs per `serve --workers N`",
    )
    parser.add_argument(
        "--soak",
        type=int,
        metavar="MINUTES",
        help="instead: MINUTES of event-then-recommend pairs at 16 connections, minute by "
        "minute (errors, memory, p99), on `serve --workers N` (first of --workers, default 2)",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        metavar="N",
        help="instead: N `serve --store postgresql --bus redis` replicas on real servers "
        "started here: propagation between them and pairs/s against one replica",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="instead: the computed answer's cost in this process, served against reference",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead: where a computed answer's time goes, stage by stage, in this process",
    )
    args = parser.parse_args(argv)
    key = args.api_key or os.environ.get("PULSEREC_API_KEY") or os.environ.get("PULSEREC_READ_KEY")
    try:
        if args.replicas:
            from pulserec_bench.replicas import run_replicas

            figures = {**run_replicas(args.replicas, args.duration), "errors": []}
        elif args.profile:
            from pulserec_bench.stages import run_stages

            data_dir = args.data_dir or cache_dir() / "bench-serve-ml100k"
            figures = {"stages": run_stages(data_dir), "errors": []}
        elif args.in_process:
            from pulserec_bench.computed import run_computed

            data_dir = args.data_dir or cache_dir() / "bench-serve-ml100k"
            figures = {**run_computed(data_dir), "errors": []}
        elif args.soak:
            from pulserec_bench.soak import run_soak

            workers = int(args.workers.split(",")[0]) if args.workers else 2
            data_dir = args.data_dir or cache_dir() / "bench-serve-ml100k"
            figures = run_soak(data_dir, workers, 16, args.soak)
            figures["errors"] = [] if figures["verdict"]["passed"] else ["soak bars missed"]
        elif args.workers:
            from pulserec_bench.serve_pairs import run_workers_bench

            counts = [int(n) for n in args.workers.split(",") if n.strip()]
            data_dir = args.data_dir or cache_dir() / "bench-serve-ml100k"
            figures = {**run_workers_bench(data_dir, counts, args.duration), "errors": []}
        else:
            figures = run_serve_bench(
                args.url, args.data_dir, args.duration, key, args.client, args.retrain
            )
    except (BenchError, OSError, ValueError) as exc:
        print(f"pulserec bench serve: {exc}", file=sys.stderr)
        return 1
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 1 if figures["errors"] else 0
