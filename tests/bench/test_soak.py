"""The soak's verdict: errors, memory growth after the first minute, p99 against the first."""

from __future__ import annotations

import os

from pulserec_bench.memory import tree_rss_mb
from pulserec_bench.soak import verdict


def _minute(p99: float, rss: float, errors: int = 0) -> dict[str, float]:
    return {"get_p99_ms": p99, "rss_mb": rss, "errors": errors}


def test_a_steady_soak_passes() -> None:
    found = verdict([_minute(10, 1000), _minute(14, 1030), _minute(12, 1049)])
    assert found["passed"] and found["memory_growth_after_warmup"] == 0.049


def test_each_bar_fails_the_soak() -> None:
    assert not verdict([_minute(10, 1000), _minute(10, 1000, errors=1)])["passed"]
    assert not verdict([_minute(10, 1000), _minute(10, 1060)])["passed"]  # +6% memory
    assert not verdict([_minute(10, 1000), _minute(16, 1000)])["passed"]  # p99 1.6x


def test_resident_memory_of_this_process_tree_is_read_from_proc() -> None:
    assert tree_rss_mb(os.getpid()) > 10
    assert tree_rss_mb(2**22 + 12345) == 0
