"""Transitions: counted next-item steps, updated online and forgotten exactly."""

from __future__ import annotations

import numpy as np

from pulserec.core.interactions import Interactions
from pulserec.core.types import Event, EventType
from pulserec.models.base import Query
from pulserec.models.sequence.transitions import Transitions
from tests.retrievers.test_sequential import _cycle_events


def test_the_next_item_of_a_cycle_ranks_first() -> None:
    data = Interactions.from_events(_cycle_events())
    model = Transitions().fit(data)
    i3, i4 = data.items.get("i3"), data.items.get("i4")
    assert i3 is not None and i4 is not None
    found = model.retrieve(Query(history=np.array([i3], dtype=np.int32)), 3)
    assert found.items[0] == i4


def test_update_equals_a_fit_on_everything_and_forget_a_fit_without_the_user() -> None:
    events = _cycle_events(n_users=20, length=10)
    late = [Event(e.user_id, e.item_id, e.type, e.timestamp + 100) for e in events[:25]]
    everything = Interactions.from_events([*events, *late])
    first = everything.select(np.arange(len(events)))
    online = Transitions().fit(first)
    online.update(everything.select(np.arange(len(events), len(everything))))
    full = Transitions().fit(everything)
    assert np.allclose(online.counts_.toarray(), full.counts_.toarray())
    users = np.arange(everything.n_users, dtype=np.int32)
    assert np.array_equal(online.score(users), full.score(users))

    gone = everything.users.get("u1")
    assert gone is not None
    full.forget(np.array([gone], dtype=np.int32))
    without = Transitions().fit(everything.select(everything.user_idx != gone))
    assert np.allclose(full.counts_.toarray(), without.counts_.toarray())
    assert not np.isfinite(full.score(np.array([gone], dtype=np.int32))).any()


def test_negative_events_are_not_steps() -> None:
    events = [
        Event("u", "a", EventType.CLICK, 1.0),
        Event("u", "b", EventType.SKIP, 2.0),
        Event("u", "c", EventType.CLICK, 3.0),
    ]
    data = Interactions.from_events(events)
    model = Transitions().fit(data)
    a, b, c = (data.items.get(i) for i in "abc")
    assert model.counts_[a, c] > 0 and model.counts_[a, b] == 0


def test_a_request_reads_the_counts_waiting_beside_the_matrix_as_merged() -> None:
    events = _cycle_events(n_users=20, length=10)
    late = [Event(e.user_id, e.item_id, e.type, e.timestamp + 100) for e in events[:40]]
    everything = Interactions.from_events([*events, *late])
    online = Transitions().fit(everything.select(np.arange(len(events))))
    online.update(everything.select(np.arange(len(events), len(everything))))
    assert online._pending  # the new counts wait beside the matrix
    full = Transitions().fit(everything)
    for user in range(everything.n_users):
        waiting = online.query_row(Query(user=user))
        merged = full.score(np.array([user], dtype=np.int32))[0]
        assert np.array_equal(np.isfinite(waiting), np.isfinite(merged))
        assert np.allclose(waiting[np.isfinite(waiting)], merged[np.isfinite(merged)], rtol=1e-5)
    assert online._pending  # reading merged nothing


def test_a_served_users_row_moved_per_event_equals_the_row_read_in_full() -> None:
    events = _cycle_events(n_users=30, length=12)
    data = Interactions.from_events(events)
    model = Transitions(recent=5).fit(data)
    rng = np.random.default_rng(4)
    history: list[int] = []
    for step in range(60):
        history.append(int(rng.integers(0, data.n_items)))
        if step % 13 == 12:
            history = history[2:]  # not one more item: read in full
        window = np.array(history[-40:], dtype=np.int32)  # a capped history slides too
        moved = model.query_row(Query(history=window, owner=9))
        whole = model.query_row(Query(history=window))
        assert np.array_equal(np.isfinite(moved), np.isfinite(whole))
        finite = np.isfinite(whole)
        np.testing.assert_allclose(moved[finite], whole[finite], rtol=1e-5)
    kept = model._kept_of[1]
    assert kept.get(9) is not None


def test_a_kept_row_decays_when_the_new_item_leads_nowhere() -> None:
    """One more item without any transition of its own: every earlier weight decays by one
    step and nothing is added, which the kept row must follow too."""
    steps = [("a", "b"), ("b", "c"), ("c", "a"), ("a", "c")]
    events = [
        Event(f"u{n}", item, EventType.CLICK, float(10 * n + k))
        for n, pair in enumerate(steps * 3)
        for k, item in enumerate(pair)
    ]
    events.append(Event("late", "z", EventType.CLICK, 1_000.0))  # z never leads anywhere
    data = Interactions.from_events(events)
    model = Transitions(recent=5).fit(data)
    a, b, z = (data.items.get(i) for i in ("a", "b", "z"))
    assert a is not None and b is not None and z is not None
    assert model.totals_[z] == 0
    first = np.array([a, b], dtype=np.int32)
    model.query_row(Query(history=first, owner=1))
    longer = np.array([a, b, z], dtype=np.int32)
    moved = model.query_row(Query(history=longer, owner=1))
    whole = model.query_row(Query(history=longer))
    np.testing.assert_allclose(moved, whole, rtol=1e-6)
