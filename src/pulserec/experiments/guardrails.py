"""The report's guardrails: what a treatment must not make worse whatever its lift."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from statsmodels.stats.proportion import proportions_ztest

from pulserec.core.types import Impression
from pulserec.experiments.users import ALPHA


def guardrails(impressions: Sequence[Impression], names: list[str]) -> dict[str, Any]:
    """Answer time (p50 per variant) and the share of empty lists; a treatment fails when
    its p50 is 25% and 2 ms above the control's, or its empty share is higher at p < 0.05."""
    took: dict[str, list[float]] = defaultdict(list)
    empty: dict[str, int] = defaultdict(int)
    for impression in impressions:
        took[impression.variant].append(impression.took_ms)
        empty[impression.variant] += not impression.items
    p50 = {n: float(np.median(took[n])) if took[n] else None for n in names}
    share = {n: empty[n] / len(took[n]) if took[n] else None for n in names}
    failed = []
    control = names[0]
    for name in names[1:]:
        base, mine = p50[control], p50[name]
        if base is not None and mine is not None and mine > 1.25 * base and mine - base > 2:
            failed.append(f"{name}: latency")
        counts = [empty[name], empty[control]]
        sizes = [len(took[name]), len(took[control])]
        if min(sizes) > 0 and sum(counts) > 0 and counts[0] / sizes[0] > counts[1] / sizes[1]:
            _, p = proportions_ztest(counts, sizes, alternative="larger")
            if float(p) < ALPHA:
                failed.append(f"{name}: empty lists")
    return {"latency_p50_ms": p50, "empty_share": share, "ok": not failed, "failed": failed}
