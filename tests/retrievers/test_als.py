"""ALS: CG against exact solves, fold-in consistency with fitted users, update of new items.

Fold-in tolerance: on a clustered synthetic matrix, the score vector of every user folded in
from their items (item factors fixed) has cosine >= 0.99 with the fitted user's score vector,
and the two top-10 lists overlap by >= 0.9 on average.
"""

from __future__ import annotations

import numpy as np
import pytest

from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.types import Event, EventType
from pulserec.models.cf.als import ALS, conjugate_gradient, solve_row

N_USERS, N_ITEMS, CLUSTERS = 90, 60, 3


def clustered(seed: int = 3) -> Interactions:
    """Users mostly click items of their own cluster, sometimes others."""
    rng = np.random.default_rng(seed)
    events = []
    for u in range(N_USERS):
        own = np.arange(N_ITEMS)[np.arange(N_ITEMS) % CLUSTERS == u % CLUSTERS]
        picks = np.concatenate([rng.choice(own, 8, replace=False), rng.choice(N_ITEMS, 2)])
        events += [Event(f"u{u}", f"i{i}", EventType.CLICK, float(n)) for n, i in enumerate(picks)]
    return Interactions.from_events(events, IdMap(), IdMap(f"i{j}" for j in range(N_ITEMS)))


def fitted() -> ALS:
    return ALS(factors=16, regularization=5.0, alpha=5.0, iterations=15).fit(clustered())


def test_conjugate_gradient_converges_to_the_exact_solution() -> None:
    model = fitted()
    x, y = model.user_items_, model.item_factors_
    gram = model._gram(y)
    cg = conjugate_gradient(
        x, y, np.zeros_like(model.user_factors_), gram.astype(np.float32), 5.0, 40
    )
    for user in (0, 1, 50):
        items = x.indices[x.indptr[user] : x.indptr[user + 1]]
        exact = solve_row(y, gram, 5.0, items, np.ones(items.shape[0]))
        np.testing.assert_allclose(cg[user], exact, rtol=1e-3, atol=1e-5)


def test_fold_in_reproduces_fitted_users() -> None:
    model = fitted()
    x = model.user_items_
    fitted_scores = model.user_factors_ @ model.item_factors_.T
    folded = np.stack(
        [model.fold_in(x.indices[x.indptr[u] : x.indptr[u + 1]]) for u in range(N_USERS)]
    )
    folded_scores = folded @ model.item_factors_.T
    cosine = (fitted_scores * folded_scores).sum(1) / (
        np.linalg.norm(fitted_scores, axis=1) * np.linalg.norm(folded_scores, axis=1)
    )
    assert cosine.min() >= 0.99
    tops = [np.argsort(-s, axis=1)[:, :10] for s in (fitted_scores, folded_scores)]
    overlap = [len(set(a) & set(b)) / 10 for a, b in zip(*tops, strict=True)]
    assert np.mean(overlap) >= 0.9


def test_fold_in_weights_pull_toward_an_item() -> None:
    model = fitted()
    items = np.array([0, 3, 1], dtype=np.int32)
    light = model.fold_in(items) @ model.item_factors_[1]
    heavy = model.fold_in(items, np.array([1.0, 1.0, 10.0])) @ model.item_factors_[1]
    assert heavy > light
    unknown = model.fold_in(np.array([-1, N_ITEMS + 5], dtype=np.int32))
    assert unknown.shape == (16,) and not unknown.any()


def test_update_folds_in_new_items_and_touched_users() -> None:
    data = clustered()
    model = ALS(factors=16, regularization=5.0, alpha=5.0).fit(data)
    users = [f"u{u}" for u in range(0, 30, 3)]  # cluster 0
    batch = Interactions.from_events(
        [Event(u, "fresh", EventType.CLICK, 99.0) for u in users], data.users, data.items
    )
    model.update(batch)
    fresh = data.items.get("fresh")
    assert fresh == N_ITEMS and model.item_factors_[fresh].any()
    member, outsider = data.users.get("u3"), data.users.get("u1")
    scores = model.score(np.array([member, outsider], dtype=np.int32))
    assert scores[0, fresh] > scores[1, fresh]
    np.testing.assert_allclose(model.gram_, model._gram(model.item_factors_))
    assert model.user_items_[member, fresh] == 1.0 and model.user_items_[outsider, fresh] == 0.0


@pytest.mark.parametrize(
    "params",
    [{"factors": 0}, {"regularization": 0.0}, {"alpha": -1.0}, {"iterations": -1}, {"cg_steps": 0}],
)
def test_invalid_hyper_parameters_are_refused(params: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        ALS(**params)  # type: ignore[arg-type]
