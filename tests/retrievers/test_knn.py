"""Item- and user-kNN on a hand-computed case: cosine, shrinkage, Pearson, top-k, scoring."""

from __future__ import annotations

import numpy as np
import pytest

from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.types import Event, EventType
from pulserec.models.base import Query
from pulserec.models.cf.knn import ItemKNN, UserKNN

# users x items:  u0: i0 i1 | u1: i0 i1 i2 | u2: i1 i2 | u3: i3
ROWS = {"u0": [0, 1], "u1": [0, 1, 2], "u2": [1, 2], "u3": [3]}
R6 = np.sqrt(6.0)


def tiny(
    rows: dict[str, list[int]] = ROWS, items: IdMap | None = None, users: IdMap | None = None
) -> Interactions:
    events = [
        Event(user, f"i{item}", EventType.CLICK, float(n))
        for user, liked in rows.items()
        for n, item in enumerate(liked)
    ]
    items = items if items is not None else IdMap(f"i{j}" for j in range(4))
    users = users if users is not None else IdMap(rows)
    return Interactions.from_events(events, users, items)


def test_item_cosine_by_hand() -> None:
    w = ItemKNN(k=10).fit(tiny()).weights_.toarray()
    # dot(i0,i1)=2, |i0|=sqrt2, |i1|=sqrt3 -> 2/sqrt6; dot(i0,i2)=1 -> 1/2; dot(i1,i2)=2 -> 2/sqrt6
    expected = np.array([[0, 2 / R6, 0.5, 0], [2 / R6, 0, 2 / R6, 0], [0.5, 2 / R6, 0, 0], [0] * 4])
    np.testing.assert_allclose(w, expected, rtol=1e-6)


def test_item_shrink_by_hand() -> None:
    w = ItemKNN(k=10, shrink=1.0).fit(tiny()).weights_.toarray()
    np.testing.assert_allclose(w[0, 1], 2 / (R6 + 1), rtol=1e-6)
    np.testing.assert_allclose(w[0, 2], 1 / 3, rtol=1e-6)


def test_item_pearson_by_hand() -> None:
    w = ItemKNN(k=10, similarity="pearson").fit(tiny()).weights_.toarray()
    # over 4 users: cov(i0,i1) = 2 - 2*3/4 = 0.5, var(i0) = 2 - 4/4 = 1, var(i1) = 3 - 9/4 = 0.75
    np.testing.assert_allclose(w[0, 1], 0.5 / np.sqrt(0.75), rtol=1e-6)
    np.testing.assert_allclose(w[1, 2], 0.5 / np.sqrt(0.75), rtol=1e-6)
    assert w[0, 2] == 0.0  # cov(i0,i2) = 1 - 2*2/4 = 0: not a neighbour
    assert w[0, 3] == 0.0 and w[3, 0] == 0.0  # negative correlations are dropped


def test_top_k_keeps_each_items_best_neighbours() -> None:
    w = ItemKNN(k=1).fit(tiny()).weights_.toarray()
    assert (w > 0).sum(axis=0).tolist() == [1, 1, 1, 0]
    assert w[1, 0] > 0 and w[1, 2] > 0  # i1 is the best neighbour of i0 and of i2


def test_item_scores_sum_neighbour_similarities() -> None:
    model = ItemKNN(k=10).fit(tiny())
    np.testing.assert_allclose(
        model.score(np.array([0], dtype=np.int32))[0], [2 / R6, 2 / R6, 2 / R6 + 0.5, 0], rtol=1e-6
    )
    result = model.retrieve(
        Query(history=np.array([0], dtype=np.int32), exclude=np.array([0], dtype=np.int32)), 2
    )
    assert result.items.tolist() == [1, 2]
    np.testing.assert_allclose(result.scores, [2 / R6, 0.5], rtol=1e-6)


def test_item_update_recomputes_touched_columns_as_a_fit_would() -> None:
    items, users = IdMap(f"i{j}" for j in range(4)), IdMap(ROWS)
    model = ItemKNN(k=10).fit(tiny(items=items, users=users))
    model.update(tiny({"u3": [2, 4]}, items=items, users=users))  # i4 is new
    full = ItemKNN(k=10).fit(
        tiny({**ROWS, "u3": [3, 2, 4]}, items=IdMap(f"i{j}" for j in range(5)))
    )
    np.testing.assert_allclose(
        model.weights_.toarray()[:, [2, 4]], full.weights_.toarray()[:, [2, 4]], rtol=1e-6
    )
    assert model.score(np.array([3], dtype=np.int32)).shape == (1, 5)


def test_user_cosine_and_scores_by_hand() -> None:
    model = UserKNN(k=10).fit(tiny())
    s = model.weights_.toarray()
    np.testing.assert_allclose(s[0], [0, 2 / R6, 0.5, 0], rtol=1e-6)  # u0's neighbours u1, u2
    np.testing.assert_allclose(
        model.score(np.array([0], dtype=np.int32))[0],
        [2 / R6, 2 / R6 + 0.5, 2 / R6 + 0.5, 0],
        rtol=1e-6,
    )


def test_user_history_is_matched_against_every_user() -> None:
    model = UserKNN(k=10).fit(tiny())
    row = model.retrieve(Query(history=np.array([0, 1], dtype=np.int32)), 3)
    # sims: u0 = 1, u1 = 2/sqrt6, u2 = 1/2  ->  1*u0 + (2/sqrt6)*u1 + 0.5*u2
    expected = {0: 1 + 2 / R6, 1: 1.5 + 2 / R6, 2: 0.5 + 2 / R6}
    assert row.items.tolist() == [1, 0, 2]
    np.testing.assert_allclose(row.scores, [expected[i] for i in (1, 0, 2)], rtol=1e-6)


@pytest.mark.parametrize("cls", [ItemKNN, UserKNN])
@pytest.mark.parametrize(
    "params", [{"k": 0}, {"k": 2.5}, {"shrink": -1.0}, {"similarity": "jaccard"}]
)
def test_invalid_hyper_parameters_are_refused(
    cls: type[ItemKNN], params: dict[str, object]
) -> None:
    with pytest.raises(ValueError):
        cls(**params)  # type: ignore[arg-type]
