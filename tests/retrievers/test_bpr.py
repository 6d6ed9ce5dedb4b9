"""BPR: negative sampling, thread hygiene, fold-in determinism."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.types import Event, EventType
from pulserec.models.cf.bpr import BPR, sample_negatives


def two_groups() -> Interactions:
    events = [
        Event(f"u{u}", f"i{i}", EventType.CLICK, float(i))
        for u in range(20)
        for i in (range(0, 5) if u < 10 else range(5, 10))
    ]
    return Interactions.from_events(events, IdMap(), IdMap(f"i{j}" for j in range(10)))


def test_negatives_avoid_the_users_positives() -> None:
    rng = np.random.default_rng(0)
    n_items = 50
    positives = {u: rng.choice(n_items, 5, replace=False) for u in range(30)}
    keys = np.sort(np.concatenate([u * n_items + p for u, p in positives.items()])).astype(np.int64)
    users = np.repeat(np.arange(30, dtype=np.int64), 200)
    negatives = sample_negatives(rng, users, keys, n_items)
    assert not np.isin(users * n_items + negatives, keys).any()
    assert negatives.min() >= 0 and negatives.max() < n_items


def test_fit_runs_single_threaded_and_restores_the_thread_count() -> None:
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        BPR(factors=4, epochs=2).fit(two_groups())
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_fold_in_is_deterministic_and_prefers_the_users_group() -> None:
    model = BPR(factors=8, epochs=50, lr=0.05, reg=0.05).fit(two_groups())
    history = np.array([0, 1], dtype=np.int32)
    first, second = model.fold_in(history), model.fold_in(history)
    np.testing.assert_array_equal(first, second)
    scores = first @ model.item_factors_.T + model.item_bias_
    assert scores[2:5].min() > scores[5:].max()


@pytest.mark.parametrize(
    "params", [{"factors": 0}, {"lr": 0.0}, {"reg": -1.0}, {"epochs": -1}, {"batch_size": 0}]
)
def test_invalid_hyper_parameters_are_refused(params: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        BPR(**params)  # type: ignore[arg-type]
