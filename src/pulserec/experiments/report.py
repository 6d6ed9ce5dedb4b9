"""``GET /v1/experiments/{id}/report``: what an experiment found, with the user as the unit.

Every figure starts from per-user sums (impressions, clicked impressions) over the users each
variant served (:mod:`~.users`); see :mod:`~.stats` for the estimators and
:mod:`~.attribution` for what counts as a click. The stopping rule is stated in ``stopping``
(:mod:`~.stopping`):
- with a ``horizon`` (users per variant, from a power calculation, and ``looks``), a
  group-sequential test with Pocock's boundary at ``looks`` equally spaced looks up to the
  horizon (one look: a fixed horizon). The statistic is evaluated on the data as they were
  at each planned look, so reading the report more often changes nothing;
- without one, the always-valid mixture SPRT: its p-value and interval stay valid however
  often the report is read, at the price of width.
CUPED (:mod:`~.cuped`), the guardrails (:mod:`~.guardrails`) and the interleaved report
(:mod:`~.interleave_report`) live beside this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from statsmodels.stats.power import NormalIndPower

from pulserec.core.types import Event, Impression
from pulserec.experiments import stats
from pulserec.experiments.attribution import ATTRIBUTED, SKEW_S, Attribution, attribute_all
from pulserec.experiments.cuped import POSITIVE, PRE_PERIOD_S, cuped_lift
from pulserec.experiments.definition import INTERLEAVE, Experiment
from pulserec.experiments.guardrails import guardrails
from pulserec.experiments.interleave_report import interleaved
from pulserec.experiments.stopping import (
    HISTORY_POINTS,
    TAU,
    boundary,
    estimates_over_time,
    history,
    stopping,
)
from pulserec.experiments.users import (
    ALPHA,
    ImpressionTable,
    Users,
    finite,
    log_lift,
    ratio,
)

__all__ = [
    "ALPHA",
    "HISTORY_POINTS",
    "POSITIVE",
    "PRE_PERIOD_S",
    "SRM_ALPHA",
    "TAU",
    "Users",
    "boundary",
    "build",
    "minimum_detectable_lift",
]

SRM_ALPHA = 0.001


def build(
    experiment: Experiment,
    impressions: Sequence[Impression],
    events: Sequence[Event],
    attribution: Attribution | None = None,
) -> dict[str, Any]:
    """The report of ``experiment`` from its stored impressions and its users' events (those
    before the start feed CUPED's covariate only); ``attribution``: the clicks already
    attributed (:class:`~.inputs.ReportInputs` keeps it as data arrive), else attributed
    here."""
    before = [e for e in events if e.timestamp < experiment.started_at - SKEW_S]
    if attribution is None:
        after = [e for e in events if e.timestamp >= experiment.started_at - SKEW_S]
        attribution = attribute_all(impressions, [e for e in after if e.type in ATTRIBUTED])
    head: dict[str, Any] = {
        "id": experiment.id,
        "mode": experiment.mode,
        "state": "running" if experiment.running else "stopped",
    }
    if experiment.mode == INTERLEAVE:
        return {**head, **interleaved(experiment, impressions, attribution.clicked)}
    table = ImpressionTable(experiment, impressions, attribution.first)
    return {**head, **_ab(experiment, impressions, table, before)}


def _ab(
    experiment: Experiment,
    impressions: Sequence[Impression],
    table: ImpressionTable,
    before: Sequence[Event],
) -> dict[str, Any]:
    names = [v.name for v in experiment.variants]
    groups = table.per_user()
    ratios = {n: ratio(groups[n]) for n in names}
    variants = [_variant_json(n, groups[n], ratios[n]) for n in names]
    control = names[0]
    lifts = [_lift(n, ratios[control], ratios[n]) for n in names[1:]]
    moments = estimates_over_time(experiment, impressions, table)  # the plot and the looks
    base, treated = ratios[control], ratios[names[1]] if len(names) > 1 else None
    current = log_lift(base, treated) if base is not None and treated is not None else None
    rule = stopping(experiment, impressions, table, lifts, moments, current)
    rule["detectable_lift"] = _detectable(experiment, groups[control])
    srm = stats.srm_p_value([groups[n].count for n in names], experiment.weights)
    first = lifts[0] if lifts else None
    return {
        "variants": variants,
        "lift": first,
        "lifts": lifts,
        "srm_p_value": srm,
        "srm": bool(srm < SRM_ALPHA),
        "significant": bool(rule.pop("significant")),
        "method": rule.pop("method"),
        "stopping": rule,
        "cuped": cuped_lift(experiment, groups, before, names),
        "guardrails": guardrails(impressions, names),
        "history": history(table, moments),
    }


def _detectable(experiment: Experiment, control: Users) -> float | None:
    """The power calculation: the lift the horizon (or, without one, the users so far)
    detects with power 0.8, from the control's CTR and per-user spread."""
    if len(control.ids) < 2 or control.impressions.sum() == 0:
        return None
    value = float(control.clicks.sum() / control.impressions.sum())
    spread = float(np.std(stats.linearized(control.clicks, control.impressions, value), ddof=1))
    users = experiment.horizon_users or len(control.ids)
    return finite(minimum_detectable_lift(value, spread, users))


def _variant_json(name: str, users: Users, ctr_ratio: stats.Ratio | None) -> dict[str, Any]:
    shown = float(users.impressions.sum())
    clicks = float(users.clicks.sum())
    ctr = clicks / shown if shown else 0.0
    ci = [finite(x) for x in ctr_ratio.ci()] if ctr_ratio is not None else [None, None]
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
        "estimate": finite(lift.estimate),
        "ci": [finite(lift.ci[0]), finite(lift.ci[1])],
        "p_value": finite(lift.p_value),
    }


def minimum_detectable_lift(ctr: float, per_user_sd: float, users: int) -> float | None:
    """The relative CTR change two variants of ``users`` each detect with power 0.8."""
    if ctr <= 0 or per_user_sd <= 0 or users < 2:
        return None
    effect = NormalIndPower().solve_power(nobs1=users, alpha=ALPHA, power=0.8, ratio=1.0)
    return float(effect) * per_user_sd / ctr
