"""Reads do not take the write lock: an item deleted while a list is computed is left out of
it (never a KeyError from the id map, never a 500)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from pulserec.engine.runtime import Runtime
from pulserec.engine.serving import pipeline
from pulserec.engine.state.popularity import Popularity

Deleted = list[str]


def _delete_after(
    runtime: Runtime, compute: Callable[..., Any], pick: Callable[[Any], np.ndarray[Any, Any]]
) -> tuple[Callable[..., Any], Deleted]:
    """``compute`` wrapped to delete the items it found (all but one), as a concurrent
    ``DELETE /v1/items/{id}`` applied between ranking and answering would."""
    deleted: Deleted = []

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        found = compute(*args, **kwargs)
        items = runtime.engine.state.items
        for index in pick(found)[:-1].tolist():
            item_id = items.id_of_or_none(int(index))
            if item_id is not None and runtime.ingestor.delete_item(item_id):
                deleted.append(item_id)
        return found

    return wrapped, deleted


@pytest.mark.parametrize("explain", [False, True])
def test_items_deleted_while_a_users_list_is_ranked_are_left_out(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, explain: bool
) -> None:
    wrapped, deleted = _delete_after(runtime, pipeline.primary, lambda listed: listed[0][:5])
    monkeypatch.setattr(pipeline, "primary", wrapped)
    ranked = runtime.engine.recommend("u00", k=10, explain=explain)
    assert len(deleted) == 4
    assert ranked.items and not {r.id for r in ranked.items} & set(deleted)
    scores = [r.score for r in ranked.items]
    assert scores == sorted(scores, reverse=True)


def test_items_deleted_while_popular_is_ranked_are_left_out(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = runtime.engine.state

    def top(ranked: Popularity) -> np.ndarray[Any, Any]:
        return np.argsort(-ranked.key, kind="stable")[:3]

    wrapped, deleted = _delete_after(runtime, state.popularity, top)
    monkeypatch.setattr(state, "popularity", wrapped)
    ranked = runtime.engine.popular(5, "30d")
    assert len(deleted) == 2 and not {r.id for r in ranked.items} & set(deleted)
