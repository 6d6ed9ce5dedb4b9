"""Per-user sums, the unit every figure of the experiment report starts from, and what those
figures share: the significance level and JSON-ready floats."""

from __future__ import annotations

import math
from collections.abc import Container, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pulserec.core.types import Impression
from pulserec.experiments import stats
from pulserec.experiments.definition import Experiment

ALPHA = 0.05


@dataclass(frozen=True, slots=True)
class Users:
    """One variant's users: impressions and clicked impressions per user, aligned."""

    ids: list[str]
    impressions: np.ndarray[Any, np.dtype[np.float64]]
    clicks: np.ndarray[Any, np.dtype[np.float64]]


def per_user(
    experiment: Experiment, impressions: Sequence[Impression], clicked: Container[str]
) -> dict[str, Users]:
    """Each variant's users with their impression and clicked-impression counts (``clicked``:
    the ids of the impressions clicked)."""
    counts: dict[str, dict[str, list[int]]] = {v.name: {} for v in experiment.variants}
    for impression in impressions:
        cell = counts.setdefault(impression.variant, {}).setdefault(impression.user_id, [0, 0])
        cell[0] += 1
        cell[1] += impression.id in clicked
    out = {}
    for name, users in counts.items():
        ids = list(users)
        table = np.array([users[u] for u in ids], dtype=np.float64).reshape(-1, 2)
        out[name] = Users(ids, table[:, 0], table[:, 1])
    return out


def ratio(users: Users) -> stats.Ratio | None:
    """The variant's per-user CTR with its delta-method se (None under two users)."""
    if len(users.ids) < 2:
        return None
    return stats.ratio(users.clicks, users.impressions)


def log_lift(control: stats.Ratio, treatment: stats.Ratio) -> tuple[float, float] | None:
    """log(R_t / R_c) and its standard error (None when a CTR is zero)."""
    if control.value <= 0 or treatment.value <= 0:
        return None
    se = math.hypot(treatment.se / treatment.value, control.se / control.value)
    return math.log(treatment.value / control.value), se


def finite(value: float | None) -> float | None:
    """``value`` as a JSON-ready float (None when missing or not finite)."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)
