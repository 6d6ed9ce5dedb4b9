"""The SQLite schema and statements of the embedded store (rows: :mod:`~.rows`)."""

from __future__ import annotations

from pulserec.storage.rows import EVENT_COLUMNS, ITEM_COLUMNS, USER_COLUMNS

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
