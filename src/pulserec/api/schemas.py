"""Request bodies of the API and the JSON shapes of the records it returns."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from pulserec.core.schemas import EventIn, ItemIn, UserIn, format_timestamp
from pulserec.core.types import Event, Impression, Item, User


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ItemsBody(_Body):
    items: list[ItemIn] = Field(min_length=1)


class UsersBody(_Body):
    users: list[UserIn] = Field(min_length=1)


class EventsBody(_Body):
    events: list[EventIn] = Field(min_length=1)


def item_json(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "description": item.description,
        "tags": list(item.tags),
        "categories": list(item.categories),
        "attributes": item.attributes,
        "hidden": item.hidden,
        "placeholder": item.placeholder,
        "timestamp": format_timestamp(item.timestamp) if item.timestamp is not None else None,
        "available_from": _moment(item.available_from),
        "expires_at": _moment(item.expires_at),
    }


def _moment(seconds: float | None) -> str | None:
    return format_timestamp(seconds) if seconds is not None else None


def user_json(user: User, events: int) -> dict[str, Any]:
    return {
        "id": user.id,
        "attributes": user.attributes,
        "preferences": user.preferences,
        "events": events,
    }


def user_export_json(
    user: User,
    events: list[Event],
    impressions: Sequence[Impression] = (),
    preference_vector: npt.NDArray[np.float32] | None = None,
) -> dict[str, Any]:
    """``GET /v1/users/{id}/export``: the profile, stated preferences and their embedding, every
    event and every impression shown to them (arrival order), with the time of the export."""
    return {
        "user": {"id": user.id, "attributes": user.attributes},
        "preferences": user.preferences,
        "preference_vector": (
            None if preference_vector is None else [float(x) for x in preference_vector]
        ),
        "hidden": list(user.hidden or ()),
        "events": [event_json(e) for e in events],
        "impressions": [impression_json(i) for i in impressions],
        "exported_at": format_timestamp(time.time()),
    }


def impression_json(impression: Impression) -> dict[str, Any]:
    """One list an experiment showed (export): its items in order, and each one's team."""
    return {
        "impression_id": impression.id,
        "experiment": impression.experiment,
        "variant": impression.variant,
        "timestamp": format_timestamp(impression.timestamp),
        "items": list(impression.items),
        "teams": list(impression.teams),
    }


def event_json(event: Event) -> dict[str, Any]:
    out = _event_fields(event)
    if event.impression_id is not None:
        out["impression_id"] = event.impression_id
    if event.attributes:
        out["attributes"] = event.attributes
    return out


def _event_fields(event: Event) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "user_id": event.user_id,
        "item_id": event.item_id,
        "type": str(event.type),
        "value": event.value,
        "timestamp": format_timestamp(event.timestamp),
        "query": event.query,
    }
