"""The one path from events to the online state, for the startup load and the log applier.

A user's history and seen set (by the rules of :mod:`pulserec.core.feedback` and
:mod:`pulserec.engine.state.users`), trending, the event log and the private counts all move here,
so a worker that loads stored events at start holds what a worker that saw them live holds
(and, with differential privacy on, publishes the same numbers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pulserec.core.feedback import Feedback
from pulserec.core.interactions import Interactions

if TYPE_CHECKING:
    from pulserec.engine.state.online_state import OnlineState


def apply_events(
    state: OnlineState, data: Interactions, feedback: Feedback, *, replace: bool = False
) -> None:
    """Apply ``data`` (indexed by ``state``'s id maps) to ``state``. ``replace``: the events
    are every stored one up to a cut (a start), so users' states are rebuilt from them in one
    step; otherwise they follow what the state holds, one by one in arrival order."""
    signals = feedback.signals(data.type_code, data.value)
    weights = feedback.weights(data.type_code, data.value)
    if replace:
        state.user_states.load(data, signals, weights)
    else:
        for user, item, kind, value, signal, weight in zip(
            data.user_idx.tolist(),
            data.item_idx.tolist(),
            data.type_code.tolist(),
            data.value.tolist(),
            signals.tolist(),
            weights.tolist(),
            strict=True,
        ):
            state.user_states.add(user, item, kind, value, signal, weight)
    counted = feedback.engagement(data.type_code)
    users, items, stamps = data.user_idx[counted], data.item_idx[counted], data.timestamp[counted]
    state.trending.add(items, stamps)
    state.event_log.append(items, stamps, users)
    if state.private is not None:
        state.private.add(items, users, stamps)
