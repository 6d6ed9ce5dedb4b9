"""Rows of the SQL stores (SQLite, PostgreSQL) <-> domain records: lists and attributes as JSON
text (exact round trips, key order kept), flags as integers."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from pulserec.core.event_types import as_type
from pulserec.core.types import Event, ExperimentRecord, Impression, Item, User

ITEM_COLUMNS = (
    "id, title, description, tags, categories, attributes, hidden, placeholder, timestamp, "
    "available_from, expires_at"
)
USER_COLUMNS = "id, attributes, preferences, hidden"
EVENT_COLUMNS = (
    "event_id, user_id, item_id, type, value, timestamp, query, impression_id, attributes"
)
IMPRESSION_COLUMNS = "id, experiment, variant, user_id, timestamp, items, teams, took_ms"
EXPERIMENT_COLUMNS = "id, definition, started_at, stopped_at"


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def item_row(item: Item) -> tuple[Any, ...]:
    return (
        item.id,
        item.title,
        item.description,
        _json(list(item.tags)),
        _json(list(item.categories)),
        _json(item.attributes),
        int(item.hidden),
        int(item.placeholder),
        item.timestamp,
        item.available_from,
        item.expires_at,
    )


def item_from_row(row: tuple[Any, ...]) -> Item:
    return Item(
        id=row[0],
        title=row[1],
        description=row[2],
        tags=tuple(orjson.loads(row[3])),
        categories=tuple(orjson.loads(row[4])),
        attributes=orjson.loads(row[5]),
        hidden=bool(row[6]),
        placeholder=bool(row[7]),
        timestamp=row[8],
        available_from=row[9],
        expires_at=row[10],
    )


def user_row(user: User) -> tuple[Any, ...]:
    hidden = None if user.hidden is None else _json(list(user.hidden))
    return (user.id, _json(user.attributes), user.preferences, hidden)


def user_from_row(row: tuple[Any, ...]) -> User:
    hidden = tuple(orjson.loads(row[3])) if row[3] else None  # None: none hidden
    return User(id=row[0], attributes=orjson.loads(row[1]), preferences=row[2], hidden=hidden)


def event_row(event: Event) -> tuple[Any, ...]:
    return (
        event.event_id,
        event.user_id,
        event.item_id,
        str(event.type),
        event.value,
        event.timestamp,
        event.query,
        event.impression_id,
        _json(event.attributes) if event.attributes else None,
    )


def event_from_row(row: tuple[Any, ...]) -> Event:
    return Event(
        event_id=row[0],
        user_id=row[1],
        item_id=row[2],
        type=as_type(row[3]),
        value=row[4],
        timestamp=row[5],
        query=row[6],
        impression_id=row[7] if len(row) > 7 else None,  # bus entries of older writers
        attributes=orjson.loads(row[8]) if len(row) > 8 and row[8] else {},
    )


def impression_row(impression: Impression) -> tuple[Any, ...]:
    return (
        impression.id,
        impression.experiment,
        impression.variant,
        impression.user_id,
        impression.timestamp,
        _json(list(impression.items)),
        _json(list(impression.teams)),
        impression.took_ms,
    )


def impression_from_row(row: tuple[Any, ...]) -> Impression:
    return Impression(
        id=row[0],
        experiment=row[1],
        variant=row[2],
        user_id=row[3],
        timestamp=row[4],
        items=tuple(orjson.loads(row[5])),
        teams=tuple(orjson.loads(row[6])),
        took_ms=row[7],
    )


def experiment_row(record: ExperimentRecord) -> tuple[Any, ...]:
    return (record.id, _json(record.definition), record.started_at, record.stopped_at)


def experiment_from_row(row: tuple[Any, ...]) -> ExperimentRecord:
    return ExperimentRecord(row[0], orjson.loads(row[1]), row[2], row[3])


def vector_rows(ids: list[str], vectors: list[Any]) -> tuple[list[tuple[str, bytes]], list[str]]:
    """Each id's vector as float32 bytes to keep, and the ids whose vector is None or NaN (no
    text: their stored vector goes)."""
    keep: list[tuple[str, bytes]] = []
    drop: list[str] = []
    for record_id, vector in zip(ids, vectors, strict=True):
        row = None if vector is None else np.asarray(vector, dtype=np.float32)
        if row is None or not row.size or np.isnan(row[0]):
            drop.append(record_id)
        else:
            keep.append((record_id, row.tobytes()))
    return keep, drop
