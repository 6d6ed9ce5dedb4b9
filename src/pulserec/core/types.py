"""Domain types: items, users and events as immutable records.

These are the shapes every layer speaks (store, importers, API, models). They are plain frozen
dataclasses with slots; validation of untrusted input happens at the edge
(``pulserec.core.schemas``)
before one of these is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    """What a user did with an item (or, for ``search``, with the catalog)."""

    VIEW = "view"
    CLICK = "click"
    CART = "cart"
    PURCHASE = "purchase"
    RATING = "rating"
    LIKE = "like"
    DISLIKE = "dislike"
    SKIP = "skip"
    SEARCH = "search"


EVENT_TYPES: tuple[str, ...] = tuple(t.value for t in EventType)
MAX_RATING = 5.0


@dataclass(frozen=True, slots=True)
class Item:
    """A catalog entry. ``placeholder`` items were created by an event before their text arrived."""

    id: str
    title: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    attributes: dict[str, Any] = field(default_factory=dict)
    hidden: bool = False
    placeholder: bool = False
    timestamp: float | None = None
    available_from: float | None = None  # Unix seconds: served by no route before then
    expires_at: float | None = None  # Unix seconds: served by no route from then on

    @classmethod
    def placeholder_for(cls, item_id: str, timestamp: float | None = None) -> Item:
        """An item known only by its id, created when an event names an unknown item."""
        return cls(id=item_id, placeholder=True, timestamp=timestamp)


@dataclass(frozen=True, slots=True)
class User:
    """A person (or client) who receives recommendations."""

    id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    preferences: str | None = None
    # items never to show this user (POST /v1/users/{id}/hidden); None: leave as stored
    hidden: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """One interaction; ``item_id`` is None only for ``search``; ``timestamp`` in Unix seconds."""

    user_id: str
    item_id: str | None
    type: EventType | str  # a built-in type, or a deployment's own (pulserec.core.event_types)
    timestamp: float
    value: float | None = None
    query: str | None = None
    event_id: str | None = None
    impression_id: str | None = None  # the experiment impression it answers (attribution)
    attributes: dict[str, Any] = field(default_factory=dict)  # e.g. ms_played


@dataclass(frozen=True, slots=True)
class Impression:
    """One list shown to a user in an experiment: its variant, the items in order (with each
    item's team under interleaving: 0 the first variant, 1 the second), and the answer time."""

    id: str
    experiment: str
    variant: str
    user_id: str
    timestamp: float
    items: tuple[str, ...]
    teams: tuple[int, ...] = ()
    took_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class ExperimentRecord:
    """A stored experiment: its definition as accepted (JSON), when it started and stopped."""

    id: str
    definition: dict[str, Any]
    started_at: float
    stopped_at: float | None = None
