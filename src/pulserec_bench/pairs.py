"""Event-then-recommend pairs: the request that matters comes right after the user acted.

Each client loops: ``POST /v1/events`` one click of a random known user on a random item, then
``GET /v1/recommend/{that user}?k=10``; latency is the GET's. A GET that still lists the
clicked item is *stale* (``exclude_seen`` is the default). With ``split`` the POST and the GET
go over two different connections, so with ``--workers`` the kernel may hand them to
different worker processes. No answer cache can serve these GETs.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import numpy as np
import orjson


@dataclass
class PairsResult:
    """What one pairs run measured."""

    connections: int
    split: bool
    seconds: float
    pairs: int = 0
    stale: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    post_latencies_ms: list[float] = field(default_factory=list)

    @property
    def pairs_per_s(self) -> float:
        return self.pairs / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        """The GETs' latency percentile ``q``."""
        return _percentile(self.latencies_ms, q)

    def as_dict(self) -> dict[str, Any]:
        return {
            "connections": self.connections,
            "split": self.split,
            "pairs": self.pairs,
            "pairs_per_s": round(self.pairs_per_s, 1),
            "get_p50_ms": round(self.percentile(50), 3),
            "get_p99_ms": round(self.percentile(99), 3),
            "post_p50_ms": round(_percentile(self.post_latencies_ms, 50), 3),
            "post_p99_ms": round(_percentile(self.post_latencies_ms, 99), 3),
            "stale": self.stale,
            "errors": self.errors,
        }


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


class _Connection:
    """One keep-alive HTTP/1.1 connection speaking just enough of the protocol."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _client(
    host: str,
    route: tuple[int, int],
    users: list[str],
    items: list[str],
    split: bool,
    until: float,
    result: PairsResult,
    seed: int,
) -> None:
    rng = random.Random(seed)
    writer = _Connection(host, route[0])
    reader = _Connection(host, route[1]) if split or route[1] != route[0] else writer
    try:
        while time.perf_counter() < until:
            user, item = rng.choice(users), rng.choice(items)
            event = {"user_id": user, "item_id": item, "type": "click"}
            posted = time.perf_counter()
            status, _ = await writer.request(
                "POST", "/v1/events", orjson.dumps({"events": [event]})
            )
            started = time.perf_counter()
            result.post_latencies_ms.append((started - posted) * 1000)
            got, body = await reader.request("GET", f"/v1/recommend/{quote(user, safe='')}?k=10")
            elapsed = (time.perf_counter() - started) * 1000
            if status != 200 or got != 200:
                result.errors += 1
                continue
            result.pairs += 1
            result.latencies_ms.append(elapsed)
            listed = [entry["id"] for entry in orjson.loads(body)["items"]]
            result.stale += item in listed
    finally:
        writer.close()
        reader.close()


def run_pairs(
    host: str,
    port: int,
    users: list[str],
    items: list[str],
    connections: int,
    seconds: float,
    split: bool = False,
    seed: int = 0,
    routes: list[tuple[int, int]] | None = None,
) -> PairsResult:
    """``connections`` clients doing event-then-recommend pairs for ``seconds``; client n
    posts to port ``routes[n % len(routes)][0]`` and reads from ``[1]`` (default: ``port``
    for both), e.g. to write through one replica and read through another."""
    result = PairsResult(connections, split, seconds)
    ports = routes or [(port, port)]

    async def drive() -> None:
        until = time.perf_counter() + seconds
        await asyncio.gather(
            *(
                _client(host, ports[n % len(ports)], users, items, split, until, result, seed + n)
                for n in range(connections)
            )
        )

    asyncio.run(drive())
    return result
