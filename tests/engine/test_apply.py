"""apply_events: the startup load (every stored event at once) and the log applier (batch by
batch) leave the same online state, private counts included (for a catalog whose items are
known before their events: a release draws noise for the items known when it is made)."""

from __future__ import annotations

import numpy as np

from pulserec.core.interactions import Interactions
from pulserec.core.types import Event, EventType
from pulserec.engine.config import EngineConfig
from pulserec.engine.state.apply import apply_events
from pulserec.engine.state.online_state import OnlineState

DAY = 86_400.0
KINDS = [EventType.CLICK, EventType.LIKE, EventType.VIEW, EventType.DISLIKE, EventType.PURCHASE]


def _events(n: int = 400, seed: int = 5) -> list[Event]:
    rng = np.random.default_rng(seed)
    stamp = 1_700_000_000.0
    out = []
    for _ in range(n):
        stamp += float(rng.integers(60, 4 * 3600))
        kind = KINDS[int(rng.integers(0, len(KINDS)))]
        out.append(Event(f"u{rng.integers(0, 12)}", f"i{rng.integers(0, 30)}", kind, stamp))
    return out


def _state() -> OnlineState:
    config = EngineConfig(models=(), dp_epsilon=1.0, dp_max_events=3, dp_release_s=DAY / 4)
    state = OnlineState(config, 8)
    state.items.add_many(f"i{n}" for n in range(30))  # the catalog, posted before the events
    state.make_private(b"k" * 32)
    return state


def _apply(state: OnlineState, events: list[Event], replace: bool) -> None:
    data = Interactions.from_events(events, state.users, state.items)
    apply_events(state, data, state.config.feedback, replace=replace)


def test_loading_at_once_equals_applying_batch_by_batch() -> None:
    events = _events()
    loaded, live = _state(), _state()
    _apply(loaded, events, replace=True)
    for start in range(0, len(events), 7):
        _apply(live, events[start : start + 7], replace=False)
    assert loaded.users.ids_of(range(len(loaded.users))) == live.users.ids_of(
        range(len(live.users))
    )
    for user in range(len(loaded.users)):
        assert loaded.user_states.history(user).tolist() == live.user_states.history(user).tolist()
        assert sorted(loaded.user_states.seen(user).tolist()) == sorted(
            live.user_states.seen(user).tolist()
        )
    assert len(loaded.event_log) == len(live.event_log)
    assert loaded.private is not None and live.private is not None
    assert loaded.private.releases == live.private.releases > 0
    n = len(loaded.items)
    np.testing.assert_array_equal(loaded.private.totals(n), live.private.totals(n))
    np.testing.assert_allclose(loaded.popularity(DAY).key, live.popularity(DAY).key)
