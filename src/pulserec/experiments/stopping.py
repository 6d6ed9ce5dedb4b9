"""The report's stopping rule and the first treatment's lift over time.

With a ``horizon`` (users per variant, and ``looks``), a group-sequential test with Pocock's
boundary at ``looks`` equally spaced looks up to the horizon (one look: a fixed horizon),
evaluated on the data as they were at each planned look. Without one, the always-valid mixture
SPRT, looked at every history moment and now.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from pulserec.core.types import Impression
from pulserec.experiments import stats
from pulserec.experiments.definition import Experiment
from pulserec.experiments.users import ALPHA, ImpressionTable, finite, log_lift, ratio

TAU = 0.2  # the mixing scale of the always-valid test, on the log of the CTR ratio
HISTORY_POINTS = 20
Moments = list[tuple[float, tuple[float, float] | None]]  # (when, log-lift and its se)


@lru_cache(maxsize=16)
def boundary(looks: int) -> float:
    """Pocock's |z| boundary for ``looks`` equally spaced looks at :data:`ALPHA`."""
    return stats.pocock_boundary(looks, ALPHA)


def stopping(
    experiment: Experiment,
    impressions: Sequence[Impression],
    table: ImpressionTable,
    lifts: list[dict[str, Any]],
    moments: Moments,
    current: tuple[float, float] | None,
) -> dict[str, Any]:
    """The stated stopping rule and its decision (for the first treatment; without a
    horizon its interval and p-value are the always-valid ones)."""
    if experiment.horizon_users is None:
        return always_valid(lifts, moments, current)
    users, looks = experiment.horizon_users, experiment.looks
    c = boundary(looks)
    done, significant = 0, False
    for look in range(1, looks + 1):
        need = math.ceil(users * look / looks)
        at = _moment_with_users(experiment, impressions, need)
        if at is None:
            break
        done = look
        z = _z_at(experiment, table, at)
        if z is not None and abs(z) >= c:
            significant = True
            break
    rule = "fixed horizon" if looks == 1 else f"group sequential, Pocock, {looks} looks"
    return {
        "rule": rule,
        "users_per_variant": users,
        "looks": looks,
        "looks_done": done,
        "boundary_z": c,
        "complete": significant or done == looks,
        "significant": significant,
        "method": f"delta-method CTR per user, log-ratio z-test, {rule} at alpha {ALPHA}",
    }


def always_valid(
    lifts: list[dict[str, Any]], moments: Moments, current: tuple[float, float] | None
) -> dict[str, Any]:
    """The mixture SPRT looked at every history moment and now (the log-lift and its se);
    the first lift's interval and p-value become the always-valid ones."""
    test = stats.SequentialTest(TAU)
    for _, found in moments:
        if found is not None:
            test.look(*found)
    if current is not None and current[1] > 0 and lifts:
        test.look(*current)
        low, high = stats.confidence_sequence(*current, TAU, ALPHA)
        lifts[0]["ci"] = [finite(math.expm1(low)), finite(math.expm1(high))]
        lifts[0]["p_value"] = test.p_value
    return {
        "rule": "always valid (mixture SPRT)",
        "tau": TAU,
        "complete": test.p_value < ALPHA,
        "significant": test.p_value < ALPHA,
        "method": (
            "delta-method CTR per user, log-ratio lift; always-valid mixture SPRT p-value and "
            f"confidence sequence (tau {TAU}) at alpha {ALPHA}"
        ),
    }


def _estimate_at(
    experiment: Experiment, table: ImpressionTable, at: float | None
) -> tuple[float, float] | None:
    """log-lift of the first treatment over the control, and its se, on data up to ``at``."""
    if len(experiment.variants) < 2:
        return None
    groups = table.per_user(float("inf") if at is None else at, ids=False)
    control, treatment = (ratio(groups[v.name]) for v in experiment.variants[:2])
    if control is None or treatment is None:
        return None
    return log_lift(control, treatment)


def _z_at(experiment: Experiment, table: ImpressionTable, at: float) -> float | None:
    found = _estimate_at(experiment, table, at)
    if found is None or found[1] <= 0:
        return None
    return found[0] / found[1]


def _moment_with_users(
    experiment: Experiment, impressions: Sequence[Impression], need: int
) -> float | None:
    """When every variant had served ``need`` users (None: not yet)."""
    seen: dict[str, set[str]] = defaultdict(set)
    names = [v.name for v in experiment.variants]
    for impression in sorted(impressions, key=lambda i: i.timestamp):
        seen[impression.variant].add(impression.user_id)
        if all(len(seen[n]) >= need for n in names):
            return impression.timestamp
    return None


def _history_moments(impressions: Sequence[Impression]) -> list[float]:
    stamps = sorted(i.timestamp for i in impressions)
    if not stamps:
        return []
    picks = np.linspace(0, len(stamps) - 1, min(HISTORY_POINTS, len(stamps))).astype(int)
    return [stamps[p] for p in np.unique(picks)]


def estimates_over_time(
    experiment: Experiment, impressions: Sequence[Impression], table: ImpressionTable
) -> Moments:
    """The first treatment's log-lift and se on the data up to each of 20 moments."""
    return [(at, _estimate_at(experiment, table, at)) for at in _history_moments(impressions)]


def history(table: ImpressionTable, moments: Moments) -> list[dict[str, Any]]:
    """The cumulative lift of the first treatment at those moments (the page's plot)."""
    out = []
    for at, found in moments:
        if found is None:
            continue
        estimate, se = found
        half = stats._z(1 - ALPHA) * se
        out.append(
            {
                "at": at,
                "impressions": table.shown_by(at),
                "lift": finite(math.expm1(estimate)),
                "ci": [finite(math.expm1(estimate - half)), finite(math.expm1(estimate + half))],
            }
        )
    return out
