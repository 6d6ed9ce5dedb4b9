"""Every registered model fits any data set the store can hold: one item, one user, one event
(or none with an item), no text (or text for some items only), equal timestamps, ids deleted
(holes in the maps), negative feedback only. Fitted, it scores, retrieves, folds new events
in and saves.

A model that needs item text is not built without any (the engine skips it with that reason,
``engine/lifecycle/fitting.py``); every other combination must work with the registered
defaults, which is what a training runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from pulserec.artifacts import load_model, save_model
from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.core.types import Event
from pulserec.models import registry
from pulserec.models.base import Query

TYPES = ["view", "click", "cart", "purchase", "rating", "like", "dislike", "skip", "search"]


@dataclass(frozen=True)
class Tiny:
    """A small store's worth: the id maps (holes included), the events, the text vectors."""

    data: Interactions
    vectors: ItemVectors | None

    def __repr__(self) -> str:  # what hypothesis prints for a failing example
        d = self.data
        rows = list(
            zip(d.user_idx.tolist(), d.item_idx.tolist(), d.type_code.tolist(), strict=True)
        )
        text = None if self.vectors is None else self.vectors.ids
        return f"Tiny(users={d.n_users}, items={d.n_items}, events={rows}, text={text})"


@st.composite
def tiny(draw: st.DrawFn) -> Tiny:
    n_users = draw(st.integers(1, 3))
    n_items = draw(st.integers(1, 4))
    users, items = IdMap(f"u{u}" for u in range(n_users)), IdMap(f"i{i}" for i in range(n_items))
    events = []
    for _ in range(draw(st.integers(0, 6))):  # none: only itemless searches stored
        kind = draw(st.sampled_from(TYPES))
        value = float(draw(st.integers(0, 5))) if kind == "rating" else None
        events.append(
            Event(
                f"u{draw(st.integers(0, n_users - 1))}",
                f"i{draw(st.integers(0, n_items - 1))}",
                kind,
                float(draw(st.sampled_from([0.0, 1.0, 1e9]))),  # equal stamps are common
                value=value,
            )
        )
    # ids in the maps with no event left: a deleted user or item is a hole at its index
    if draw(st.booleans()):
        users.remove(users.id_of(users.add("gone-user")))
    if draw(st.booleans()):
        items.remove(items.id_of(items.add("gone-item")))
    data = Interactions.from_events(events, users, items)
    with_text = draw(st.lists(st.integers(0, n_items - 1), unique=True, max_size=n_items))
    vectors = None
    if with_text:
        rng = np.random.default_rng(draw(st.integers(0, 3)))
        matrix = rng.normal(size=(len(with_text), 8)).astype(np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        vectors = ItemVectors([f"i{i}" for i in with_text], matrix)
    return Tiny(data, vectors)


def _check(name: str, case: Tiny) -> None:
    spec = registry.MODELS[name]
    if spec.needs_vectors and case.vectors is None:
        return  # skipped by the engine, with the reason, before it is built
    data = case.data
    model = registry.make_model(name, vectors=case.vectors)
    assert model.fit(data) is model
    users = np.arange(data.n_users + 1, dtype=np.int32)  # one beyond the fit
    scores = model.score(users)
    assert scores.shape == (len(users), data.n_items) and not np.isnan(scores).any()
    history = np.unique(data.item_idx)
    for query in (
        Query(user=0),
        Query(user=0, exclude=history),
        Query(user=-1, history=history),
        Query(user=data.n_users + 3),
    ):
        found = model.retrieve(query, 10)
        assert len(found) <= data.n_items and not np.isnan(found.scores).any()
    more = Interactions.from_events(
        [Event("u0", "i0", "click", 2e9), Event("late", "new", "click", 2e9)],
        data.users,
        data.items,
    )
    model.update(more)
    assert model.score(users).shape == (len(users), data.n_items)
    with TemporaryDirectory() as folder:
        save_model(model, name, spec.defaults, Path(folder))
        restored = load_model(Path(folder))
        restored.retrieve(Query(user=0), 10)


@pytest.mark.parametrize("name", registry.names())
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=tiny())
def test_every_model_fits_any_tiny_data_set(name: str, case: Tiny) -> None:
    _check(name, case)


@pytest.mark.parametrize("name", registry.names())
def test_one_user_one_item_one_event(name: str) -> None:
    """The smallest store: what a young deployment trains on first (the sequence model used
    to raise IndexError on it)."""
    data = Interactions.from_events([Event("u0", "i0", "click", 0.0)])
    vectors = ItemVectors(["i0"], np.ones((1, 8), np.float32) / np.sqrt(8))
    _check(name, Tiny(data, vectors))
