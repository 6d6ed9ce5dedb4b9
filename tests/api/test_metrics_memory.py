"""The metrics' events/s figure keeps a fixed ring, not one entry per write: a server nobody
asks for stats does not grow."""

from __future__ import annotations

import tracemalloc

from pulserec.api.metrics import ApiMetrics


def test_recording_events_does_not_grow_memory() -> None:
    metrics = ApiMetrics()
    metrics.record_events(1)  # first-use allocations out of the measure
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(50_000):
            metrics.record_events(2)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 20_000, f"{grown} bytes held after 50,000 writes"


def test_the_rate_counts_the_last_window_only() -> None:
    from pulserec.api.metrics import EventRate

    rate = EventRate(seconds=300)
    rate.record(120, now=1000.0)
    rate.record(60, now=1030.5)
    assert rate.rate(60, now=1030.9) == 3.0
    assert rate.rate(60, now=1070.0) == 1.0  # the first second left the window
    rate.record(5, now=1000.0 + 300)  # the same slot, a later second: reset first
    assert rate.rate(10, now=1300.0) == 0.5
    assert len(rate) == 300
