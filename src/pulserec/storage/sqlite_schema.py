"""The SQLite schema and the row <-> domain conversions of the embedded store."""

from __future__ import annotations

from typing import Any

import orjson

from pulserec.types import Event, EventType, Item, User

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    title TEXT,
    description TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    categories TEXT NOT NULL DEFAULT '[]',
    attributes TEXT NOT NULL DEFAULT '{}',
    hidden INTEGER NOT NULL DEFAULT 0,
    placeholder INTEGER NOT NULL DEFAULT 0,
    timestamp REAL
);
CREATE TABLE IF NOT EXISTS users (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    attributes TEXT NOT NULL DEFAULT '{}',
    preferences TEXT
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    event_id TEXT UNIQUE,
    user_id TEXT NOT NULL,
    item_id TEXT,
    type TEXT NOT NULL,
    value REAL,
    timestamp REAL NOT NULL,
    query TEXT
);
CREATE INDEX IF NOT EXISTS events_by_user ON events (user_id, timestamp, seq);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS item_vectors (id TEXT PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS user_vectors (id TEXT PRIMARY KEY, vector BLOB NOT NULL);
"""

ITEM_COLUMNS = (
    "id, title, description, tags, categories, attributes, hidden, placeholder, timestamp"
)
USER_COLUMNS = "id, attributes, preferences"
EVENT_COLUMNS = "event_id, user_id, item_id, type, value, timestamp, query"

UPSERT_ITEM = f"""
INSERT INTO items ({ITEM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    title = excluded.title, description = excluded.description, tags = excluded.tags,
    categories = excluded.categories, attributes = excluded.attributes, hidden = excluded.hidden,
    placeholder = excluded.placeholder, timestamp = excluded.timestamp
"""
UPSERT_USER = f"""
INSERT INTO users ({USER_COLUMNS}) VALUES (?, ?, ?)
ON CONFLICT (id) DO UPDATE SET attributes = excluded.attributes, preferences = excluded.preferences
"""
INSERT_PLACEHOLDER = "INSERT OR IGNORE INTO items (id, placeholder, timestamp) VALUES (?, 1, ?)"
INSERT_BARE_USER = "INSERT OR IGNORE INTO users (id) VALUES (?)"
INSERT_EVENT = f"INSERT INTO events (seq, {EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
# the highest event sequence ever handed out, so a deleted last event's number is not reused
EVENT_SEQ = """
SELECT MAX(COALESCE((SELECT MAX(seq) FROM events), 0),
           COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'event_seq'), 0))
"""
SET_EVENT_SEQ = "INSERT OR REPLACE INTO meta VALUES ('event_seq', ?)"
INSERT_CHANGE = "INSERT INTO changes (kind, payload) VALUES (?, ?)"
CUT = f"SELECT COALESCE((SELECT MAX(seq) FROM changes), 0), ({EVENT_SEQ})"


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
    )


def user_row(user: User) -> tuple[Any, ...]:
    return (user.id, _json(user.attributes), user.preferences)


def user_from_row(row: tuple[Any, ...]) -> User:
    return User(id=row[0], attributes=orjson.loads(row[1]), preferences=row[2])


def event_row(event: Event) -> tuple[Any, ...]:
    return (
        event.event_id,
        event.user_id,
        event.item_id,
        event.type.value,
        event.value,
        event.timestamp,
        event.query,
    )


def event_from_row(row: tuple[Any, ...]) -> Event:
    return Event(
        event_id=row[0],
        user_id=row[1],
        item_id=row[2],
        type=EventType(row[3]),
        value=row[4],
        timestamp=row[5],
        query=row[6],
    )
