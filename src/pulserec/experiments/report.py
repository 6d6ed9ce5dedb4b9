"""``GET /v1/experiments/{id}/report``: what an experiment found, with the user as the unit.

Every figure starts from per-user sums (impressions, clicked impressions) over the users each
variant served; see :mod:`~.stats` for the estimators and :mod:`~.attribution` for what counts
as a click. The stopping rule is stated in ``stopping``:
- with a ``horizon`` (users per variant, from a power calculation, and ``looks``), a
  group-sequential test with Pocock's boundary at ``looks`` equally spaced looks up to the
  horizon (one look: a fixed horizon). The statistic is evaluated on the data as they were
  at each planned look, so reading the report more often changes nothing;
- without one, the always-valid mixture SPRT: its p-value and interval stay valid however
  often the report is read, at the price of width.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportions_ztest

from pulserec.core.types import Event, EventType, Impression
from pulserec.experiments import stats
from pulserec.experiments.attribution import ATTRIBUTED, SKEW_S, attribute
from pulserec.experiments.definition import INTERLEAVE, Experiment
from pulserec.experiments.interleave import credit

ALPHA = 0.05
TAU = 0.2  # the mixing scale of the always-valid test, on the log of the CTR ratio
SRM_ALPHA = 0.001
PRE_PERIOD_S = 28 * 86_400.0
HISTORY_POINTS = 20
POSITIVE = frozenset({EventType.CLICK, EventType.CART, EventType.PURCHASE, EventType.LIKE})


@dataclass(frozen=True, slots=True)
class Users:
    """One variant's users: impressions and clicked impressions per user, aligned."""

    ids: list[str]
    impressions: np.ndarray[Any, np.dtype[np.float64]]
    clicks: np.ndarray[Any, np.dtype[np.float64]]


@lru_cache(maxsize=16)
def boundary(looks: int) -> float:
    return stats.pocock_boundary(looks, ALPHA)


def build(
    experiment: Experiment,
    impressions: Sequence[Impression],
    events: Sequence[Event],
) -> dict[str, Any]:
    """The report of ``experiment`` from its stored impressions and its users' events (those
    before the start feed CUPED's covariate only)."""
    before = [e for e in events if e.timestamp < experiment.started_at - SKEW_S]
    events = [
        e for e in events if e.timestamp >= experiment.started_at - SKEW_S and e.type in ATTRIBUTED
    ]
    clicked = attribute(impressions, events)
    head: dict[str, Any] = {
        "id": experiment.id,
        "mode": experiment.mode,
        "state": "running" if experiment.running else "stopped",
    }
    if experiment.mode == INTERLEAVE:
        return {**head, **_interleaved(experiment, impressions, clicked)}
    return {**head, **_ab(experiment, impressions, events, before, clicked)}


# -- A/B -----------------------------------------------------------------------------------
def per_user(
    experiment: Experiment, impressions: Sequence[Impression], clicked: dict[str, set[str]]
) -> dict[str, Users]:
    """Each variant's users with their impression and clicked-impression counts."""
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


def _ab(
    experiment: Experiment,
    impressions: Sequence[Impression],
    events: Sequence[Event],
    before: Sequence[Event],
    clicked: dict[str, set[str]],
) -> dict[str, Any]:
    names = [v.name for v in experiment.variants]
    groups = per_user(experiment, impressions, clicked)
    ratios = {n: _ratio(groups[n]) for n in names}
    variants = [_variant_json(n, groups[n], ratios[n]) for n in names]
    control = names[0]
    lifts = [_lift(n, ratios[control], ratios[n]) for n in names[1:]]
    moments = _estimates_over_time(experiment, impressions, events)  # the plot and the looks
    base, treated = ratios[control], ratios[names[1]] if len(names) > 1 else None
    current = _log_lift(base, treated) if base is not None and treated is not None else None
    stopping = _stopping(experiment, impressions, events, lifts, moments, current)
    stopping["detectable_lift"] = _detectable(experiment, groups[control])
    srm = stats.srm_p_value([len(groups[n].ids) for n in names], experiment.weights)
    first = lifts[0] if lifts else None
    return {
        "variants": variants,
        "lift": first,
        "lifts": lifts,
        "srm_p_value": srm,
        "srm": bool(srm < SRM_ALPHA),
        "significant": bool(stopping.pop("significant")),
        "method": stopping.pop("method"),
        "stopping": stopping,
        "cuped": _cuped(experiment, groups, before, names),
        "guardrails": _guardrails(impressions, names),
        "history": _history(impressions, moments),
    }


def _ratio(users: Users) -> stats.Ratio | None:
    if len(users.ids) < 2:
        return None
    return stats.ratio(users.clicks, users.impressions)


def _detectable(experiment: Experiment, control: Users) -> float | None:
    """The power calculation: the lift the horizon (or, without one, the users so far)
    detects with power 0.8, from the control's CTR and per-user spread."""
    if len(control.ids) < 2 or control.impressions.sum() == 0:
        return None
    value = float(control.clicks.sum() / control.impressions.sum())
    spread = float(np.std(stats.linearized(control.clicks, control.impressions, value), ddof=1))
    users = experiment.horizon_users or len(control.ids)
    return _finite(minimum_detectable_lift(value, spread, users))


def _variant_json(name: str, users: Users, ratio: stats.Ratio | None) -> dict[str, Any]:
    shown = float(users.impressions.sum())
    clicks = float(users.clicks.sum())
    ctr = clicks / shown if shown else 0.0
    ci = [_finite(x) for x in ratio.ci()] if ratio is not None else [None, None]
    return {
        "name": name,
        "users": len(users.ids),
        "impressions": int(shown),
        "clicks": int(clicks),
        "ctr": ctr,
        "ctr_ci": ci,
    }


def _lift(name: str, control: stats.Ratio | None, treatment: stats.Ratio | None) -> dict[str, Any]:
    if control is None or treatment is None:
        return {"variant": name, "estimate": None, "ci": [None, None], "p_value": None}
    lift = stats.relative_lift(control, treatment)
    return {
        "variant": name,
        "estimate": _finite(lift.estimate),
        "ci": [_finite(lift.ci[0]), _finite(lift.ci[1])],
        "p_value": _finite(lift.p_value),
    }


def _log_lift(control: stats.Ratio, treatment: stats.Ratio) -> tuple[float, float] | None:
    """log(R_t / R_c) and its standard error (None when a CTR is zero)."""
    if control.value <= 0 or treatment.value <= 0:
        return None
    se = math.hypot(treatment.se / treatment.value, control.se / control.value)
    return math.log(treatment.value / control.value), se


def _stopping(
    experiment: Experiment,
    impressions: Sequence[Impression],
    events: Sequence[Event],
    lifts: list[dict[str, Any]],
    moments: list[tuple[float, tuple[float, float] | None]],
    current: tuple[float, float] | None,
) -> dict[str, Any]:
    """The stated stopping rule and its decision (for the first treatment; without a
    horizon its interval and p-value are the always-valid ones)."""
    if experiment.horizon_users is None:
        return _always_valid(lifts, moments, current)
    users, looks = experiment.horizon_users, experiment.looks
    c = boundary(looks)
    done, significant = 0, False
    for look in range(1, looks + 1):
        need = math.ceil(users * look / looks)
        at = _moment_with_users(experiment, impressions, need)
        if at is None:
            break
        done = look
        z = _z_at(experiment, impressions, events, at)
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


def _always_valid(
    lifts: list[dict[str, Any]],
    moments: list[tuple[float, tuple[float, float] | None]],
    current: tuple[float, float] | None,
) -> dict[str, Any]:
    """The mixture SPRT looked at every history moment and now (the log-lift and its se)."""
    test = stats.SequentialTest(TAU)
    for _, found in moments:
        if found is not None:
            test.look(*found)
    if current is not None and current[1] > 0 and lifts:
        test.look(*current)
        low, high = stats.confidence_sequence(*current, TAU, ALPHA)
        lifts[0]["ci"] = [_finite(math.expm1(low)), _finite(math.expm1(high))]
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


def _upto(
    impressions: Sequence[Impression], events: Sequence[Event], at: float | None
) -> tuple[list[Impression], list[Event]]:
    if at is None:
        return list(impressions), list(events)
    return [i for i in impressions if i.timestamp <= at], [e for e in events if e.timestamp <= at]


def _estimate_at(
    experiment: Experiment,
    impressions: Sequence[Impression],
    events: Sequence[Event],
    at: float | None,
) -> tuple[float, float] | None:
    """log-lift of the first treatment over the control, and its se, on data up to ``at``."""
    if len(experiment.variants) < 2:
        return None
    shown, seen = _upto(impressions, events, at)
    groups = per_user(experiment, shown, attribute(shown, seen))
    control, treatment = (_ratio(groups[v.name]) for v in experiment.variants[:2])
    if control is None or treatment is None:
        return None
    return _log_lift(control, treatment)


def _z_at(
    experiment: Experiment, impressions: Sequence[Impression], events: Sequence[Event], at: float
) -> float | None:
    found = _estimate_at(experiment, impressions, events, at)
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


def _estimates_over_time(
    experiment: Experiment, impressions: Sequence[Impression], events: Sequence[Event]
) -> list[tuple[float, tuple[float, float] | None]]:
    """The first treatment's log-lift and se on the data up to each of 20 moments."""
    return [
        (at, _estimate_at(experiment, impressions, events, at))
        for at in _history_moments(impressions)
    ]


def _history(
    impressions: Sequence[Impression], moments: list[tuple[float, tuple[float, float] | None]]
) -> list[dict[str, Any]]:
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
                "impressions": sum(1 for i in impressions if i.timestamp <= at),
                "lift": _finite(math.expm1(estimate)),
                "ci": [_finite(math.expm1(estimate - half)), _finite(math.expm1(estimate + half))],
            }
        )
    return out


def _cuped(
    experiment: Experiment, groups: dict[str, Users], events: Sequence[Event], names: list[str]
) -> dict[str, Any] | None:
    """The first treatment's lift with CUPED: each user's linearised CTR less what their
    positive events in the 28 days before the start predict (None without pre-period data)."""
    if len(names) < 2 or any(len(groups[n].ids) < 2 for n in names[:2]):
        return None
    start = experiment.started_at
    before: dict[str, int] = defaultdict(int)
    for event in events:
        if start - PRE_PERIOD_S <= event.timestamp < start and event.type in POSITIVE:
            before[event.user_id] += 1
    parts = []
    for name in names[:2]:
        users = groups[name]
        value = float(users.clicks.sum() / users.impressions.sum())
        metric = value + stats.linearized(users.clicks, users.impressions, value)
        covariate = np.array([before.get(u, 0) for u in users.ids], dtype=np.float64)
        parts.append((metric, covariate))
    covariates = np.concatenate([p[1] for p in parts])
    if float(np.var(covariates)) == 0:
        return None
    metrics = np.concatenate([p[0] for p in parts])
    adjusted = stats.cuped(metrics, covariates)
    split = len(parts[0][0])
    ratios = [
        stats.Ratio(float(a.mean()), float(a.std(ddof=1) / math.sqrt(len(a))), len(a))
        for a in (adjusted[:split], adjusted[split:])
    ]
    lift = stats.relative_lift(ratios[0], ratios[1])
    reduction = 1 - float(np.var(adjusted, ddof=1) / np.var(metrics, ddof=1))
    return {
        "variant": names[1],
        "estimate": _finite(lift.estimate),
        "ci": [_finite(lift.ci[0]), _finite(lift.ci[1])],
        "p_value": _finite(lift.p_value),
        "variance_reduction": reduction,
        "covariate": "positive events in the 28 days before the start",
    }


def _guardrails(impressions: Sequence[Impression], names: list[str]) -> dict[str, Any]:
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


# -- interleaving --------------------------------------------------------------------------
def _interleaved(
    experiment: Experiment, impressions: Sequence[Impression], clicked: dict[str, set[str]]
) -> dict[str, Any]:
    """Team-draft credit per impression; a user prefers the team that won more of their
    impressions; the sign test runs over users (ties left out)."""
    first, second = (v.name for v in experiment.variants[:2])
    clicks, shown = [0, 0], 0
    users: set[str] = set()
    balance: dict[str, int] = defaultdict(int)
    impression_wins = [0, 0, 0]
    for impression in impressions:
        shown += 1
        users.add(impression.user_id)
        pairs = list(zip(impression.items, impression.teams, strict=False))
        chosen = clicked.get(impression.id, set())
        for item, team in pairs:
            if item in chosen:
                clicks[team] += 1
        winner = credit(pairs, chosen)
        impression_wins[2 if winner is None else winner] += 1
        if winner is not None:
            balance[impression.user_id] += 1 if winner == 0 else -1
    prefer = [sum(1 for b in balance.values() if b > 0), sum(1 for b in balance.values() if b < 0)]
    ties = len(users) - prefer[0] - prefer[1]
    p_value = stats.sign_test(prefer[0], prefer[1])
    significant = p_value < ALPHA
    preferred = None
    if significant:
        preferred = first if prefer[0] > prefer[1] else second
    total = prefer[0] + prefer[1]
    share = prefer[1] / total if total else None
    return {
        "variants": [
            {
                "name": name,
                "users": len(users),
                "impressions": shown,
                "clicks": clicks[team],
                "ctr": clicks[team] / shown if shown else 0.0,
                "ctr_ci": [None, None],
            }
            for team, name in enumerate((first, second))
        ],
        "lift": {
            "variant": second,
            "estimate": _finite(clicks[1] / clicks[0] - 1) if clicks[0] else None,
            "ci": [None, None],
            "p_value": p_value,
        },
        "srm_p_value": 1.0,
        "srm": False,
        "wins": {first: prefer[0], second: prefer[1], "ties": ties},
        "impression_wins": dict(zip((first, second, "ties"), impression_wins, strict=True)),
        "preferred": preferred,
        "preference_share": share,
        "significant": significant,
        "method": (
            "team-draft interleaving; each user prefers the team that won more of their "
            f"impressions; two-sided sign (binomial) test over users at alpha {ALPHA}"
        ),
    }


def minimum_detectable_lift(ctr: float, per_user_sd: float, users: int) -> float | None:
    """The relative CTR change two variants of ``users`` each detect with power 0.8."""
    if ctr <= 0 or per_user_sd <= 0 or users < 2:
        return None
    effect = NormalIndPower().solve_power(nobs1=users, alpha=ALPHA, power=0.8, ratio=1.0)
    return float(effect) * per_user_sd / ctr


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)
