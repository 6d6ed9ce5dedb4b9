"""The content retriever: feedback- and recency-weighted taste over item text vectors."""

from __future__ import annotations

import numpy as np
import pytest

from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.core.types import Event, EventType
from pulserec.models.base import Query
from pulserec.models.text.content import ContentRetriever

# Four items on two axes: a1/a2 along x, b1/b2 along y; "cold" along x has no interactions.
IDS = ["a1", "a2", "b1", "b2", "cold"]
VECTORS = np.array([[1, 0.1], [1, -0.1], [0.1, 1], [-0.1, 1], [1, 0]], dtype=np.float32)
VECTORS /= np.linalg.norm(VECTORS, axis=1, keepdims=True)


def _fit(events: list[Event], **params: object) -> tuple[ContentRetriever, Interactions]:
    data = Interactions.from_events(events)
    for item in IDS:
        data.items.add(item)
    return ContentRetriever(ItemVectors(IDS, VECTORS), **params).fit(data), data  # type: ignore[arg-type]


def _ev(
    user: str, item: str, ts: float, kind: EventType = EventType.CLICK, value: float | None = None
) -> Event:
    return Event(user, item, kind, ts, value)


def test_cold_items_with_text_are_recommended() -> None:
    model, data = _fit([_ev("u", "a1", 1.0), _ev("v", "b1", 2.0)])
    seen = np.array([data.items.get("a1")], dtype=np.int32)
    result = model.retrieve(Query(user=data.users.get("u") or 0, exclude=seen), 2)
    assert [data.items.id_of(int(i)) for i in result.items] == ["cold", "a2"]


def test_dislikes_and_low_ratings_push_away() -> None:
    model, data = _fit(
        [
            _ev("u", "a1", 1.0, EventType.DISLIKE),
            _ev("u", "b1", 2.0, EventType.LIKE),
            _ev("r", "a1", 1.0, EventType.RATING, 1.0),
        ]
    )
    top = model.retrieve(Query(user=data.users.get("u") or 0), 1)
    assert data.items.id_of(int(top.items[0])) in ("b1", "b2")
    rated = model.score(np.array([data.users.get("r")], dtype=np.int32))[0]
    assert rated[data.items.get("b1") or 0] > rated[data.items.get("a2") or 0]


def test_recency_half_life_favours_the_latest_items() -> None:
    events = [_ev("u", "a1", float(t)) for t in range(5)] + [_ev("u", "b1", 10.0)]
    recent, data = _fit(events, half_life=1.0, rating_center=None)
    flat, _ = _fit(events, half_life=None, rating_center=None)
    user = np.array([data.users.get("u")], dtype=np.int32)
    b2 = data.items.get("b2") or 0
    assert recent.score(user)[0, b2] > flat.score(user)[0, b2]


def test_unknown_user_with_history_and_placeholders_without_text() -> None:
    model, data = _fit([_ev("u", "a1", 1.0), _ev("u", "placeholder", 2.0)])
    placeholder = data.items.get("placeholder") or 0
    assert model.score(np.array([0], dtype=np.int32))[0, placeholder] == -np.inf
    history = np.array([data.items.get("b1")], dtype=np.int32)
    result = model.retrieve(Query(user=-1, history=history, exclude=history), 1)
    assert data.items.id_of(int(result.items[0])) == "b2"
    assert len(model.retrieve(Query(user=-1), 3)) == 0


def test_update_recomputes_the_changed_users_only() -> None:
    model, data = _fit([_ev("u", "a1", 1.0), _ev("w", "b1", 1.0)])
    w_before = model.tastes_[data.users.get("w") or 0].copy()
    model.update(
        Interactions.from_events(
            [_ev("u", "b1", 5.0), _ev("u", "b2", 6.0), _ev("new", "a2", 7.0)],
            data.users,
            data.items,
        )
    )
    assert np.array_equal(model.tastes_[data.users.get("w") or 0], w_before)
    new = data.users.get("new")
    assert new is not None and model.tastes_[new].any()


def test_bad_half_life_is_refused() -> None:
    with pytest.raises(ValueError, match="half_life"):
        ContentRetriever(ItemVectors(IDS, VECTORS), half_life=0)


def test_stated_preferences_steer_a_new_user_and_blend_with_history() -> None:
    model, data = _fit([_ev("u", "a1", 1.0), _ev("v", "b1", 2.0)], rating_center=None, center=False)
    likes_y = np.array([0.0, 1.0], dtype=np.float32)
    newcomer = model.retrieve(Query(user=-1, text=likes_y), 2)
    assert {data.items.id_of(int(i)) for i in newcomer.items} == {"b1", "b2"}
    user = data.users.get("u") or 0
    seen = np.array([data.items.get("a1")], dtype=np.int32)
    without = model.retrieve(Query(user=user, exclude=seen), 1)
    assert data.items.id_of(int(without.items[0])) in ("a2", "cold")
    steered = model.retrieve(Query(user=user, exclude=seen, text=3 * likes_y), 1)
    assert data.items.id_of(int(steered.items[0])) in ("b1", "b2")
