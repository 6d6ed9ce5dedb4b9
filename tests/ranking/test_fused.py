"""The hybrid's served path (:mod:`pulserec.models.hybrid.fused`) gives the reference's list
exactly:
the same items in the same order with the same scores, for every ranker kind, over users,
histories that move event by event (the per-user row caches), exclusions, cold items and lists
longer than the pool."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.core.types import Event, EventType
from pulserec.models import registry
from pulserec.models.base import Candidates, Query
from pulserec.models.hybrid.blend import LinearBlend
from pulserec.models.hybrid.choice import sub_blend
from pulserec.models.hybrid.holdout import holdout_split
from pulserec.models.hybrid.learned import PRUNE_TOLERANCE, HybridRanker

N_USERS, N_ITEMS, COLD, TASTES = 90, 140, 12, 4


def _events() -> list[Event]:
    """Users with one of a few latent tastes; the last ``COLD`` items never interacted with."""
    rng = np.random.default_rng(7)
    taste_of_item = rng.integers(0, TASTES, N_ITEMS)
    events = []
    for user in range(N_USERS):
        taste = user % TASTES
        liked = np.flatnonzero(taste_of_item[: N_ITEMS - COLD] == taste)
        other = np.flatnonzero(taste_of_item[: N_ITEMS - COLD] != taste)
        picks = np.concatenate([rng.choice(liked, 14), rng.choice(other, 4)])
        for step, item in enumerate(rng.permutation(picks)):
            kind = EventType.RATING if step % 3 == 0 else EventType.CLICK
            value = float(rng.integers(1, 6)) if kind is EventType.RATING else None
            events.append(Event(f"u{user}", f"i{item}", kind, 1e6 + user * 100 + step, value))
    return events


def _vectors(data: Interactions) -> ItemVectors:
    rng = np.random.default_rng(3)
    ids = [f"i{i}" for i in range(N_ITEMS)]
    vectors = rng.normal(size=(N_ITEMS, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return ItemVectors(ids, vectors)


@pytest.fixture(scope="module")
def fitted() -> HybridRanker:
    items = IdMap()
    items.add_many(f"i{i}" for i in range(N_ITEMS))  # every item in the map, the cold ones too
    data = Interactions.from_events(_events(), items=items)
    model = registry.make("hybrid", vectors=_vectors(data), per_source=30, pool=60)
    model.sources["sequence"].epochs = 2  # type: ignore[attr-defined]
    assert isinstance(model, HybridRanker)
    return model.fit(data)


def _queries(model: HybridRanker) -> Iterator[Query]:
    """Every user's history as served (``user=-1``), then the same histories moved the way
    events move them: an item added, one taken out, two added; with and without exclusions."""
    rng = np.random.default_rng(11)
    n = model.seen_.shape[1]
    for user in range(0, N_USERS, 3):
        history = model.seen_[user].indices.astype(np.int32)
        exclude = history.copy()
        yield Query(history=history, exclude=exclude, owner=user)
        for _ in range(3):
            history = np.append(history, np.int32(rng.integers(0, n)))
            yield Query(history=history, exclude=np.unique(history), owner=user)
        history = history[1:]
        yield Query(history=history, exclude=_EMPTY, owner=user)
        yield Query(history=history, exclude=np.unique(history), owner=-1)


_EMPTY = np.zeros(0, dtype=np.int32)


def _same(a: Candidates, b: Candidates) -> bool:
    return np.array_equal(a.items, b.items) and np.array_equal(a.scores, b.scores)


def _variants(model: HybridRanker) -> Iterator[str]:
    fallback, ranker = model.fallback_, model.ranker_
    try:
        model.fallback_ = fallback or "ease"
        yield "fallback"
        model.fallback_ = None
        yield "blend"
        model.ranker_ = None
        yield "rrf"
    finally:
        model.fallback_, model.ranker_ = fallback, ranker


@pytest.mark.parametrize("k", [10, 55, N_ITEMS])
def test_the_served_path_equals_the_reference(fitted: HybridRanker, k: int) -> None:
    assert fitted.stats_.any_cold  # the cold items take the text-ordered tail
    checked = 0
    for variant in _variants(fitted):
        for query in _queries(fitted):
            served, reference = fitted.retrieve(query, k), fitted.reference_retrieve(query, k)
            assert _same(served, reference), (variant, query.owner, k)
            checked += 1
    assert checked > 100


def test_a_blend_answer_within_the_pool_never_scores_the_whole_catalog(
    fitted: HybridRanker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The blend's answer for a short list comes from the pool alone (the core's full scoring
    is the path for lists that reach beyond it)."""
    fallback = fitted.fallback_
    fitted.fallback_ = None
    calls: list[int] = []
    original = type(fitted._core()).scores

    def counting(self: object, *args: object, **kwargs: object) -> object:
        calls.append(1)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(type(fitted._core()), "scores", counting)
    try:
        query = next(_queries(fitted))
        fitted.retrieve(query, 10)
        assert calls == []
        fitted.retrieve(query, N_ITEMS)
        assert calls == [1]
    finally:
        fitted.fallback_ = fallback


@pytest.fixture
def pruned(fitted: HybridRanker) -> Iterator[HybridRanker]:
    """The fitted hybrid as if its blend had won with weight on three sources, pruned."""
    saved = (fitted.fallback_, fitted.ranker_, fitted.serving_, dict(fitted.validation_))
    blend = LinearBlend([2 * i for i in range(len(fitted.sources))])
    blend.weights_ = _weights(list(fitted.sources))
    fitted.fallback_, fitted.ranker_ = None, blend
    _, held = holdout_split(fitted.data_, "random", 1)
    users = np.unique(held.user_idx).astype(np.int32)
    fitted._prune(fitted._user_rows(users)[0], fitted._latest(users), held.matrix()[users])
    yield fitted
    fitted.fallback_, fitted.ranker_, fitted.serving_, fitted.validation_ = saved


def test_a_blend_serves_only_the_sources_it_weighs_when_that_ranks_as_well(
    pruned: HybridRanker,
) -> None:
    """Pruning at fit: the served sources are among the weighted ones (the text source
    always), each left out only while held-out NDCG over the whole catalog stays within the
    tolerance of every source's."""
    names = ("catalog_ndcg@10.served_sources", "catalog_ndcg@10.all_sources")
    served, everything = (pruned.validation_[k] for k in names)
    assert served >= everything * (1 - PRUNE_TOLERANCE)
    weights = {"ease": 1.0, "als": 0.5, "content": 0.25}
    if pruned.serving_ is not None:
        kept = list(pruned._served())
        assert "content" in kept and set(kept) <= set(weights)
        assert pruned.ranker_.weights_.tolist() == [weights[n] for n in kept]
    else:
        assert len(pruned.ranker_.weights_) == 7
    for query in _queries(pruned):
        assert _same(pruned.retrieve(query, 10), pruned.reference_retrieve(query, 10))


def test_served_sources_survive_a_round_trip(pruned: HybridRanker, tmp_path: Path) -> None:
    from pulserec.artifacts import load_model, save_model

    kept = ["ease", "content"]
    pruned.serving_, pruned.ranker_ = kept, sub_blend(_full(pruned), list(pruned.sources), kept)
    save_model(pruned, "hybrid", {}, tmp_path)
    restored = load_model(tmp_path, None)
    assert restored.serving_ == ["ease", "content"]  # type: ignore[attr-defined]
    query = next(_queries(pruned))
    assert _same(restored.retrieve(query, 10), pruned.retrieve(query, 10))


def _full(model: HybridRanker) -> LinearBlend:
    blend = LinearBlend([2 * i for i in range(len(model.sources))])
    blend.weights_ = _weights(list(model.sources))
    return blend


def _weights(names: list[str]) -> npt.NDArray[np.float32]:
    """Weight on EASE, ALS and the text source only."""
    weighed = {"ease": 1.0, "als": 0.5, "content": 0.25}
    return np.array([weighed.get(n, 0.0) for n in names], dtype=np.float32)
