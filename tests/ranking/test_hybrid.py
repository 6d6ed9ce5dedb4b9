"""The hybrid ranker: learns from held-out labels, never loses to its best source, degrades
gracefully when a source is missing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.core.topk import top_k
from pulserec.core.types import Event, EventType
from pulserec.models import registry
from pulserec.models.base import Query
from pulserec.models.hybrid.holdout import holdout_split, ndcg_at
from pulserec.models.hybrid.learned import HybridRanker
from pulserec.models.text.content import ContentRetriever
from tests.ranking.fakes import CountPopularity, two_group_events


def _data() -> Interactions:
    return Interactions.from_events(two_group_events(n_users=60, n_items=40, per_user=12))


def _vectors(data: Interactions) -> ItemVectors:
    ids = [data.items.id_of(i) for i in range(data.n_items)]
    group = np.array([int(i[1:]) % 2 for i in ids])
    vectors = np.zeros((len(ids), 4), dtype=np.float32)
    vectors[np.arange(len(ids)), group] = 1.0
    vectors[:, 2] = np.linspace(0, 0.1, len(ids))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return ItemVectors(ids, vectors)


def test_holdout_keeps_small_users_and_takes_the_latest() -> None:
    data = _data()
    rest, held = holdout_split(data, "last", 0)
    assert len(rest) + len(held) == len(data)
    assert len(held) == data.n_users
    for user in range(data.n_users):
        assert (
            held.timestamp[held.user_idx == user].max()
            >= rest.timestamp[rest.user_idx == user].max()
        )


def test_recent_holdout_is_each_users_latest_fifth() -> None:
    """The served hybrid learns to rank what serving faces: the events after the history."""
    data = _data()
    rest, held = holdout_split(data, "recent", 0)
    assert len(rest) + len(held) == len(data)
    assert np.bincount(held.user_idx).tolist() == [2] * data.n_users  # 12 events: 20% is 2
    for user in range(data.n_users):
        kept = rest.timestamp[rest.user_idx == user]
        assert held.timestamp[held.user_idx == user].min() >= kept.max()


def test_cut_holdout_is_the_latest_tenth_of_all_events_for_users_with_a_history() -> None:
    """The temporal protocol's hybrid learns on what its test is: events after a time cut."""
    events = [
        Event(f"u{u}", f"i{(u + n) % 9}", EventType.CLICK, float(100 * n + u))
        for u in range(10)
        for n in range(10)
    ]  # round by round: everyone's tenth event comes last
    events += [
        Event("new", "i1", EventType.CLICK, 5000.0),
        Event("new", "i2", EventType.CLICK, 5001.0),
    ]
    data = Interactions.from_events(events)
    rest, held = holdout_split(data, "cut", 0)
    assert len(rest) + len(held) == len(data)
    late = held.timestamp.min()
    assert late >= rest.timestamp[np.isin(rest.user_idx, np.unique(held.user_idx))].max()
    # the latest 10 events: "new" has no history before the cut, so its 2 stay in the rest
    assert sorted(held.users.id_of(u) for u in held.user_idx) == [f"u{u}" for u in range(2, 10)]


def test_ndcg_at_hand_case() -> None:
    scores = np.array([[0.9, 0.8, 0.1], [0.1, 0.2, 0.3]])
    labels = np.array([[0, 1, 0], [0, 0, 0]])
    assert abs(ndcg_at(scores, labels, 2) - 1 / np.log2(3)) < 1e-9


def test_hybrid_fits_ranks_and_reports_validation() -> None:
    data = _data()
    sources = {
        "content": ContentRetriever(_vectors(data), rating_center=None),
        "pop": CountPopularity(),
    }
    hybrid = HybridRanker(sources, item_text=_vectors(data), pool=20, per_source=20, trees=30)
    hybrid.fit(data)
    validation = hybrid.validation_
    assert {"ranker_ndcg@10", "best_source", "best_source_ndcg@10", "served"} <= set(validation)
    assert validation["holdout"] == "last"
    assert {"source.content", "source.pop", "ranker.blend", "ranker.lightgbm"} <= set(validation)
    assert validation["served_ndcg@10"] >= max(
        validation["source.content"], validation["source.pop"]
    )
    assert validation["served"] == (hybrid.fallback_ or validation["served"])
    scores = hybrid.score(np.arange(data.n_users, dtype=np.int32))
    assert scores.shape == (data.n_users, data.n_items)
    seen = data.matrix()
    assert not np.isfinite(scores[seen.nonzero()]).any(), "seen items are never proposed"
    result = hybrid.retrieve(Query(user=0), 5)
    assert len(result) == 5 and result.source == "hybrid"
    same_group = sum(int(data.items.id_of(int(i))[1:]) % 2 == 0 for i in result.items)
    assert same_group >= 4, "user 0 (group 0) gets group-0 items"


def test_fallback_when_the_ranker_cannot_beat_its_best_source() -> None:
    data = _data()
    hybrid = HybridRanker(
        {"content": ContentRetriever(_vectors(data), rating_center=None)},
        pool=10,
        per_source=10,
        trees=1,
        learning_rate=1e-6,
    )
    hybrid.fit(data)
    ranker = hybrid.validation_["ranker_ndcg@10"]
    best = hybrid.validation_["best_source_ndcg@10"]
    assert (hybrid.fallback_ == "content") == (ranker < best)
    users = np.arange(4, dtype=np.int32)
    assert hybrid.score(users).shape == (4, data.n_items)


def test_a_missing_source_leaves_nan_features_and_still_ranks() -> None:
    data = _data()
    sources = {
        "content": ContentRetriever(_vectors(data), rating_center=None),
        "pop": CountPopularity(),
    }
    hybrid = HybridRanker(sources, pool=20, per_source=20, trees=30).fit(data)
    hybrid.fallback_ = None
    del hybrid.sources["pop"]
    hybrid.sources["pop"] = CountPopularity.missing(data.n_items)
    scores = hybrid.score(np.arange(3, dtype=np.int32))
    assert np.isfinite(scores).any(axis=1).all()


def test_update_makes_new_users_rankable() -> None:
    data = _data()
    hybrid = HybridRanker(
        {"content": ContentRetriever(_vectors(data), rating_center=None), "pop": CountPopularity()},
        pool=20,
        per_source=20,
        trees=30,
    ).fit(data)
    new = Interactions.from_events(
        [Event("newcomer", "i1", EventType.CLICK, 10_000.0 + n) for n in range(2)],
        users=data.users,
        items=data.items,
    )
    hybrid.update(new)
    user = data.users.get("newcomer")
    assert user is not None
    assert np.isfinite(hybrid.score(np.array([user], dtype=np.int32))).any()
    assert isinstance(data.users, IdMap)


def test_cold_items_are_ordered_by_their_text_below_warm_items() -> None:
    data = _data()
    cold_even, cold_odd = data.items.add("i100"), data.items.add("i101")
    ids = [data.items.id_of(i) for i in range(data.n_items)]
    vectors = _vectors(data).vectors
    extra = np.array([[1, 0, 0.05, 0], [0, 1, 0.05, 0]], dtype=np.float32)
    extra /= np.linalg.norm(extra, axis=1, keepdims=True)
    text = ItemVectors(ids, np.vstack([vectors[: len(ids) - 2], extra]))
    sources = {"content": ContentRetriever(text, rating_center=None), "pop": CountPopularity()}
    hybrid = HybridRanker(sources, pool=20, per_source=20).fit(data)
    scores = hybrid.score(np.array([0, 1], dtype=np.int32))  # user 0 even group, user 1 odd
    warm = np.isfinite(scores[0, : data.n_items - 2])
    assert scores[0, cold_even] < scores[0, : data.n_items - 2][warm].min()
    assert scores[0, cold_even] > scores[0, cold_odd]
    assert scores[1, cold_odd] > scores[1, cold_even]


def test_latest_items_per_user() -> None:
    from pulserec.models.hybrid.rows import latest_items

    events = [
        Event("a", "x", EventType.CLICK, 3.0),
        Event("a", "y", EventType.CLICK, 1.0),
        Event("a", "z", EventType.CLICK, 2.0),
        Event("b", "x", EventType.CLICK, 5.0),
    ]
    data = Interactions.from_events(events)
    latest = latest_items(data, 2)
    x, z = data.items.get("x"), data.items.get("z")
    assert latest[data.users.get("a") or 0].tolist() == [z, x]
    assert latest[data.users.get("b") or 0].tolist() == [-1, x]


def _history(data: Interactions, user: int) -> np.ndarray:
    mine = np.flatnonzero(data.user_idx == user)
    order = mine[np.lexsort((mine, data.timestamp[mine]))]
    return data.item_idx[order].astype(np.int32)


@pytest.mark.parametrize(
    "variant",
    ["as-fitted", "blend", "lightgbm", "fallback", "rrf", "proposals-only"],
)
def test_retrieve_serves_the_top_k_of_score(variant: str) -> None:
    """One scoring core: for a known user with their history, the served list is the top k
    of the offline score row, same items in the same order, scores equal. (Rows are scored
    one user at a time: a batch's BLAS rounding, ~1e-7, can move a near-tie across a
    source's top-``per_source`` cut.)"""
    data = _data()
    params: dict[str, Any] = {"pool": 20, "per_source": 20, "trees": 20}
    if variant == "lightgbm":
        params["ranker"] = "lightgbm"
    if variant == "rrf":
        params = {"per_source": 20, "learned": False}
    if variant == "proposals-only":
        params["depth"] = 20
    hybrid = registry.make("hybrid", vectors=_vectors(data), **params).fit(data)
    if variant in ("blend", "lightgbm", "proposals-only"):
        hybrid.fallback_ = None  # type: ignore[attr-defined]  # as if the ranker had won
    if variant == "fallback":
        hybrid.fallback_ = "ease"  # type: ignore[attr-defined]
    for user in range(data.n_users):
        history = _history(data, user)
        query = Query(user=user, history=history, exclude=np.unique(history))
        found = hybrid.retrieve(query, 10)
        items, values = top_k(hybrid.score(np.array([user], dtype=np.int32))[0], 10)
        np.testing.assert_array_equal(found.items, items, err_msg=f"{variant} user {user}")
        np.testing.assert_allclose(found.scores, values, rtol=1e-5)
        assert len(found) == 10


def test_an_anonymous_history_goes_through_the_same_core() -> None:
    """A history without a user reads each source's retrieve; the core still pools, ranks and
    orders cold items, and never serves what the request excludes."""
    data = _data()
    hybrid = registry.make("hybrid", vectors=_vectors(data), pool=20, per_source=20, trees=20).fit(
        data
    )
    history = _history(data, 0)
    found = hybrid.retrieve(Query(user=-1, history=history, exclude=np.unique(history)), 10)
    assert len(found) == 10 and not np.isin(found.items, history).any()
    same_group = sum(int(data.items.id_of(int(i))[1:]) % 2 == 0 for i in found.items)
    assert same_group >= 8, "a group-0 history gets group-0 items"


class CostlySequence(CountPopularity):
    """Stands in for the sequence network: counts its fits."""

    name = "sequence"
    fits = 0

    def fit(self, data: Interactions) -> CostlySequence:
        CostlySequence.fits += 1
        super().fit(data)
        return self


def _walks(ordered: bool) -> Interactions:
    """Each user walks 12 of 24 items in a fixed cycle (``ordered``) or in a random order."""
    rng = np.random.default_rng(1)
    events = []
    for user in range(80):
        start = int(rng.integers(24))
        walk = [(start + step) % 24 for step in range(12)]
        if not ordered:
            walk = rng.permutation(walk).tolist()
        for step, item in enumerate(walk):
            events.append(Event(f"u{user}", f"i{item}", EventType.CLICK, float(step)))
    return Interactions.from_events(events)


@pytest.mark.parametrize("ordered", [True, False])
def test_the_costly_sequence_source_is_fitted_only_where_order_pays(ordered: bool) -> None:
    data = _walks(ordered)
    sources = {
        "itemknn": registry.make_model("itemknn"),
        "pop": CountPopularity(),
        "transitions": registry.make_model("transitions"),
        "sequence": CostlySequence(),
    }
    CostlySequence.fits = 0
    hybrid = HybridRanker(sources, pool=20, per_source=20, ranker="blend").fit(data)
    lift = hybrid.validation_["order_lift"]
    if ordered:
        assert lift > 0.02 and "sequence" in hybrid.sources and CostlySequence.fits >= 1
    else:
        assert lift < 0.02 and "sequence" not in hybrid.sources and CostlySequence.fits == 0
        assert "not fitted" in hybrid.validation_["skipped.sequence"]
    assert np.isfinite(hybrid.score(np.arange(3, dtype=np.int32))).any(axis=1).all()


def test_a_user_with_nothing_to_personalise_gets_what_is_popular_now() -> None:
    """All-time counts without a half-life; with one (the default, 7 days, as the engine's
    trending fill) an item many engaged with a month ago falls below one a few did today."""
    data = _data()
    sources = {"content": ContentRetriever(_vectors(data), rating_center=None)}
    stranger = np.array([data.n_users + 5], dtype=np.int32)
    all_time = HybridRanker(
        dict(sources), item_text=_vectors(data), pool=20, popular_half_life_days=None
    ).fit(data)
    row = all_time.score(stranger)[0]
    users_per_item = np.asarray(data.matrix().sum(axis=0)).ravel()
    assert np.array_equal(
        np.argsort(-row, kind="stable"), np.argsort(-users_per_item, kind="stable")
    )
    found = all_time.retrieve(Query(), 3)
    assert found.source == "pop" and found.items.tolist() == top_k(row, 3)[0].tolist()

    month = 30 * 86_400.0
    events = [Event(f"old{n}", "i0", EventType.CLICK, 1.0 + n) for n in range(8)]  # a classic
    events += [Event(f"new{n}", "i1", EventType.CLICK, month + n) for n in range(3)]  # fresh
    now = Interactions.from_events(events)
    hybrid = HybridRanker(
        {"content": ContentRetriever(_vectors(now), rating_center=None)}, item_text=_vectors(now)
    ).fit(now)
    top = hybrid.retrieve(Query(), 2).items.tolist()
    assert now.items.ids_of(top) == ["i1", "i0"]


def test_too_few_users_to_validate_fuse_by_rank_and_say_so() -> None:
    data = Interactions.from_events(two_group_events(n_users=6, n_items=20, per_user=8))
    sources = {
        "content": ContentRetriever(_vectors(data), rating_center=None),
        "pop": CountPopularity(),
    }
    hybrid = HybridRanker(sources, item_text=_vectors(data), pool=20, per_source=20).fit(data)
    report = hybrid.served()
    assert report["ranker"] == "rrf" and "needed to validate" in report["note"]
    assert len(hybrid.retrieve(Query(user=0), 5)) == 5


def test_the_blend_never_learns_to_weigh_nothing() -> None:
    """No weight at all would rank by the pool's order in training, which the served scores
    do not keep: the blend keeps at least one source, even when the pool order looks better."""
    from pulserec.models.hybrid.blend import LinearBlend

    rows, pool = 30, 12
    features = np.zeros((rows, pool, 2), dtype=np.float32)
    features[:, :, 0] = np.arange(pool)  # the source ranks the pool backwards
    labels = np.zeros((rows, pool), dtype=np.int32)
    labels[:, 0] = 1  # the hit is first in pool order
    blend = LinearBlend([0]).fit(features, labels)
    assert blend.weights_.any()
