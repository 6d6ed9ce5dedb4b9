"""The report against known cases: per-user CTR and its interval, the sample-ratio check,
CUPED, the stopping rules (Pocock's table, the confidence sequence), interleaving credit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pulserec.core.types import Event, EventType, Impression
from pulserec.experiments import report, stats
from pulserec.experiments.definition import Experiment, Variant

START = 1_000_000.0


def _experiment(mode: str = "ab", users: int | None = None, looks: int = 1) -> Experiment:
    return Experiment("e", (Variant("a"), Variant("b")), mode, "e", 1.0, 0.0, 1.0, START,
                      horizon_users=users, looks=looks)  # fmt: skip


def _served(
    ctr: dict[str, float], users: int, visits: int, seed: int = 0
) -> tuple[list[Impression], list[Event]]:
    """``users`` per variant, ``visits`` each; each impression clicked with the variant's CTR."""
    rng = np.random.default_rng(seed)
    shown, clicks = [], []
    at = START
    for arm, rate in ctr.items():
        for u in range(users):
            for v in range(visits):
                at += 1
                impression = Impression(
                    f"{arm}{u}-{v}", "e", arm, f"{arm}{u}", at, ("x", "y"), (), 3.0
                )
                shown.append(impression)
                if rng.random() < rate:
                    clicks.append(
                        Event(
                            f"{arm}{u}", "x", EventType.CLICK, at + 0.5, impression_id=impression.id
                        )
                    )
    return shown, clicks


def test_ctr_is_per_user_with_the_delta_method_interval() -> None:
    shown, clicks = _served({"a": 0.2, "b": 0.3}, users=300, visits=3)
    found = report.build(_experiment(), shown, clicks)
    a = found["variants"][0]
    assert a["users"] == 300 and a["impressions"] == 900
    assert a["ctr"] == pytest.approx(a["clicks"] / 900)
    per_user = [sum(1 for c in clicks if c.user_id == f"a{u}") for u in range(300)]
    expected = stats.ratio(per_user, [3] * 300)
    assert a["ctr_ci"] == pytest.approx(list(expected.ci()))
    assert found["lift"]["variant"] == "b" and found["lift"]["estimate"] > 0
    assert found["srm"] is False and found["guardrails"]["ok"] is True
    assert "always valid" in found["stopping"]["rule"]


def test_a_skewed_split_raises_the_sample_ratio_flag() -> None:
    shown, clicks = _served({"a": 0.2, "b": 0.2}, users=300, visits=1)
    shown = [i for i in shown if i.variant == "a" or int(i.user_id[1:]) < 200]
    found = report.build(_experiment(), shown, clicks)
    assert found["srm"] is True and found["srm_p_value"] < 1e-3


def test_cuped_uses_the_pre_period_and_narrows_the_interval() -> None:
    rng = np.random.default_rng(3)
    shown, clicks, before = [], [], []
    for arm in ("a", "b"):
        for u in range(400):
            user = f"{arm}{u}"
            appetite = rng.uniform(0.05, 0.9)  # the same person clicks alike before and during
            for n in range(int(rng.poisson(appetite * 10))):
                before.append(Event(user, "p", EventType.CLICK, START - 86_400 - n))
            for v in range(4):
                at = START + 10 * u + v
                impression = Impression(f"{user}-{v}", "e", arm, user, at, ("x",))
                shown.append(impression)
                if rng.random() < appetite:
                    clicks.append(
                        Event(user, "x", EventType.CLICK, at + 1, impression_id=impression.id)
                    )
    found = report.build(_experiment(users=400), shown, before + clicks)
    cuped, plain = found["cuped"], found["lift"]
    assert cuped["variance_reduction"] > 0.2
    assert cuped["ci"][1] - cuped["ci"][0] < plain["ci"][1] - plain["ci"][0]


def test_pocock_boundaries_match_the_published_table() -> None:
    assert stats.pocock_boundary(1) == pytest.approx(1.96, abs=1e-3)
    assert stats.pocock_boundary(2) == pytest.approx(2.178, abs=2e-3)
    assert stats.pocock_boundary(5) == pytest.approx(2.413, abs=2e-3)


def test_the_confidence_sequence_excludes_zero_exactly_when_the_sequential_test_rejects() -> None:
    for estimate, se in ((0.1, 0.03), (0.1, 0.05), (-0.2, 0.06), (0.01, 0.2)):
        low, high = stats.confidence_sequence(estimate, se, tau=0.2, alpha=0.05)
        p = stats.SequentialTest(0.2).look(estimate, se)
        assert (low > 0 or high < 0) == (p < 0.05)


def test_a_horizon_decides_at_its_planned_looks_only() -> None:
    shown, clicks = _served({"a": 0.2, "b": 0.4}, users=200, visits=1)
    found = report.build(_experiment(users=200, looks=5), shown, clicks)
    stopping = found["stopping"]
    assert stopping["boundary_z"] == pytest.approx(2.413, abs=2e-3)
    assert found["significant"] is True and stopping["complete"] is True
    early = [i for i in shown if int(i.user_id[1:]) < 30]  # before the first planned look
    found = report.build(_experiment(users=200, looks=5), early, clicks)
    assert found["stopping"]["looks_done"] == 0 and found["significant"] is False
    assert found["stopping"]["detectable_lift"] > 0


def test_interleaving_credits_teams_and_tests_users_by_the_sign() -> None:
    shown, clicks = [], []
    for u in range(30):
        impression = Impression(f"i{u}", "e", "interleaved", f"u{u}", START + u, ("x", "y"), (0, 1))
        shown.append(impression)
        item = "y" if u < 24 else "x"  # 24 people prefer team b's item, 6 team a's
        clicks.append(Event(f"u{u}", item, EventType.CLICK, START + u + 1, impression_id=f"i{u}"))
    found = report.build(_experiment("interleave"), shown, clicks)
    assert found["wins"] == {"a": 6, "b": 24, "ties": 0}
    assert found["lift"]["p_value"] == pytest.approx(stats.sign_test(6, 24))
    assert found["preferred"] == "b" and found["significant"] is True
    assert math.isclose(found["variants"][1]["ctr"], 24 / 30)


@pytest.mark.parametrize("seed", range(5))
def test_the_lift_over_time_equals_attribution_on_each_moments_data(seed: int) -> None:
    """One attribution with first-click times gives, at every moment of the history, what
    attributing only the data up to that moment gives (clicks with and without an
    impression id, late ones, ones stamped before their impression, interleaved users)."""
    from pulserec.experiments.attribution import SKEW_S, attribute, attribute_all
    from pulserec.experiments.stopping import estimates_over_time
    from pulserec.experiments.users import ImpressionTable, Users, log_lift, ratio

    rng = np.random.default_rng(seed)
    shown, clicks = [], []
    for n in range(300):
        user, arm = f"u{rng.integers(40)}", ("a", "b")[int(rng.integers(2))]
        at = START + float(rng.uniform(0, 5000))
        items = tuple(str(i) for i in rng.choice(6, 3, replace=False))
        impression = Impression(f"i{n}", "e", arm, user, at, items)
        shown.append(impression)
        for _ in range(int(rng.integers(0, 3))):
            named = impression.id if rng.random() < 0.5 else None
            when = at + float(rng.uniform(-SKEW_S, 3000))
            clicks.append(Event(user, str(rng.integers(6)), EventType.CLICK, when,
                                impression_id=named))  # fmt: skip
    experiment = _experiment()
    table = ImpressionTable(experiment, shown, attribute_all(shown, clicks).first)
    for at, found in estimates_over_time(experiment, shown, table):
        prefix = [i for i in shown if i.timestamp <= at]
        seen = [e for e in clicks if e.timestamp <= at]
        clicked = attribute(prefix, seen)
        counts: dict[str, dict[str, list[int]]] = {"a": {}, "b": {}}  # by hand, per user
        for impression in prefix:
            cell = counts[impression.variant].setdefault(impression.user_id, [0, 0])
            cell[0] += 1
            cell[1] += impression.id in clicked
        groups = {
            arm: Users(list(c), *np.array(list(c.values()), float).reshape(-1, 2).T, len(c))
            for arm, c in counts.items()
        }
        control, treatment = (ratio(groups[v]) for v in ("a", "b"))
        expected = (
            log_lift(control, treatment) if control is not None and treatment is not None else None
        )
        assert found == pytest.approx(expected)
