"""Prometheus metrics of one app (its own registry, so several apps can share a process)."""

from __future__ import annotations

import math
import threading
import time
from bisect import bisect_left
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.002,
    0.003,
    0.005,
    0.0075,
    0.01,
    0.015,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)


class Timeseries:
    """Per-second request samples of the last ``seconds`` seconds in a fixed ring buffer.

    Recording is O(1): one slot per second (reused when its second has passed) holds the
    request count, errors, latency sum and max, and counts per latency bucket, from which
    p50/p99 are approximated (the upper bound of the bucket that holds the quantile, capped
    by the slot's maximum)."""

    def __init__(self, seconds: int = 300, buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.seconds = seconds
        self.buckets = buckets
        self._lock = threading.Lock()
        self._stamp = [-1] * seconds
        self._count = [0] * seconds
        self._errors = [0] * seconds
        self._sum = [0.0] * seconds
        self._max = [0.0] * seconds
        self._hist = [[0] * (len(buckets) + 1) for _ in range(seconds)]

    def record(self, duration_s: float, error: bool, now: float | None = None) -> None:
        second = int(time.time() if now is None else now)
        slot = second % self.seconds
        bucket = bisect_left(self.buckets, duration_s)
        with self._lock:
            if self._stamp[slot] != second:
                self._stamp[slot] = second
                self._count[slot] = self._errors[slot] = 0
                self._sum[slot] = self._max[slot] = 0.0
                hist = self._hist[slot]
                for i in range(len(hist)):
                    hist[i] = 0
            self._count[slot] += 1
            self._errors[slot] += error
            self._sum[slot] += duration_s
            self._max[slot] = max(self._max[slot], duration_s)
            self._hist[slot][bucket] += 1

    def _quantile(self, slot: int, q: float) -> float:
        rank = math.ceil(q * self._count[slot])
        seen = 0
        for i, n in enumerate(self._hist[slot]):
            seen += n
            if seen >= rank:
                upper = self.buckets[i] if i < len(self.buckets) else self._max[slot]
                return min(upper, self._max[slot])
        return self._max[slot]

    def samples(
        self, window_s: int | None = None, now: float | None = None
    ) -> list[dict[str, Any]]:
        """One sample per second, oldest first, ending with the current second (empty seconds
        included with zero requests and null latencies). Latencies in milliseconds."""
        window = min(window_s or self.seconds, self.seconds)
        current = int(time.time() if now is None else now)
        out: list[dict[str, Any]] = []
        with self._lock:
            for second in range(current - window + 1, current + 1):
                slot = second % self.seconds
                count = self._count[slot] if self._stamp[slot] == second else 0
                if count == 0:
                    out.append(
                        {
                            "t": second,
                            "requests": 0,
                            "errors": 0,
                            "mean_ms": None,
                            "p50_ms": None,
                            "p99_ms": None,
                            "max_ms": None,
                        }
                    )
                    continue
                out.append(
                    {
                        "t": second,
                        "requests": count,
                        "errors": self._errors[slot],
                        "mean_ms": round(self._sum[slot] / count * 1000, 3),
                        "p50_ms": round(self._quantile(slot, 0.5) * 1000, 3),
                        "p99_ms": round(self._quantile(slot, 0.99) * 1000, 3),
                        "max_ms": round(self._max[slot] * 1000, 3),
                    }
                )
        return out


class EventRate:
    """Events accepted per second over the last ``seconds`` seconds: one slot per second in a
    fixed ring (memory does not grow with traffic, whether or not anyone reads the rate)."""

    def __init__(self, seconds: int = 300) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._stamp = [-1] * seconds
        self._count = [0] * seconds

    def __len__(self) -> int:
        """The slots kept: ``seconds``, always."""
        return len(self._count)

    def record(self, n: int, now: float | None = None) -> None:
        second = int(time.monotonic() if now is None else now)
        slot = second % self.seconds
        with self._lock:
            if self._stamp[slot] != second:
                self._stamp[slot], self._count[slot] = second, 0
            self._count[slot] += n

    def rate(self, window_s: float = 60.0, now: float | None = None) -> float:
        """Per second over the last ``window_s`` seconds (at most ``seconds``), this one
        included."""
        window = max(1, min(int(window_s), self.seconds))
        current = int(time.monotonic() if now is None else now)
        with self._lock:
            total = sum(
                self._count[second % self.seconds]
                for second in range(current - window + 1, current + 1)
                if self._stamp[second % self.seconds] == second
            )
        return round(total / window, 3)


class ApiMetrics:
    """The server's instruments."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "pulserec_request_duration_seconds",
            "HTTP request latency by route",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.requests = Counter(
            "pulserec_requests",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.errors = Counter(
            "pulserec_errors",
            "HTTP responses with status >= 400",
            ["route", "status"],
            registry=self.registry,
        )
        self.events_ingested = Counter(
            "pulserec_events_ingested", "Events accepted and stored", registry=self.registry
        )
        self.events_duplicate = Counter(
            "pulserec_events_duplicate",
            "Events dropped as retries of stored ids",
            registry=self.registry,
        )
        self.catalog = Gauge(
            "pulserec_store_records", "Records in the store", ["kind"], registry=self.registry
        )
        self.model_info = Gauge(
            "pulserec_model_info",
            "The model version being served (value 1)",
            ["version"],
            registry=self.registry,
        )
        self.recent_events = EventRate()
        self.timeseries = Timeseries()

    def record_events(self, accepted: int) -> None:
        """Count accepted events (for the counter and the events/s figure)."""
        self.events_ingested.inc(accepted)
        self.recent_events.record(accepted)

    def event_rate(self, window_s: float = 60.0) -> float:
        """Events accepted per second over the last ``window_s`` seconds."""
        return self.recent_events.rate(window_s)

    def set_model_version(self, version: str) -> None:
        self.model_info.clear()
        self.model_info.labels(version).set(1)


class MetricsMiddleware:
    """Times every request and counts it under its route template (``/v1/items/{item_id}``)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = scope.get("route")
            label = getattr(route, "path", "unmatched")
            method = scope["method"]
            duration = time.perf_counter() - start
            self.metrics.latency.labels(method, label).observe(duration)
            self.metrics.requests.labels(method, label, str(status)).inc()
            self.metrics.timeseries.record(duration, status >= 400)
            if status >= 400:
                self.metrics.errors.labels(label, str(status)).inc()
