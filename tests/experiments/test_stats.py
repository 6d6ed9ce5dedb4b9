"""The report's statistics against known cases: closed forms, scipy and statsmodels, and
simulations whose truth is known (seeded, so every run is the same)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from pulserec.experiments.stats import (
    SequentialTest,
    bootstrap_lift,
    cuped,
    linearized,
    ratio,
    relative_lift,
    sign_test,
    srm_p_value,
    users_per_variant,
)


def _users(rng: np.random.Generator, n: int, ctr: float) -> tuple[np.ndarray, np.ndarray]:
    """Users with 1-20 impressions each and a personal CTR around ``ctr`` (clustered clicks)."""
    impressions = rng.integers(1, 21, size=n)
    personal = rng.beta(2, 2 * (1 - ctr) / ctr, size=n)
    return rng.binomial(impressions, personal), impressions


def test_one_impression_each_reduces_to_the_binomial_standard_error() -> None:
    clicks = np.array([1, 0, 0, 1, 1, 0, 0, 0, 1, 0] * 30)
    estimate = ratio(clicks, np.ones_like(clicks))
    p = clicks.mean()
    assert estimate.value == pytest.approx(p)
    assert estimate.se == pytest.approx(math.sqrt(p * (1 - p) * 300 / 299 / 300))


def test_the_delta_method_agrees_with_a_user_level_bootstrap() -> None:
    rng = np.random.default_rng(7)
    clicks, impressions = _users(rng, 3000, 0.1)
    estimate = ratio(clicks, impressions)
    picks = rng.integers(0, 3000, size=(2000, 3000))
    resampled = clicks[picks].sum(axis=1) / impressions[picks].sum(axis=1)
    assert estimate.se == pytest.approx(resampled.std(ddof=1), rel=0.08)
    low, high = estimate.ci()
    assert low < clicks.sum() / impressions.sum() < high


def test_impressions_as_the_unit_would_understate_the_error() -> None:
    rng = np.random.default_rng(3)
    clicks, impressions = _users(rng, 2000, 0.1)
    p = clicks.sum() / impressions.sum()
    per_impression = math.sqrt(p * (1 - p) / impressions.sum())
    assert ratio(clicks, impressions).se > 1.2 * per_impression  # clustered clicks


def test_aa_tests_reject_at_the_nominal_rate_and_a_real_lift_is_found() -> None:
    rng = np.random.default_rng(11)
    p_values = []
    for _ in range(400):
        a, b = _users(rng, 400, 0.1), _users(rng, 400, 0.1)
        p_values.append(relative_lift(ratio(*a), ratio(*b)).p_value)
    assert 0.03 <= np.mean(np.array(p_values) < 0.05) <= 0.07
    control, treatment = _users(rng, 5000, 0.10), _users(rng, 5000, 0.12)
    lift = relative_lift(ratio(*control), ratio(*treatment))
    assert lift.p_value < 1e-6 and lift.ci[0] < 0.2 < lift.ci[1] + 0.05 and lift.estimate > 0.1


def test_the_bootstrap_interval_matches_the_delta_method_interval() -> None:
    rng = np.random.default_rng(5)
    control, treatment = _users(rng, 2000, 0.10), _users(rng, 2000, 0.11)
    delta = relative_lift(ratio(*control), ratio(*treatment))
    boot = bootstrap_lift(control, treatment, resamples=3000, seed=1)
    assert boot.estimate == pytest.approx(delta.estimate)
    assert boot.ci[0] == pytest.approx(delta.ci[0], abs=0.015)
    assert boot.ci[1] == pytest.approx(delta.ci[1], abs=0.015)
    assert boot.p_value == pytest.approx(delta.p_value, abs=0.03)


def test_sample_ratio_mismatch_is_the_chi_square_goodness_of_fit() -> None:
    # 50,000 against 50,500 at 50/50: χ² = 2 · 250² / 50,250 with one degree of freedom
    chi2 = 2 * 250**2 / 50_250
    assert srm_p_value([50_000, 50_500], [1, 1]) == pytest.approx(math.erfc(math.sqrt(chi2 / 2)))
    assert srm_p_value([1000, 3000], [1, 3]) == pytest.approx(1.0)
    assert srm_p_value([1000, 1300], [1, 1]) < 1e-9


def test_cuped_keeps_the_mean_and_removes_the_predictable_variance() -> None:
    rng = np.random.default_rng(2)
    before = rng.normal(10, 3, size=5000)
    after = 0.8 * before + rng.normal(0, 1.5, size=5000)
    adjusted = cuped(after, before)
    rho = np.corrcoef(after, before)[0, 1]
    assert adjusted.mean() == pytest.approx(after.mean())
    assert adjusted.var() == pytest.approx(after.var() * (1 - rho**2), rel=1e-6)


def test_the_linearised_metric_carries_the_delta_method_variance() -> None:
    rng = np.random.default_rng(4)
    clicks, impressions = _users(rng, 3000, 0.1)
    estimate = ratio(clicks, impressions)
    values = linearized(clicks, impressions, estimate.value)
    assert values.mean() == pytest.approx(0.0, abs=1e-12)
    assert math.sqrt(values.var(ddof=1) / len(values)) == pytest.approx(estimate.se, rel=1e-9)


def test_repeated_looks_inflate_a_fixed_test_but_not_the_sequential_one() -> None:
    rng = np.random.default_rng(13)
    naive = sequential = 0
    runs = 300
    for _ in range(runs):
        a, b = _users(rng, 1000, 0.1), _users(rng, 1000, 0.1)
        test, naive_hit = SequentialTest(tau=0.1), False
        for look in range(100, 1001, 100):  # ten looks as users arrive
            lift = relative_lift(ratio(a[0][:look], a[1][:look]), ratio(b[0][:look], b[1][:look]))
            se = (math.log1p(lift.ci[1]) - math.log1p(lift.ci[0])) / (2 * 1.959964)
            naive_hit |= lift.p_value < 0.05
            test.look(math.log1p(lift.estimate), se)
        naive += naive_hit
        sequential += test.p_value < 0.05
    assert naive / runs > 0.12  # peeking at a fixed-horizon test
    assert sequential / runs <= 0.05 + 0.02


def test_power_matches_the_textbook_sample_size() -> None:
    # n = 2 (z_{1-α/2} + z_{1-β})² σ² / δ²
    ctr, relative, sd = 0.10, 0.05, 0.25
    z = sps.norm.ppf(0.975) + sps.norm.ppf(0.8)
    expected = 2 * z**2 * sd**2 / (ctr * relative) ** 2
    assert abs(users_per_variant(ctr, relative, sd) - expected) <= 2


def test_the_sign_test_is_the_two_sided_binomial() -> None:
    assert sign_test(5, 15) == pytest.approx(0.041389, abs=1e-6)
    assert sign_test(10, 10) == pytest.approx(1.0)
    assert sign_test(0, 0) == 1.0


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        ratio([1, 2], [1, 0])
    with pytest.raises(ValueError):
        ratio([1], [1])
    with pytest.raises(ValueError):
        SequentialTest(tau=0)
