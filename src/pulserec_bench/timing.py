"""Latency percentiles of an in-process call, after a short warm-up."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np


def percentiles_ms(call: Callable[[int], Any], n: int, warmup: int = 20) -> tuple[float, float]:
    """p50 and p99 in milliseconds of ``call(i)`` for ``i`` in ``range(n)``."""
    for i in range(min(warmup, n)):
        call(i)
    spent = np.empty(n)
    for i in range(n):
        started = time.perf_counter()
        call(i)
        spent[i] = time.perf_counter() - started
    return float(np.percentile(spent, 50) * 1e3), float(np.percentile(spent, 99) * 1e3)
