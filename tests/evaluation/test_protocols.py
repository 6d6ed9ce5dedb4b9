"""Split properties: no leakage, the right events in each part, determinism, masking."""

from __future__ import annotations

import numpy as np
import pytest

from pulserec.core.interactions import Interactions
from pulserec.evaluation.data import EvalData
from pulserec.evaluation.protocols import (
    PROTOCOLS,
    Split,
    make_split,
    recbole_ratio_counts,
    split_loo,
    split_random,
    split_recent,
)


def _pairs(part: Interactions) -> set[tuple[int, int]]:
    return set(zip(part.user_idx.tolist(), part.item_idx.tolist(), strict=True))


def _fingerprint(split: Split) -> tuple[tuple[int, ...], ...]:
    return tuple(
        tuple(sorted(a * 10_000 + b for a, b in _pairs(p)))
        for p in (split.train, split.valid, split.test)
    )


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_parts_partition_the_events_without_leakage(data: EvalData, protocol: str) -> None:
    split = make_split(protocol, data.interactions, seed=3)
    parts = [split.train, split.valid, split.test]
    assert sum(len(p) for p in parts) == len(data.interactions)
    assert all(
        p.users is data.interactions.users and p.items is data.interactions.items for p in parts
    )
    train, valid, test = (_pairs(p) for p in parts)
    assert not train & test and not train & valid and not valid & test
    assert split.info["test"] == len(split.test)


def test_random_cuts_each_user_like_recbole(data: EvalData) -> None:
    split = split_random(data.interactions, seed=1)
    n = np.bincount(data.interactions.user_idx, minlength=data.interactions.n_users)
    expected = recbole_ratio_counts(n, (0.8, 0.1, 0.1))
    for part, want in zip((split.train, split.valid, split.test), expected, strict=True):
        got = np.bincount(part.user_idx, minlength=data.interactions.n_users)
        assert got.tolist() == want.tolist()


@pytest.mark.parametrize("protocol", ["random", "cold-items", "ratings"])
def test_seeded_splits_are_deterministic_and_differ_across_seeds(
    data: EvalData, protocol: str
) -> None:
    a = _fingerprint(make_split(protocol, data.interactions, seed=0))
    b = _fingerprint(make_split(protocol, data.interactions, seed=0))
    c = _fingerprint(make_split(protocol, data.interactions, seed=1))
    assert a == b
    assert a != c


def test_temporal_parts_follow_time(data: EvalData) -> None:
    split = make_split("temporal", data.interactions, seed=0)
    assert split.train.timestamp.max() <= split.valid.timestamp.min()
    assert split.valid.timestamp.max() <= split.test.timestamp.min()
    n = len(data.interactions)
    assert len(split.test) == n // 10 and len(split.valid) == n // 10
    share = split.info["cold_test_user_share"]
    test_users = np.unique(split.test.user_idx)
    assert share == pytest.approx(np.mean(~np.isin(test_users, split.train.user_idx)))


def test_loo_holds_out_each_users_latest_event_with_file_order_breaking_ties(
    data: EvalData,
) -> None:
    inter = data.interactions
    split = split_loo(inter, seed=0)
    for user in range(inter.n_users):
        rows = np.flatnonzero(inter.user_idx == user)
        stamps = inter.timestamp[rows]
        by_time = rows[np.argsort(stamps, kind="stable")]  # ties keep file order
        test = split.test.item_idx[split.test.user_idx == user]
        valid = split.valid.item_idx[split.valid.user_idx == user]
        assert test.tolist() == [inter.item_idx[by_time[-1]]]
        assert valid.tolist() == [inter.item_idx[by_time[-2]]]
        train = split.train.timestamp[split.train.user_idx == user]
        assert train.max() <= inter.timestamp[by_time[-2]] <= inter.timestamp[by_time[-1]]


def test_recent_holds_out_each_users_latest_fifth_after_the_history(data: EvalData) -> None:
    """What a server faces: per user with at least 5 events, the most recent 20% (at least
    one) is test, and every held-out event is later than (or, tied, after in file order)
    every event of the history the model learns."""
    inter = data.interactions
    split = split_recent(inter, seed=0)
    n = np.bincount(inter.user_idx, minlength=inter.n_users)
    test_n = np.bincount(split.test.user_idx, minlength=inter.n_users)
    expected = np.where(n >= 5, np.maximum(1, np.floor(0.2 * n)), 0)
    assert test_n.tolist() == expected.astype(int).tolist()
    history = split.fit_data()
    assert len(history) + len(split.test) == len(inter)
    for user in np.flatnonzero(test_n)[:200].tolist():
        kept = history.timestamp[history.user_idx == user]
        held = split.test.timestamp[split.test.user_idx == user]
        assert kept.max() <= held.min()
    valid_n = np.bincount(split.valid.user_idx, minlength=inter.n_users)
    assert (valid_n <= n - test_n).all() and valid_n.sum() > 0
    assert split.refit_on_valid  # the final model sees the whole history


def test_recent_ties_keep_the_file_order() -> None:
    from pulserec.core.types import Event, EventType, Item
    from pulserec.evaluation.data import from_records

    events = [Event("u", f"i{n}", EventType.RATING, 5.0, 3.0) for n in range(10)]
    tied = from_records("t", [Item("i0")], events)
    split = split_recent(tied.interactions, seed=0)
    assert tied.interactions.items.ids_of(split.test.item_idx) == ["i8", "i9"]


def test_loo_tie_break_is_the_file_order() -> None:
    from pulserec.core.types import Event, EventType, Item
    from pulserec.evaluation.data import from_records

    events = [Event("u", f"i{n}", EventType.RATING, 5.0, 3.0) for n in range(4)]
    events.insert(0, Event("u", "late", EventType.RATING, 1.0, 3.0))  # earlier in time
    tied = from_records("t", [Item("i0")], events)
    split = split_loo(tied.interactions, seed=0)
    assert tied.interactions.items.ids_of(split.test.item_idx) == ["i3"]
    assert tied.interactions.items.ids_of(split.valid.item_idx) == ["i2"]


def test_cold_items_never_reach_training(data: EvalData) -> None:
    split = make_split("cold-items", data.interactions, seed=5)
    cold = split.candidates
    assert cold is not None and cold.sum() == round(0.2 * data.interactions.n_items)
    assert not cold[split.train.item_idx].any()
    assert cold[split.test.item_idx].all()
    assert len(split.valid) == 0
    everything_cold = cold[data.interactions.item_idx]
    assert len(split.test) == int(everything_cold.sum())


def test_ratings_split_and_refit_data(data: EvalData) -> None:
    split = make_split("ratings", data.interactions, seed=0)
    n = len(data.interactions)
    assert len(split.test) == int(0.2 * n) and len(split.valid) == int(0.1 * n)
    assert split.refit_on_valid and len(split.fit_data()) == len(split.train) + len(split.valid)
    assert not make_split("random", data.interactions, 0).refit_on_valid


def test_masks_and_targets(data: EvalData) -> None:
    split = make_split("random", data.interactions, seed=2)
    train, valid = split.train.matrix(), split.valid.matrix()
    assert (split.seen("valid") != train).nnz == 0
    both = split.seen("test")
    assert (both.multiply(train) != train).nnz == 0 and (both.multiply(valid) != valid).nnz == 0
    assert split.targets("test").multiply(both).nnz == 0
    assert split.targets("test").nnz == len(split.test)


def test_unknown_protocol_is_rejected(data: EvalData) -> None:
    with pytest.raises(ValueError, match="unknown protocol"):
        make_split("bogus", data.interactions, seed=0)


def test_random_split_leaves_torch_global_rng_alone(data: EvalData) -> None:
    import torch

    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    split_random(data.interactions, seed=5)
    assert torch.equal(torch.rand(3), expected)
