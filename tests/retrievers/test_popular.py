"""Popularity: plain counts, exact half-life decay from the newest event, incremental update."""

from __future__ import annotations

import numpy as np
import pytest

from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.types import Event, EventType
from pulserec.models.base import Query
from pulserec.models.cf.popular import SECONDS_PER_DAY, Popularity

DAY = SECONDS_PER_DAY


def batch(
    rows: list[tuple[str, int, float]], items: IdMap, kind: EventType = EventType.CLICK
) -> Interactions:
    events = [Event(user, f"i{item}", kind, day * DAY) for user, item, day in rows]
    return Interactions.from_events(events, IdMap(), items)


def items_map(n: int = 3) -> IdMap:
    return IdMap(f"i{j}" for j in range(n))


def test_plain_counts_ignore_time_and_negative_events() -> None:
    items = items_map()
    data = batch([("a", 0, 1.0), ("b", 0, 50.0), ("a", 1, 3.0)], items)
    model = Popularity().fit(data)
    np.testing.assert_array_equal(model.counts_, [2.0, 1.0, 0.0])
    model.update(batch([("c", 1, 9.0)], items, EventType.DISLIKE))
    np.testing.assert_array_equal(model.counts_, [2.0, 1.0, 0.0])


def test_half_life_math_is_exact() -> None:
    data = batch([("a", 0, 10.0), ("b", 1, 9.0), ("c", 1, 8.0)], items_map())
    model = Popularity(half_life_days=1.0).fit(data)
    # ages 0, 1 and 2 days from the newest event: weights 1, 1/2, 1/4
    assert model.counts_.tolist() == [1.0, 0.75, 0.0]
    assert model.reference_time_ == 10.0 * DAY


def test_newer_events_weigh_more() -> None:
    data = batch([("a", 0, 1.0), ("b", 1, 20.0)], items_map())
    model = Popularity(half_life_days=30.0).fit(data)
    assert model.retrieve(Query(), 2).items.tolist() == [1, 0]
    assert Popularity().fit(data).retrieve(Query(), 2).items.tolist() == [0, 1]  # a tie: by index


def test_update_rebases_on_the_newest_event_and_equals_one_fit() -> None:
    items = items_map()
    old = [("a", 0, 10.0), ("b", 1, 9.0), ("c", 1, 8.0)]
    new = [("d", 1, 12.0), ("e", 2, 11.0)]
    model = Popularity(half_life_days=1.0).fit(batch(old, items))
    model.update(batch(new, items))
    assert model.counts_.tolist() == [0.25, 0.75 * 0.25 + 1.0, 0.5]
    once = Popularity(half_life_days=1.0).fit(batch(old + new, items))
    np.testing.assert_allclose(model.counts_, once.counts_, rtol=1e-12)


def test_an_older_event_adds_its_decayed_weight_without_rebasing() -> None:
    items = items_map()
    model = Popularity(half_life_days=2.0).fit(batch([("a", 0, 10.0)], items))
    model.update(batch([("b", 1, 6.0)], items))
    assert model.counts_.tolist() == [1.0, 0.25, 0.0] and model.reference_time_ == 10.0 * DAY


def test_same_list_for_everyone_and_unseen_items_left_out() -> None:
    model = Popularity().fit(batch([("a", 0, 1.0), ("b", 0, 2.0), ("a", 1, 3.0)], items_map()))
    scores = model.score(np.array([0, 1, 99], dtype=np.int32))
    assert (scores == scores[0]).all()
    result = model.retrieve(Query(user=5, exclude=np.array([0], dtype=np.int32)), 10)
    assert result.items.tolist() == [1] and result.source == "pop"


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_invalid_half_life_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="half_life_days"):
        Popularity(half_life_days=bad)
