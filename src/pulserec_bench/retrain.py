"""Retraining under load: recommend traffic keeps flowing while a retrain and swap happen.

Starts ``POST /v1/admin/train?wait=false``, then runs the load generator in short rounds until
the job reports ``done`` (or ``failed``); counts every failed request and keeps each round's
latency figures, so a spike during training or at the swap shows up.
"""

from __future__ import annotations

import time
from typing import Any

from pulserec_bench.loadgen import LoadResult, Paths, run_load
from pulserec_bench.serve import BenchError, JsonClient, describe, host_port

ROUND_S = 5.0


def run_retrain_under_load(
    base_url: str,
    paths: Paths,
    api_key: str | None = None,
    connections: int = 2,
    timeout_s: float = 1800.0,
) -> dict[str, Any]:
    """Load at ``connections`` during one retrain; returns the rounds and the totals."""
    client = JsonClient(base_url, api_key)
    headers = {"x-api-key": api_key} if api_key else {}
    host, port = host_port(base_url)
    try:
        before = client.request("GET", "/v1/admin/stats")[1].get("model_version")
        status, body, _ = client.request("POST", "/v1/admin/train?wait=false")
        if status != 202:
            raise BenchError(f"POST /v1/admin/train answered {describe(status, body)}")
        job = body["job"]
        rounds: list[LoadResult] = []
        deadline, state = time.monotonic() + timeout_s, "running"
        while state in ("queued", "running") and time.monotonic() < deadline:
            rounds.append(run_load(host, port, paths, connections, ROUND_S, 0.0, headers))
            state = client.request("GET", f"/v1/admin/train/{job}")[1].get("state", "unknown")
            last = rounds[-1]
            print(
                f"  training {state:<8} {last.rps:>8,.0f} req/s  p50 {last.p50_ms:6.2f} ms"
                f"  p99 {last.p99_ms:6.2f} ms  errors {last.errors}",
                flush=True,
            )
        after = client.request("GET", "/v1/admin/stats")[1].get("model_version")
    finally:
        client.close()
    return {
        "job_state": state,
        "model_version_before": before,
        "model_version_after": after,
        "requests": sum(r.requests for r in rounds),
        "failed_requests": sum(r.errors for r in rounds),
        "worst_round_p99_ms": max((r.p99_ms for r in rounds), default=0.0),
        "median_round_p50_ms": sorted(r.p50_ms for r in rounds)[len(rounds) // 2] if rounds else 0,
        "rounds": [r.as_dict() for r in rounds],
    }
