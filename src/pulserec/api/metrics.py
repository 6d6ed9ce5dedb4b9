"""Prometheus metrics of one app (its own registry, so several apps can share a process)."""

from __future__ import annotations

import time
from collections import deque

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
        self._recent_events: deque[tuple[float, int]] = deque()

    def record_events(self, accepted: int) -> None:
        """Count accepted events (for the counter and the events/s figure)."""
        self.events_ingested.inc(accepted)
        self._recent_events.append((time.monotonic(), accepted))

    def event_rate(self, window_s: float = 60.0) -> float:
        """Events accepted per second over the last ``window_s`` seconds."""
        cutoff = time.monotonic() - window_s
        recent = self._recent_events
        while recent and recent[0][0] < cutoff:
            recent.popleft()
        return round(sum(n for _, n in recent) / window_s, 3)

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
            self.metrics.latency.labels(method, label).observe(time.perf_counter() - start)
            self.metrics.requests.labels(method, label, str(status)).inc()
            if status >= 400:
                self.metrics.errors.labels(label, str(status)).inc()
