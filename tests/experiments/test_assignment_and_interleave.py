"""Assignment is stable, balanced by weight and independent across salts; team-draft
interleaving takes turns, keeps each ranker's order and credits the team users click."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest
from scipy import stats as sps

from pulserec.experiments.assignment import bucket, variant_index
from pulserec.experiments.interleave import A, B, credit, team_draft
from pulserec.experiments.stats import sign_test

USERS = [f"user-{n}" for n in range(100_000)]


def test_a_user_stays_in_one_variant_and_others_are_unaffected() -> None:
    first = [variant_index("exp-1", u, [1, 1]) for u in USERS[:1000]]
    assert first == [variant_index("exp-1", u, [1, 1]) for u in USERS[:1000]]
    assert 0.0 <= bucket("exp-1", "x") < 1.0
    with pytest.raises(ValueError):
        variant_index("exp-1", "x", [1, 0])


def test_variants_get_users_in_proportion_to_their_weights() -> None:
    counts = Counter(variant_index("s", u, [1, 3]) for u in USERS)
    share = counts[0] / len(USERS)
    assert abs(share - 0.25) < 0.005
    even = Counter(variant_index("s", u, [1, 1, 1]) for u in USERS)
    assert sps.chisquare([even[0], even[1], even[2]]).pvalue > 0.001


def test_two_salts_split_users_independently() -> None:
    table = np.zeros((2, 2))
    for user in USERS[:50_000]:
        table[variant_index("a", user, [1, 1]), variant_index("b", user, [1, 1])] += 1
    assert sps.chi2_contingency(table).pvalue > 0.001


def test_team_draft_takes_turns_and_keeps_each_rankers_order() -> None:
    first = [f"i{n}" for n in range(20)]
    second = [f"i{n}" for n in (3, 1, 7, 0, 9, 11, 2, 15, 4, 5)]
    for seed in range(50):
        shown = team_draft(first, second, 10, random.Random(seed))
        items = [item for item, _ in shown]
        assert len(items) == 10 == len(set(items))
        teams = Counter(team for _, team in shown)
        assert abs(teams[A] - teams[B]) <= 1
        for team, ranked in ((A, first), (B, second)):
            picked = [item for item, t in shown if t == team]
            assert picked == sorted(picked, key=ranked.index)
    assert len(team_draft(["a"], ["a"], 10, random.Random(0))) == 1  # both exhausted


def test_clicks_credit_the_team_that_showed_the_item() -> None:
    shown = [("a", A), ("b", B), ("c", A)]
    assert credit(shown, ["a", "c"]) == A
    assert credit(shown, ["b"]) == B
    assert credit(shown, ["a", "b"]) is None
    assert credit(shown, ["elsewhere"]) is None


def test_interleaving_finds_the_ranker_users_prefer() -> None:
    rng = random.Random(0)
    catalog = [f"i{n}" for n in range(50)]
    wins = Counter()
    for _ in range(300):
        liked = set(rng.sample(catalog[:10], 3))  # B ranks what users like first
        good = [i for i in catalog[:10] if i in liked] + [i for i in catalog if i not in liked]
        plain = catalog[:]
        rng.shuffle(plain)
        shown = team_draft(plain, good, 10, rng)
        clicked = [item for item, _ in shown if item in liked and rng.random() < 0.7]
        wins[credit(shown, clicked)] += 1
    assert wins[B] > 3 * wins[A]
    assert sign_test(wins[A], wins[B]) < 1e-6
