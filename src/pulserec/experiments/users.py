"""Per-user sums, the unit every figure of the experiment report starts from, and what those
figures share: the significance level and JSON-ready floats."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
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
    count: int  # users (``ids`` may be left out)


class ImpressionTable:
    r"""An experiment's impressions as arrays (variant and user of each, when shown, when first
    clicked), so the per-user sums on the data up to any moment are two ``bincount``\ s."""

    def __init__(
        self,
        experiment: Experiment,
        impressions: Sequence[Impression],
        first_click: Mapping[str, float],
    ) -> None:
        names = [v.name for v in experiment.variants]
        variants = {name: n for n, name in enumerate(names)}
        users: dict[str, int] = {}
        rows = np.empty((len(impressions), 2), dtype=np.int64)
        for n, impression in enumerate(impressions):
            rows[n, 0] = variants.setdefault(impression.variant, len(variants))
            rows[n, 1] = users.setdefault(impression.user_id, len(users))
        self.names = list(variants)
        self.user_ids = list(users)
        self.cells = rows[:, 0] * max(1, len(users)) + rows[:, 1]
        self.shown_at = np.fromiter((i.timestamp for i in impressions), np.float64, len(rows))
        never = float("nan")  # compares false with every moment, infinity included
        self.clicked_at = np.fromiter(
            (first_click.get(i.id, never) for i in impressions), np.float64, len(rows)
        )

    def shown_by(self, at: float) -> int:
        """How many impressions were shown by ``at``."""
        return int(np.count_nonzero(self.shown_at <= at))

    def per_user(self, at: float = float("inf"), ids: bool = True) -> dict[str, Users]:
        """Each variant's users with their impression and clicked-impression counts on the data
        up to ``at`` (``ids``: with the users' ids, else an empty list)."""
        shown = self.shown_at <= at
        clicked = shown & (self.clicked_at <= at)
        width = max(1, len(self.user_ids))
        size = len(self.names) * width
        counts = np.bincount(self.cells, weights=shown, minlength=size).reshape(-1, width)
        clicks = np.bincount(self.cells, weights=clicked, minlength=size).reshape(-1, width)
        out = {}
        for v, name in enumerate(self.names):
            keep = np.flatnonzero(counts[v] > 0)
            found = [self.user_ids[k] for k in keep.tolist()] if ids else []
            out[name] = Users(found, counts[v, keep], clicks[v, keep], len(keep))
        return out


def ratio(users: Users) -> stats.Ratio | None:
    """The variant's per-user CTR with its delta-method se (None under two users)."""
    if users.count < 2:
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
