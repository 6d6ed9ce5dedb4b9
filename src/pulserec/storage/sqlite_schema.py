"""The SQLite schema and statements of the embedded store (rows: :mod:`~.rows`)."""

from __future__ import annotations

from pulserec.storage.rows import (
    EVENT_COLUMNS,
    EXPERIMENT_COLUMNS,
    IMPRESSION_COLUMNS,
    ITEM_COLUMNS,
    USER_COLUMNS,
)

# 2: events.impression_id, experiments, impressions; 3: events.attributes; 4: tombstones
SCHEMA_VERSION = 4

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
    query TEXT,
    impression_id TEXT,
    attributes TEXT
);
CREATE INDEX IF NOT EXISTS events_by_user ON events (user_id, timestamp, seq);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS item_vectors (id TEXT PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS user_vectors (id TEXT PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS experiments (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    started_at REAL NOT NULL,
    stopped_at REAL
);
CREATE TABLE IF NOT EXISTS impressions (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    experiment TEXT NOT NULL,
    variant TEXT NOT NULL,
    user_id TEXT NOT NULL,
    timestamp REAL NOT NULL,
    items TEXT NOT NULL,
    teams TEXT NOT NULL,
    took_ms REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS impressions_by_experiment ON impressions (experiment, seq);
CREATE INDEX IF NOT EXISTS impressions_by_user ON impressions (user_id);
"""
# a version-1 file's events table, brought to version 2 (the other tables are created above)
ADD_IMPRESSION_ID = "ALTER TABLE events ADD COLUMN impression_id TEXT"
ADD_EVENT_ATTRIBUTES = "ALTER TABLE events ADD COLUMN attributes TEXT"
ADD_USER_HIDDEN = "ALTER TABLE users ADD COLUMN hidden TEXT"  # a file from before hidden items
ADD_ITEM_WINDOW = (  # a file from before items had an availability window
    "ALTER TABLE items ADD COLUMN available_from REAL",
    "ALTER TABLE items ADD COLUMN expires_at REAL",
)

UPSERT_ITEM = f"""
INSERT INTO items ({ITEM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    title = excluded.title, description = excluded.description, tags = excluded.tags,
    categories = excluded.categories, attributes = excluded.attributes, hidden = excluded.hidden,
    placeholder = excluded.placeholder, timestamp = excluded.timestamp,
    available_from = excluded.available_from, expires_at = excluded.expires_at
"""
UPSERT_USER = f"""
INSERT INTO users ({USER_COLUMNS}) VALUES (?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET attributes = excluded.attributes, preferences = excluded.preferences,
    hidden = COALESCE(excluded.hidden, users.hidden)
"""
INSERT_PLACEHOLDER = "INSERT OR IGNORE INTO items (id, placeholder, timestamp) VALUES (?, 1, ?)"
INSERT_BARE_USER = "INSERT OR IGNORE INTO users (id) VALUES (?)"
INSERT_EVENT = f"INSERT INTO events (seq, {EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
# the highest event sequence ever handed out, so a deleted last event's number is not reused
EVENT_SEQ = """
SELECT MAX(COALESCE((SELECT MAX(seq) FROM events), 0),
           COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'event_seq'), 0))
"""
SET_EVENT_SEQ = "INSERT OR REPLACE INTO meta VALUES ('event_seq', ?)"
STORED_VERSION = "SELECT value FROM meta WHERE key = 'schema_version'"
INSERT_CHANGE = "INSERT INTO changes (kind, payload) VALUES (?, ?)"
CUT = f"SELECT COALESCE((SELECT MAX(seq) FROM changes), 0), ({EVENT_SEQ})"

INSERT_EXPERIMENT = f"INSERT INTO experiments ({EXPERIMENT_COLUMNS}) VALUES (?, ?, ?, ?)"
EXPERIMENTS = f"SELECT {EXPERIMENT_COLUMNS} FROM experiments ORDER BY seq"
STOP_EXPERIMENT = "UPDATE experiments SET stopped_at = ? WHERE id = ? AND stopped_at IS NULL"
INSERT_IMPRESSION = (
    f"INSERT OR IGNORE INTO impressions ({IMPRESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
IMPRESSIONS_OF = f"SELECT {IMPRESSION_COLUMNS} FROM impressions WHERE experiment = ? ORDER BY seq"
USER_IMPRESSIONS = f"SELECT {IMPRESSION_COLUMNS} FROM impressions WHERE user_id = ? ORDER BY seq"
# every event since a time of the users an experiment showed lists to
EXPERIMENT_EVENTS = f"""
SELECT {EVENT_COLUMNS} FROM events
WHERE user_id IN (SELECT DISTINCT user_id FROM impressions WHERE experiment = ?)
  AND timestamp >= ?
ORDER BY seq
"""
EXPERIMENT = f"SELECT {EXPERIMENT_COLUMNS} FROM experiments WHERE id = ?"
