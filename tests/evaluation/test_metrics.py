"""Metrics against hand-computed cases: several users, partial hits, an empty test set."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
import scipy.sparse as sp

from pulserec.core import metrics as m
from pulserec.evaluation import baselines, protocols

# u0 hits at ranks 2 and 4 of 3 relevant; u1 at rank 1 of 1; u2 has no test items (skipped);
# u3 misses its one item.
TOPK = np.array([[5, 1, 7, 2], [0, 3, 4, 6], [8, 9, -1, -1], [2, 4, 6, 8]])
TEST = [np.array([1, 2, 9]), np.array([0]), np.array([], dtype=int), np.array([1])]
L3, L5 = math.log2(3), math.log2(5)


@pytest.mark.parametrize("module", [m, protocols, baselines])
def test_doctests(module: object) -> None:
    failures, _ = doctest.testmod(module, raise_on_error=False)  # type: ignore[arg-type]
    assert failures == 0


def test_hand_computed_at_4() -> None:
    expected = {
        "precision": (2 / 4 + 1 / 4 + 0) / 3,
        "recall": (2 / 3 + 1 + 0) / 3,
        "hit": 2 / 3,
        "mrr": (1 / 2 + 1 + 0) / 3,
        "ndcg": ((1 / L3 + 1 / L5) / (1 + 1 / L3 + 1 / 2) + 1 + 0) / 3,
        "map": ((1 / 2 + 2 / 4) / 3 + 1 + 0) / 3,
        "f1": (2 * 0.5 * (2 / 3) / (0.5 + 2 / 3) + 2 * 0.25 / 1.25 + 0) / 3,
    }
    functions = {
        "precision": m.precision,
        "recall": m.recall,
        "hit": m.hit,
        "mrr": m.mrr,
        "ndcg": m.ndcg,
        "map": m.mean_average_precision,
        "f1": m.f1,
    }
    for name, value in expected.items():
        assert functions[name](TOPK, TEST, 4) == pytest.approx(value), name
    batch = m.ranking_metrics(TOPK, TEST, [4])
    assert batch == pytest.approx({f"{name}@4": value for name, value in expected.items()})


def test_hand_computed_at_2_and_csr_input_agree() -> None:
    csr = m.as_csr(TEST, n_items=10)
    assert isinstance(csr, sp.csr_matrix)
    at2 = m.ranking_metrics(TOPK, csr, [2])
    assert at2["precision@2"] == pytest.approx((1 / 2 + 1 / 2 + 0) / 3)
    assert at2["recall@2"] == pytest.approx((1 / 3 + 1 + 0) / 3)
    assert at2["ndcg@2"] == pytest.approx(((1 / L3) / (1 + 1 / L3) + 1 + 0) / 3)
    assert at2["mrr@2"] == pytest.approx((1 / 2 + 1) / 3)
    assert at2 == pytest.approx(m.ranking_metrics(TOPK, TEST, [2]))


def test_ideal_dcg_is_capped_at_k_and_map_divides_by_min_test_k() -> None:
    topk = np.array([[1, 2]])
    test = [np.arange(1, 9)]  # 8 relevant, k = 2: both hits is perfect
    assert m.ndcg(topk, test, 2) == pytest.approx(1.0)
    assert m.mean_average_precision(topk, test, 2) == pytest.approx(1.0)
    assert m.recall(topk, test, 2) == pytest.approx(2 / 8)


def test_empty_test_sets_are_skipped_and_bad_k_rejected() -> None:
    only_empty = [np.array([], dtype=int)]
    assert m.recall(np.array([[1, 2]]), only_empty, 2) == 0.0
    assert m.ranking_metrics(np.array([[1, 2]]), only_empty, [1])["ndcg@1"] == 0.0
    with pytest.raises(ValueError, match="k=3"):
        m.recall(np.array([[1, 2]]), [np.array([1])], 3)
    with pytest.raises(ValueError, match="test sets"):
        m.hit_matrix(np.array([[1, 2]]), [np.array([1]), np.array([2])])


def test_rating_errors() -> None:
    assert m.mae([1, 2, 3], [2, 2, 5]) == pytest.approx(1.0)
    assert m.rmse([1, 2, 3], [2, 2, 5]) == pytest.approx(math.sqrt(5 / 3))


def test_beyond_accuracy() -> None:
    topk = np.array([[0, 1, -1], [0, 2, 1]])
    counts = m.exposure(topk, 5)
    assert counts.tolist() == [2, 2, 1, 0, 0]
    assert m.coverage(topk, 5) == pytest.approx(3 / 5)
    # Gini over sorted [0, 0, 1, 2, 2]: sum((2i - n - 1) x_i) / (n * total), i = 1..5
    assert m.gini(counts) == pytest.approx((0 * 1 + 2 * 2 + 4 * 2) / (5 * 5))
    share = m.popularity_share(np.array([10, 5, 0]), 10)
    assert share.tolist() == [1.0, 0.5, 0.1]
    assert m.novelty(topk, share) == pytest.approx((0 + 1 + 0 + math.log2(10) + 1) / 5)


def test_intra_list_diversity_ignores_items_without_vectors() -> None:
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
    # list 1: pairs (0,1) cos 0, (0,2) and (1,2) cos 1/sqrt2 -> 1 - mean; item 3 has no vector
    first = 1 - (0 + 2 / math.sqrt(2)) / 3
    # list 2: only item 0 and item 3: no pair left -> skipped
    value = m.intra_list_diversity(np.array([[0, 1, 2, 3], [0, 3, -1, -1]]), vectors)
    assert value == pytest.approx(first)
    identical = m.intra_list_diversity(np.array([[0, 0]]), vectors)
    assert identical == pytest.approx(0.0)


def test_the_hybrids_validation_ndcg_is_the_evaluations() -> None:
    """One NDCG: ranking.holdout.ndcg_at over score rows equals metrics.ndcg over their top k."""
    from pulserec.models.hybrid.holdout import ndcg_at

    rng = np.random.default_rng(3)
    scores = rng.random((50, 30))
    labels = (rng.random((50, 30)) < 0.1).astype(np.int32)
    top = np.argsort(-scores, axis=1, kind="stable")[:, :10]
    expected = m.ndcg(top, sp.csr_matrix(labels), 10)
    assert ndcg_at(scores, labels, 10) == pytest.approx(expected, abs=1e-12)
