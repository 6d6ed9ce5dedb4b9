"""The sequence retriever learns what follows what, and conditions on the newest click."""

from __future__ import annotations

import numpy as np
import pytest

from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.core.types import Event, EventType
from pulserec.models.base import Query
from pulserec.models.sequence.sequential import SequenceRetriever, user_sequences


def _cycle_events(n_users: int = 40, n_items: int = 12, length: int = 15) -> list[Event]:
    """Every user walks the items in a fixed cycle from a random start: i -> i+1 -> i+2."""
    rng = np.random.default_rng(0)
    events = []
    for user in range(n_users):
        start = int(rng.integers(n_items))
        for step in range(length):
            item = (start + step) % n_items
            events.append(Event(f"u{user}", f"i{item}", EventType.CLICK, float(step)))
    return events


def test_user_sequences_are_time_ordered_and_skip_negatives() -> None:
    events = [
        Event("u", "b", EventType.CLICK, 2.0),
        Event("u", "a", EventType.CLICK, 1.0),
        Event("u", "x", EventType.SKIP, 3.0),
        Event("v", "a", EventType.VIEW, 1.0),
    ]
    data = Interactions.from_events(events)
    sequences = user_sequences(data)
    assert sequences[0] == [data.items.get("a") + 1, data.items.get("b") + 1]  # type: ignore[operator]
    assert len(sequences[1]) == 1


@pytest.fixture(scope="module")
def trained() -> tuple[SequenceRetriever, Interactions]:
    data = Interactions.from_events(_cycle_events())
    ids = [data.items.id_of(i) for i in range(data.n_items)]
    vectors = np.eye(data.n_items, 16, dtype=np.float32)
    model = SequenceRetriever(
        ItemVectors(ids, vectors), dim=16, heads=2, max_len=8, epochs=40, lr=5e-3, dropout=0.0
    )
    return model.fit(data), data


def test_it_predicts_the_next_item_of_the_cycle(
    trained: tuple[SequenceRetriever, Interactions],
) -> None:
    model, data = trained
    history = np.array([data.items.get(f"i{n}") for n in (3, 4, 5)], dtype=np.int32)
    result = model.retrieve(Query(user=-1, history=history), 1)
    assert data.items.id_of(int(result.items[0])) == "i6"


def test_update_conditions_on_the_newest_click(
    trained: tuple[SequenceRetriever, Interactions],
) -> None:
    model, data = trained
    user = data.users.get("u0") or 0
    before = model.retrieve(Query(user=user), 1).items[0]
    model.update(
        Interactions.from_events(
            [Event("u0", "i9", EventType.CLICK, 100.0)], data.users, data.items
        )
    )
    after = model.retrieve(Query(user=user), 1)
    assert data.items.id_of(int(after.items[0])) == "i10"
    assert after.items[0] != before or data.items.id_of(int(before)) == "i10"


def test_shapes_and_empty_history(trained: tuple[SequenceRetriever, Interactions]) -> None:
    model, data = trained
    scores = model.score(np.arange(3, dtype=np.int32))
    assert scores.shape == (3, data.n_items) and scores.dtype == np.float32
    assert len(model.retrieve(Query(user=-1), 5)) == 0
    with pytest.raises(ValueError, match="divisible"):
        SequenceRetriever(dim=10, heads=3)


def test_a_forgotten_user_leaves_the_sequences_and_the_kept_windows() -> None:
    data = Interactions.from_events(_cycle_events())
    model = SequenceRetriever(dim=16, heads=2, max_len=8, epochs=2).fit(data)
    user = data.users.get("u1")
    assert user is not None
    assert model.query_row(Query(user=user)) is not None
    assert user in model.scorer._kept  # the window kept for the next event
    history = np.array([data.items.get("i1"), data.items.get("i2")], dtype=np.int32)
    assert model.query_row(Query(history=history, owner=7)) is not None  # an engine's user
    assert len(model.scorer._kept) == 2
    model.forget(np.array([user], dtype=np.int32))
    assert model.sequences_[user] == [] and not model.scorer._kept
    assert model.query_row(Query(user=user)) is None


def test_a_model_saved_with_right_aligned_positions_loads_as_it_was_fitted() -> None:
    data = Interactions.from_events(_cycle_events())
    model = SequenceRetriever(dim=16, heads=2, max_len=8, epochs=2, positions="right").fit(data)
    params = {k: v for k, v in model.init_params().items() if k != "positions"}  # an old save
    loaded = SequenceRetriever.from_state(params, model.state(), items=data.items)
    assert loaded.module.aligned == "right"
    users = np.arange(data.n_users, dtype=np.int32)
    np.testing.assert_allclose(loaded.score(users), model.score(users), rtol=1e-6)
