"""BiasedMF: bounded predictions, better than the global mean, fallbacks, rating merges."""

from __future__ import annotations

import numpy as np
import pytest

from pulserec.core.interactions import Interactions
from pulserec.core.types import Event, EventType
from pulserec.models.cf.svd import BiasedMF, rating_matrix


def synthetic_ratings(seed: int = 0) -> tuple[Interactions, Interactions]:
    """A rank-2 rating matrix with biases and noise, 50% observed, split 80/20."""
    rng = np.random.default_rng(seed)
    n_users, n_items = 80, 50
    taste = rng.normal(0, 1, (n_users, 2)) @ rng.normal(0, 1, (2, n_items))
    bias = rng.normal(0, 0.5, n_users)[:, None] + rng.normal(0, 0.5, n_items)[None, :]
    full = np.clip(np.rint(3.2 + 0.7 * taste + bias + rng.normal(0, 0.3, taste.shape)), 1, 5)
    users, items = np.nonzero(rng.random(full.shape) < 0.5)
    events = [
        Event(f"u{u}", f"i{i}", EventType.RATING, float(n), float(full[u, i]))
        for n, (u, i) in enumerate(zip(users, items, strict=True))
    ]
    data = Interactions.from_events(events)
    test = rng.random(len(data)) < 0.2
    return data.select(~test), data.select(test)


def test_predictions_are_bounded_and_beat_the_global_mean() -> None:
    train, test = synthetic_ratings()
    model = BiasedMF(factors=4, epochs=60, lr=0.02, reg=0.05, batch_size=64).fit(train)
    predicted = model.predict(test.user_idx, test.item_idx)
    assert predicted.dtype == np.float32 and predicted.min() >= 1.0 and predicted.max() <= 5.0
    rmse = float(np.sqrt(np.mean((predicted - test.value) ** 2)))
    baseline = float(np.sqrt(np.mean((train.value.mean() - test.value) ** 2)))
    assert rmse < 0.8 * baseline


def test_unknown_users_and_items_fall_back_to_biases() -> None:
    train, _ = synthetic_ratings()
    model = BiasedMF(factors=4, epochs=5).fit(train)
    mu = model.global_mean_
    out = model.predict(
        np.array([0, 999, 999, 0], dtype=np.int32), np.array([999, 3, 999, -1], dtype=np.int32)
    )
    expected = [mu + model.user_bias_[0], mu + model.item_bias_[3], mu, mu + model.user_bias_[0]]
    np.testing.assert_allclose(out, np.clip(expected, 1, 5), rtol=1e-6)
    row = model.score(np.array([999], dtype=np.int32))[0]
    np.testing.assert_allclose(row, mu + model.item_bias_, rtol=1e-6)


def test_only_ratings_count_and_the_latest_rating_wins() -> None:
    events = [
        Event("a", "x", EventType.RATING, 2.0, 4.0),
        Event("a", "x", EventType.RATING, 1.0, 1.0),  # older, though later in the batch
        Event("a", "y", EventType.CLICK, 3.0),
        Event("b", "y", EventType.RATING, 4.0, 2.0),
    ]
    m = rating_matrix(Interactions.from_events(events)).toarray()
    np.testing.assert_array_equal(m, [[4.0, 0.0], [0.0, 2.0]])


def test_update_replaces_ratings_and_refits_touched_users() -> None:
    train, _ = synthetic_ratings()
    model = BiasedMF(factors=4, epochs=20).fit(train)
    user = train.users.get("u0")
    before = model.predict(np.array([user, user]), np.array([0, 1]))
    items = [train.items.id_of(0), train.items.id_of(1)]
    ratings = [Event("u0", item, EventType.RATING, 1e6, 5.0) for item in items]
    model.update(Interactions.from_events(ratings, train.users, train.items))
    assert model.ratings_[user, 0] == 5.0 and model.ratings_[user, 1] == 5.0
    after = model.predict(np.array([user, user]), np.array([0, 1]))
    assert (after >= before).all()
    newcomer = [Event("new", items[0], EventType.RATING, 1e6, 5.0)]
    model.update(Interactions.from_events(newcomer, train.users, train.items))
    assert model.user_bias_.shape[0] == len(train.users)


@pytest.mark.parametrize(
    "params",
    [{"factors": 0}, {"lr": -0.1}, {"epochs": -1}, {"min_rating": 5.0, "max_rating": 1.0}],
)
def test_invalid_hyper_parameters_are_refused(params: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        BiasedMF(**params)  # type: ignore[arg-type]
