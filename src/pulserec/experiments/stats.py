"""The statistics of an experiment report, with the user as the unit of analysis.

Impressions of one user are not independent (the same person sees many lists), so treating
each impression as a trial overstates significance. Here every figure starts from per-user
sums: a variant's CTR is the ratio Σclicks / Σimpressions over its users, with a delta-method
standard error (or a user-level bootstrap), the relative lift between variants is tested on
the log of the ratio of CTRs, CUPED removes the part of each user's metric that their
pre-period behaviour predicts, and repeated looks use an always-valid mixture SPRT
(Johari et al., 2017). Distributions come from scipy, the power calculation from statsmodels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats as sps
from scipy.optimize import brentq
from statsmodels.stats.power import NormalIndPower

Floats = npt.NDArray[np.float64]


def _z(level: float) -> float:
    return float(sps.norm.ppf(0.5 + level / 2))


@dataclass(frozen=True, slots=True)
class Ratio:
    """A variant's pooled CTR over its users and the delta-method standard error."""

    value: float
    se: float
    users: int

    def ci(self, level: float = 0.95) -> tuple[float, float]:
        half = _z(level) * self.se
        return self.value - half, self.value + half


@dataclass(frozen=True, slots=True)
class Lift:
    """The relative change of a treatment's CTR over the control's."""

    estimate: float
    ci: tuple[float, float]
    p_value: float


def ratio(clicks: npt.ArrayLike, impressions: npt.ArrayLike) -> Ratio:
    """Σclicks / Σimpressions over users (one entry each, impressions > 0), with
    Var ≈ (Var(c) − 2R·Cov(c, n) + R²·Var(n)) / (N·n̄²) (the delta method for a ratio of means)."""
    c = np.asarray(clicks, dtype=np.float64)
    n = np.asarray(impressions, dtype=np.float64)
    if c.shape != n.shape or c.ndim != 1 or len(c) < 2:
        raise ValueError("one clicks and one impressions count per user, two users at least")
    if np.any(n <= 0):
        raise ValueError("every user in the analysis has at least one impression")
    value = float(c.sum() / n.sum())
    covariance = np.cov(c, n, ddof=1)
    variance = covariance[0, 0] - 2 * value * covariance[0, 1] + value**2 * covariance[1, 1]
    se = math.sqrt(max(float(variance), 0.0) / (len(c) * float(n.mean()) ** 2))
    return Ratio(value, se, len(c))


def relative_lift(control: Ratio, treatment: Ratio, level: float = 0.95) -> Lift:
    """Lift = R_t / R_c − 1; log(R_t / R_c) is close to normal with variance
    se_t² / R_t² + se_c² / R_c² (independent groups), which gives the interval and the
    two-sided p-value."""
    if control.value <= 0 or treatment.value <= 0:
        return Lift(float("nan"), (float("nan"), float("nan")), 1.0)
    log_ratio = math.log(treatment.value / control.value)
    se = math.sqrt((treatment.se / treatment.value) ** 2 + (control.se / control.value) ** 2)
    if se == 0:
        return Lift(math.expm1(log_ratio), (math.expm1(log_ratio),) * 2, 0.0 if log_ratio else 1.0)
    half = _z(level) * se
    p_value = float(2 * sps.norm.sf(abs(log_ratio) / se))
    return Lift(
        math.expm1(log_ratio), (math.expm1(log_ratio - half), math.expm1(log_ratio + half)), p_value
    )


def bootstrap_lift(
    control: tuple[npt.ArrayLike, npt.ArrayLike],
    treatment: tuple[npt.ArrayLike, npt.ArrayLike],
    resamples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> Lift:
    """The lift with a user-level bootstrap: users (their clicks and impressions together)
    resampled with replacement within each variant; percentile interval; the p-value is twice
    the share of resampled lifts on the other side of zero."""
    rng = np.random.default_rng(seed)
    groups = [tuple(np.asarray(part, dtype=np.float64) for part in g) for g in (control, treatment)]
    pooled = []
    for clicks, impressions in groups:
        picks = rng.integers(0, len(clicks), size=(resamples, len(clicks)))
        pooled.append(clicks[picks].sum(axis=1) / impressions[picks].sum(axis=1))
    lifts = pooled[1] / pooled[0] - 1
    estimate = float(
        groups[1][0].sum() / groups[1][1].sum() / (groups[0][0].sum() / groups[0][1].sum()) - 1
    )
    tail = (1 - level) / 2
    low, high = np.quantile(lifts, [tail, 1 - tail])
    other_side = np.mean(lifts <= 0) if estimate > 0 else np.mean(lifts >= 0)
    return Lift(estimate, (float(low), float(high)), float(min(1.0, 2 * other_side)))


def srm_p_value(users: list[int], weights: list[float]) -> float:
    """Sample-ratio mismatch: the χ² goodness-of-fit p-value of the users per variant against
    the configured weights (a tiny value means assignment or logging is broken)."""
    observed = np.asarray(users, dtype=np.float64)
    if observed.sum() == 0:
        return 1.0  # no one assigned yet: nothing to check
    expected = observed.sum() * np.asarray(weights, dtype=np.float64) / sum(weights)
    return float(sps.chisquare(observed, f_exp=expected).pvalue)


def cuped(metric: npt.ArrayLike, covariate: npt.ArrayLike) -> Floats:
    """Each user's metric less what their pre-period covariate predicts:
    y − θ(x − x̄) with θ = Cov(y, x) / Var(x); the mean is kept, the variance drops by the
    squared correlation."""
    y = np.asarray(metric, dtype=np.float64)
    x = np.asarray(covariate, dtype=np.float64)
    variance = float(np.var(x, ddof=1))
    if variance == 0:
        return y.copy()
    theta = float(np.cov(y, x, ddof=1)[0, 1]) / variance
    adjusted: Floats = y - theta * (x - x.mean())
    return adjusted


def linearized(clicks: npt.ArrayLike, impressions: npt.ArrayLike, value: float) -> Floats:
    """The per-user linearisation of a ratio metric, (c − R·n) / n̄: its mean is 0 at R and its
    variance over N users is the delta method's, so CUPED and power apply to it per user."""
    c = np.asarray(clicks, dtype=np.float64)
    n = np.asarray(impressions, dtype=np.float64)
    out: Floats = (c - value * n) / n.mean()
    return out


class SequentialTest:
    """An always-valid p-value for repeated looks (mixture SPRT with a normal mixing prior of
    variance ``tau``²): at each look, with the estimate θ̂ and its variance V,
    Λ = √(V / (V + τ²)) · exp(θ̂² τ² / (2V(V + τ²))), and p = min over looks of 1 / Λ. Stopping
    at the first look with p < α keeps the false-positive rate at most α however often one
    looks."""

    def __init__(self, tau: float) -> None:
        if tau <= 0:
            raise ValueError("tau must be positive")
        self.tau2 = tau * tau
        self.p_value = 1.0

    def look(self, estimate: float, se: float) -> float:
        variance = se * se
        if variance <= 0:
            return self.p_value
        log_lr = 0.5 * math.log(variance / (variance + self.tau2)) + (
            estimate**2 * self.tau2 / (2 * variance * (variance + self.tau2))
        )
        self.p_value = min(self.p_value, math.exp(-log_lr) if log_lr > 0 else 1.0)
        return self.p_value


def users_per_variant(
    ctr: float, relative: float, per_user_sd: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Users each of two equal variants needs to detect a relative CTR change ``relative``
    at two-sided ``alpha`` with ``power``, where ``per_user_sd`` is the standard deviation of
    the per-user linearised metric (:func:`linearized`)."""
    effect = abs(ctr * relative) / per_user_sd
    users = NormalIndPower().solve_power(effect_size=effect, alpha=alpha, power=power, ratio=1.0)
    return math.ceil(float(users))


def sign_test(wins_first: int, wins_second: int) -> float:
    """Two-sided binomial p-value that two teams win equally often (ties left out)."""
    total = wins_first + wins_second
    if total == 0:
        return 1.0
    return float(sps.binomtest(wins_second, total, 0.5).pvalue)


def pocock_boundary(looks: int, alpha: float = 0.05) -> float:
    """The constant |z| boundary of a group-sequential test with ``looks`` equally spaced
    looks (Pocock, 1977): P(|Z_k| >= c at some look) = ``alpha`` under no effect, where the
    looks' statistics are correlated as sqrt(t_i / t_j). One look: the usual two-sided z."""
    if looks < 1:
        raise ValueError("at least one look")
    if looks == 1:
        return _z(1 - alpha)
    fractions = np.arange(1, looks + 1, dtype=np.float64) / looks
    correlation = np.sqrt(
        np.minimum.outer(fractions, fractions) / np.maximum.outer(fractions, fractions)
    )
    # seeded: the quasi-Monte Carlo integration then gives every process the same boundary
    law = sps.multivariate_normal(mean=np.zeros(looks), cov=correlation, seed=0)

    def excess(c: float) -> float:
        inside = float(law.cdf(np.full(looks, c), lower_limit=np.full(looks, -c)))
        return (1 - inside) - alpha

    return float(brentq(excess, _z(1 - alpha), 5.0, xtol=1e-4))


def confidence_sequence(
    estimate: float, se: float, tau: float, alpha: float = 0.05
) -> tuple[float, float]:
    """The always-valid interval that matches :class:`SequentialTest` at ``alpha``: the
    estimates whose mixture likelihood ratio stays below 1 / alpha."""
    variance, tau2 = se * se, tau * tau
    half = math.sqrt(
        2 * variance * (variance + tau2) / tau2
        * (math.log(1 / alpha) + 0.5 * math.log((variance + tau2) / variance))
    )  # fmt: skip
    return estimate - half, estimate + half


def power_at(
    ctr: float, relative: float, per_user_sd: float, users: int, alpha: float = 0.05
) -> float:
    """The power of two equal variants of ``users`` each against a relative CTR change (the
    inverse of :func:`users_per_variant`)."""
    effect = abs(ctr * relative) / per_user_sd
    return float(NormalIndPower().power(effect_size=effect, nobs1=users, alpha=alpha, ratio=1.0))
