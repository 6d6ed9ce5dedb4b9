"""Which impression a click belongs to.

A ``click``, ``cart``, ``purchase`` or ``like`` of an item is attributed to one impression of
the same user that showed the item, at most ``WINDOW_S`` (24 h) before the event:
- the impression the event names (``impression_id``), when it showed the item;
- without an ``impression_id``, the user's most recent impression before the event that
  showed the item.
An event naming an impression that did not show the item, or another user's, is attributed to
nothing. An event naming its impression may be stamped up to ``SKEW_S`` before it (client
clocks).
An impression counts as clicked when at least one event is attributed to it; each item counts
once per impression however often it is clicked.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from pulserec.core.types import Event, EventType, Impression

WINDOW_S = 86_400.0
SKEW_S = 60.0
ATTRIBUTED = frozenset({EventType.CLICK, EventType.CART, EventType.PURCHASE, EventType.LIKE})


@dataclass(slots=True)
class Attribution:
    """What one pass of attribution found: the items clicked in each clicked impression, and
    when it was first clicked. The impressions clicked on the data up to any moment ``at`` are
    exactly those shown by ``at`` whose first click is by ``at`` (a click is only ever
    attributed to an impression shown before it, or up to ``SKEW_S`` after when it names it),
    so a report's history needs one attribution, not one per moment."""

    clicked: dict[str, set[str]] = field(default_factory=dict)
    first: dict[str, float] = field(default_factory=dict)

    def add(self, impression_id: str, event: Event) -> None:
        self.clicked.setdefault(impression_id, set()).add(str(event.item_id))
        if event.timestamp < self.first.get(impression_id, float("inf")):
            self.first[impression_id] = event.timestamp

    def drop(self, impression_ids: Iterable[str]) -> None:
        for impression_id in impression_ids:
            self.clicked.pop(impression_id, None)
            self.first.pop(impression_id, None)


def attribute_all(
    impressions: Sequence[Impression], events: Sequence[Event], into: Attribution | None = None
) -> Attribution:
    """Attribute ``events`` to ``impressions`` (into ``into``, else a new one)."""
    found = into if into is not None else Attribution()
    for target, event in _attributed(impressions, events):
        found.add(target, event)
    return found


def attribute(impressions: Sequence[Impression], events: Sequence[Event]) -> dict[str, set[str]]:
    """The items clicked in each impression: ``{impression id: {item ids}}`` (clicked ones
    only)."""
    return attribute_all(impressions, events).clicked


def _attributed(
    impressions: Sequence[Impression], events: Sequence[Event]
) -> Iterator[tuple[str, Event]]:
    """Each attributed event with the impression it belongs to."""
    by_id = {i.id: i for i in impressions}
    shown = {i.id: set(i.items) for i in impressions}
    timeline: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for impression in impressions:
        timeline[impression.user_id].append((impression.timestamp, impression.id))
    for entries in timeline.values():
        entries.sort()
    for event in events:
        if event.type not in ATTRIBUTED or event.item_id is None:
            continue
        target = _named(event, by_id, shown) if event.impression_id else None
        if event.impression_id is None:
            target = _latest(event, timeline.get(event.user_id, ()), shown)
        if target is not None:
            yield target, event


def _in_window(event: Event, shown_at: float) -> bool:
    return shown_at - SKEW_S <= event.timestamp <= shown_at + WINDOW_S


def _named(event: Event, by_id: dict[str, Impression], shown: dict[str, set[str]]) -> str | None:
    impression = by_id.get(event.impression_id or "")
    if impression is None or impression.user_id != event.user_id:
        return None
    if event.item_id not in shown[impression.id] or not _in_window(event, impression.timestamp):
        return None
    return impression.id


def _latest(
    event: Event, timeline: Sequence[tuple[float, str]], shown: dict[str, set[str]]
) -> str | None:
    """The user's most recent impression before the event (within the window) showing it."""
    end = bisect.bisect_right(timeline, (event.timestamp, "\uffff"))
    for at, impression_id in reversed(timeline[:end]):
        if at < event.timestamp - WINDOW_S:
            return None
        if event.item_id in shown[impression_id]:
            return impression_id
    return None
