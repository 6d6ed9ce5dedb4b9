"""A lean HTTP/1.1 keep-alive load generator for loopback benchmarks.

Client and server share two cores, so each connection is a bare ``asyncio.Protocol`` on uvloop
that writes hand-built requests and parses only the status line and ``Content-Length``, in a
spawned process of its own (no GIL shared with the bench driver). ``client="wrk"`` uses wrk.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, cast

import numpy as np
import uvloop

Request = tuple[str, str, bytes | None]
MakeRequest = Callable[[int], Request]
Plan = tuple[int, float, float]  # connections, duration_s, warmup_s


@dataclass(frozen=True, slots=True)
class LoadResult:
    """One run: responses + failed connections, errors (non-2xx, ``connect``, ``connection``),
    successful (2xx) responses per second, and latency percentiles over every response."""

    requests: int
    errors: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    connections: int
    duration_s: float
    errors_by_status: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The figures as plain JSON-ready values."""
        return asdict(self)


class Paths:
    """Picklable request maker: GET (or ``method``) over ``paths``, shuffled once, in a cycle."""

    def __init__(self, paths: Sequence[str], method: str = "GET", seed: int = 0) -> None:
        self.paths, self.method = list(paths), method
        random.Random(seed).shuffle(self.paths)

    def __call__(self, index: int) -> Request:
        return self.method, self.paths[index % len(self.paths)], None


class _Run:
    """State shared by every connection of one client process."""

    def __init__(self, make_request: MakeRequest, head: bytes) -> None:
        self.make_request, self.head, self.index = make_request, head, 0
        self.running, self.recording, self.ok = True, False, 0
        self.latencies: list[int] = []
        self.errors: dict[str, int] = {}
        self.live: set[asyncio.Transport] = set()

    def next_bytes(self) -> bytes:
        method, path, body = self.make_request(self.index)
        self.index += 1
        line = f"{method} {path} HTTP/1.1\r\n".encode() + self.head
        if body is None:
            return line + b"\r\n"
        return line + b"content-type: application/json\r\ncontent-length: %d\r\n\r\n%b" % (
            len(body),
            body,
        )

    def error(self, kind: str) -> None:
        if self.recording:
            self.errors[kind] = self.errors.get(kind, 0) + 1


class _Connection(asyncio.Protocol):
    """One keep-alive connection: send, wait for the whole response, record, send again."""

    def __init__(self, run: _Run, closed: asyncio.Future[None]) -> None:
        self.run, self.closed, self.buffer, self.started = run, closed, b"", 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.run.live.add(self.transport)
        self._send()

    def _send(self) -> None:
        data = self.run.next_bytes()
        self.started = time.perf_counter_ns()
        self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        """Parse the status line and Content-Length (our servers never send chunked bodies)."""
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end].lower()
        start = head.find(b"\r\ncontent-length:")
        stop = head.find(b"\r\n", start + 2)
        length = int(head[start + 17 : stop if stop > 0 else None]) if start >= 0 else 0
        if len(self.buffer) < end + 4 + length:
            return
        elapsed = time.perf_counter_ns() - self.started
        self.buffer, self.started, run = self.buffer[end + 4 + length :], 0, self.run
        if run.recording:
            run.latencies.append(elapsed)
            if head[9:10] == b"2":
                run.ok += 1
            else:
                run.error(head[9:12].decode())
        if run.running:
            self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        self.run.live.discard(self.transport)
        if self.started and self.run.running:
            self.run.error("connection")
        if not self.closed.done():
            self.closed.set_result(None)


async def _keep_connected(run: _Run, host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    while run.running:
        closed: asyncio.Future[None] = loop.create_future()
        try:
            await loop.create_connection(partial(_Connection, run, closed), host, port)
        except OSError:
            run.error("connect")
            await asyncio.sleep(0.05)
            continue
        await closed


async def _drive(host: str, port: int, run: _Run, plan: Plan) -> LoadResult:
    connections, duration_s, warmup_s = plan
    tasks = [asyncio.create_task(_keep_connected(run, host, port)) for _ in range(connections)]
    await asyncio.sleep(warmup_s)
    run.recording, started = True, time.perf_counter()
    await asyncio.sleep(duration_s)
    run.recording, run.running, elapsed = False, False, time.perf_counter() - started
    for transport in list(run.live):
        transport.close()
    _, pending = await asyncio.wait(tasks, timeout=2.0)
    for task in pending:
        task.cancel()
    ms = np.asarray(run.latencies, dtype=np.int64) / 1e6
    p50, p90, p99, top = np.percentile(ms, [50, 90, 99, 100]) if ms.size else [np.nan] * 4
    total = ms.size + run.errors.get("connection", 0) + run.errors.get("connect", 0)
    errors, rps = sum(run.errors.values()), run.ok / elapsed
    pcts = float(p50), float(p90), float(p99), float(top)
    return LoadResult(total, errors, rps, *pcts, connections, elapsed, run.errors)


def _child(conn: Any, host: str, port: int, run: _Run, plan: Plan) -> None:
    conn.send(uvloop.run(_drive(host, port, run, plan)).as_dict())


def run_load(
    host: str,
    port: int,
    make_request: MakeRequest,
    connections: int,
    duration_s: float,
    warmup_s: float = 1.0,
    headers: dict[str, str] | None = None,
    client: str = "python",
) -> LoadResult:
    """Keep ``connections`` requests in flight for ``warmup_s`` + ``duration_s`` seconds.

    ``make_request(i)`` gives the i-th request as (method, path, body) and must be picklable
    (a module-level function or a ``Paths``): the client runs in a spawned process.
    ``client="wrk"`` uses wrk (GET ``Paths`` only).
    """
    plan, headers = (connections, duration_s, warmup_s), headers or {}
    if client == "wrk":
        if not isinstance(make_request, Paths) or make_request.method != "GET":
            raise ValueError("the wrk client only replays GET Paths")
        return _run_wrk(f"http://{host}:{port}/", make_request.paths, plan, headers)
    head = f"host: {host}:{port}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    run = _Run(make_request, head.encode())
    process = context.Process(target=_child, args=(sender, host, port, run, plan), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(warmup_s + duration_s + 60):
            raise RuntimeError("the load generator process did not report")
        result = receiver.recv()
    except EOFError:
        raise RuntimeError(f"the load generator process died ({process.exitcode})") from None
    finally:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
    return LoadResult(**result)


_WRK_SCRIPT = """paths = {%s}
i = 0
%s
request = function() i = i + 1; return wrk.format("GET", paths[(i %% #paths) + 1]) end
done = function(s, lat, req)
  local e = s.errors
  io.write(string.format('JSON {"requests": %%d, "status": %%d, "socket": %%d, "us": %%d, ' ..
    '"p50": %%d, "p90": %%d, "p99": %%d, "max": %%d}\\n', s.requests, e.status,
    e.connect + e.read + e.write + e.timeout, s.duration, lat:percentile(50),
    lat:percentile(90), lat:percentile(99), lat.max))
end
"""


def _run_wrk(url: str, paths: list[str], plan: Plan, headers: dict[str, str]) -> LoadResult:
    """The same measurement with wrk (one thread): a warm-up run, then the measured one."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not on PATH")
    connections, duration_s, warmup_s = plan
    lua = "".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n" for k, v in headers.items())
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "paths.lua"
        script.write_text(_WRK_SCRIPT % (", ".join(map(json.dumps, paths)), lua))
        base = [wrk, "-t1", f"-c{connections}", "-s", str(script), url]
        for seconds in (warmup_s, duration_s):
            command = [*base, f"-d{max(1, round(seconds))}s"]
            out = subprocess.run(command, capture_output=True, text=True, check=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("JSON "))
    f = json.loads(line[5:])
    seconds, errors = f["us"] / 1e6, f["status"] + f["socket"]
    p50, p90, p99, top = (f[name] / 1e3 for name in ("p50", "p90", "p99", "max"))
    kinds = {k: f[k] for k in ("status", "socket") if f[k]}
    rps = (f["requests"] - errors) / seconds
    return LoadResult(f["requests"], errors, rps, p50, p90, p99, top, connections, seconds, kinds)
