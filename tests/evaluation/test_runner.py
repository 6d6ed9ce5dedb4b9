"""The runner end to end on synthetic data with tiny models defined in conftest."""

from __future__ import annotations

from dataclasses import replace
from typing import Self

import numpy as np
import pytest

from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.evaluation.data import EvalData
from pulserec.evaluation.models import available_models, choose_models, param_grid
from pulserec.evaluation.protocols import make_split
from pulserec.evaluation.runner import evaluate, make_stage, rank
from pulserec.models import registry
from pulserec.models.base import Candidates, Float32s, Int32s, Query, candidates_from_scores
from pulserec.models.registry import ModelSpec

from .conftest import TinyPop


class SeenLover:
    """Scores every item the user has ever touched (any part) highest: masking must win."""

    name = "seenlover"

    def __init__(self, everything: Interactions) -> None:
        self.everything = everything

    def fit(self, data: Interactions) -> Self:
        self.matrix_ = self.everything.matrix().toarray().astype(np.float32)
        return self

    def update(self, data: Interactions) -> None:
        return None

    def score(self, users: Int32s) -> Float32s:
        return np.asarray(self.matrix_[users] * 100.0, dtype=np.float32)

    def retrieve(self, query: Query, k: int) -> Candidates:
        return candidates_from_scores(self.matrix_[query.user], query, k, self.name)


def test_masking_keeps_seen_items_out_of_every_top_k(data: EvalData) -> None:
    split = make_split("random", data.interactions, seed=0)
    model = SeenLover(data.interactions).fit(split.train)
    for stage in ("valid", "test"):
        st = make_stage(split, stage)
        top = rank(model, st, 10, batch=7)
        seen = split.seen(stage)
        for row, user in enumerate(st.users):
            assert not set(top[row].tolist()) & set(seen[user].indices.tolist())
    # and the hits came from the held-out part: all test items rank first once unmasked
    st = make_stage(split, "test")
    top = rank(model, st, 10)
    first = {int(u): set(top[r, :3].tolist()) for r, u in enumerate(st.users)}
    assert all(first[u] & set(st.targets[r].indices.tolist()) for r, u in enumerate(st.users))


def test_cold_items_ranking_stays_among_candidates(data: EvalData) -> None:
    split = make_split("cold-items", data.interactions, seed=0)
    model = TinyPop(bias=1.0).fit(split.train)
    top = rank(model, make_stage(split, "test"), 20)
    assert split.candidates is not None
    assert split.candidates[top[top >= 0]].all()


def test_non_finite_scores_leave_empty_slots(data: EvalData) -> None:
    split = make_split("random", data.interactions, seed=0)

    class ThreeItems(TinyPop):
        def score(self, users: Int32s) -> Float32s:
            scores = np.full((users.shape[0], self.scores_.shape[0]), -np.inf, np.float32)
            scores[:, :3] = 1.0
            return scores

    top = rank(ThreeItems().fit(split.train), make_stage(split, "test"), 10)
    assert (top[:, 3:] == -1).all()
    assert ((top[:, :3] >= -1) & (top[:, :3] < 3)).all()


def test_evaluate_end_to_end(data: EvalData, tiny_models: None) -> None:
    result = evaluate(data, "random", ["tinypop", "random", "tfidf"], k=5, seed=0, progress=False)
    assert list(result.models) == ["tinypop", "random", "tfidf"]
    pop = result.models["tinypop"]
    assert pop.params in ({"bias": 0.0}, {"bias": 0.5}) and pop.default_params == {"bias": 0.0}
    assert len(pop.tuning["trials"]) == 2 and pop.tuning["metric"] == "ndcg@5 (valid)"
    for name in ("precision", "recall", "f1", "ndcg", "map", "mrr", "hit"):
        for k in (5, 10, 20, 50):
            assert 0.0 <= pop.metrics[f"{name}@{k}"] <= 1.0
    assert {"coverage", "novelty", "diversity", "gini"} <= set(pop.default_metrics)
    assert pop.exposure is not None and pop.popularity["mean_recommended"] > 0
    assert result.split_info["test_users"] == data.interactions.n_users
    assert any("one-hot genre" in note for note in result.notes)
    again = evaluate(data, "random", ["tinypop"], k=5, seed=0, progress=False)
    assert again.models["tinypop"].metrics == pop.metrics


def test_evaluate_cold_items_and_loo(data: EvalData, tiny_models: None) -> None:
    cold = evaluate(data, "cold-items", ["random", "tfidf", "tinypop"], 10, 0, progress=False)
    assert cold.models["tfidf"].tuning["metric"] is None
    assert cold.models["tinypop"].params == {"bias": 0.0}
    assert 0.0 <= cold.models["tfidf"].metrics["recall@20"] <= 1.0
    loo = evaluate(data, "loo", ["tinypop"], 10, 0, progress=False)
    assert loo.models["tinypop"].metrics["hit@10"] == pytest.approx(
        loo.models["tinypop"].metrics["recall@10"]
    )


def test_evaluate_ratings(data: EvalData, tiny_models: None) -> None:
    result = evaluate(data, "ratings", None, k=10, seed=0, progress=False)
    assert "tinymean" in result.models and "tinypop" not in result.models
    figures = result.models["tinymean"].metrics
    assert set(figures) == {"mae", "rmse"} and 0 < figures["mae"] <= figures["rmse"] < 4
    assert result.models["tinymean"].tuning["metric"] == "-rmse (valid)"


def test_choose_models_and_grid(tiny_models: None) -> None:
    specs = {"a": ModelSpec(TinyPop), "r": ModelSpec(TinyPop, rating=True)}
    assert choose_models(None, "random", specs) == ["a", "r"]
    assert choose_models(None, "ratings", specs) == ["r"]
    with pytest.raises(ValueError, match="unknown model"):
        choose_models(["zzz"], "random", specs)
    with pytest.raises(ValueError, match="do not predict ratings"):
        choose_models(["a"], "ratings", specs)
    big = ModelSpec(TinyPop, defaults={"bias": 9.0}, search_space={"bias": list(range(30))})
    grid = param_grid(big, seed=0, max_points=5)
    assert grid[0] == {"bias": 9.0} and len(grid) == 5
    assert grid == param_grid(big, seed=0, max_points=5)
    seeded = ModelSpec(lambda seed=0: TinyPop(), defaults={})
    assert param_grid(seeded, seed=4) == [{"seed": 4}]


def test_evaluate_temporal_reports_cold_users(data: EvalData, tiny_models: None) -> None:
    result = evaluate(data, "temporal", ["tinypop"], k=10, seed=0, progress=False)
    assert 0.0 <= result.split_info["cold_test_user_share"] <= 1.0
    assert any(note.startswith("temporal:") for note in result.notes)


class TinyText(TinyPop):
    """A text model: must be built with the data's item vectors."""

    def __init__(self, vectors: ItemVectors, bias: float = 0.0, mode: str = "plain") -> None:
        super().__init__(bias, "tinytext")
        self.vectors = vectors
        self.mode = mode


def _with_text(data: EvalData) -> EvalData:
    n = data.interactions.n_items
    ids = data.interactions.items.ids_of(np.arange(n))
    vectors = np.random.default_rng(0).normal(size=(n, 8)).astype(np.float32)
    return replace(data, text_vectors=ItemVectors(ids, vectors), encoder="test-vectors")


def test_text_models_get_vectors_and_protocol_params(
    data: EvalData, tiny_models: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = ModelSpec(
        TinyText,
        {"bias": 0.0},
        {"bias": [0.0, 1.0]},
        needs_vectors=True,
        protocol_params={"loo": {"mode": "last"}},
    )
    monkeypatch.setitem(registry.MODELS, "tinytext", spec)
    text = _with_text(data)
    result = evaluate(text, "loo", ["tinytext"], k=10, seed=0, progress=False)
    assert result.models["tinytext"].default_params == {"bias": 0.0, "mode": "last"}
    assert any("item text embeddings (test-vectors)" in note for note in result.notes)
    other = evaluate(text, "random", ["tinytext"], k=10, seed=0, progress=False)
    assert other.models["tinytext"].default_params == {"bias": 0.0}
    assert "tinytext" in available_models(text, 0, "random")
    assert "tinytext" not in available_models(data, 0, "random")
    with pytest.raises(ValueError, match="need item text embeddings"):
        evaluate(data, "random", ["tinytext"], k=10, seed=0, progress=False)
