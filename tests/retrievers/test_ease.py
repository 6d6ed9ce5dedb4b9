"""EASE: the closed form on a tiny case, refusal of large catalogs, unfitted items."""

from __future__ import annotations

import numpy as np
import pytest

from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.types import Event, EventType
from pulserec.models.base import Query
from pulserec.models.cf.ease import EASE

ROWS = {"u0": [0, 1], "u1": [0, 1, 2], "u2": [1, 2, 3], "u3": [3, 0]}


def tiny(rows: dict[str, list[int]], users: IdMap, items: IdMap) -> Interactions:
    events = [
        Event(u, f"i{i}", EventType.VIEW, float(n))
        for u, liked in rows.items()
        for n, i in enumerate(liked)
    ]
    return Interactions.from_events(events, users, items)


def maps(n_items: int = 4) -> tuple[IdMap, IdMap]:
    return IdMap(ROWS), IdMap(f"i{j}" for j in range(n_items))


def test_weights_match_the_closed_form() -> None:
    data = tiny(ROWS, *maps())
    model = EASE(l2=2.0).fit(data)
    x = data.matrix().toarray().astype(np.float64)
    p = np.linalg.inv(x.T @ x + 2.0 * np.eye(4))
    expected = np.eye(4) - p / np.diag(p)
    np.testing.assert_allclose(model.weights_, expected, atol=1e-6)
    assert (np.diag(model.weights_) == 0).all()
    np.testing.assert_allclose(
        model.score(np.array([0], dtype=np.int32))[0], x[0] @ expected, atol=1e-6
    )


def test_history_row_times_weights_for_unknown_users() -> None:
    model = EASE(l2=2.0).fit(tiny(ROWS, *maps()))
    result = model.retrieve(Query(history=np.array([0, 1], dtype=np.int32)), 4)
    expected = model.weights_[[0, 1]].sum(axis=0)
    np.testing.assert_allclose(result.scores, np.sort(expected)[::-1], atol=1e-6)


def test_refuses_catalogs_beyond_max_items_and_says_what_to_use() -> None:
    data = tiny(ROWS, *maps(5))
    with pytest.raises(ValueError) as info:
        EASE(max_items=4).fit(data)
    message = str(info.value)
    assert "5 items" in message and "max_items=4" in message and "GiB" in message
    assert "item-kNN" in message and "ALS" in message


def test_items_added_after_the_fit_are_never_recommended() -> None:
    users, items = maps()
    model = EASE(l2=2.0).fit(tiny(ROWS, users, items))
    model.update(tiny({"u0": [4]}, users, items))  # i4 is new
    scores = model.score(np.array([0, 1], dtype=np.int32))
    assert scores.shape == (2, 5) and np.isneginf(scores[:, 4]).all()
    assert 4 not in model.retrieve(Query(user=0), 5).items.tolist()


@pytest.mark.parametrize("params", [{"l2": 0.0}, {"l2": -1.0}, {"max_items": 0}])
def test_invalid_hyper_parameters_are_refused(params: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        EASE(**params)  # type: ignore[arg-type]
