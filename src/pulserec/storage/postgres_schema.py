"""The PostgreSQL schema and statements of :class:`~pulserec.storage.postgres.PostgresStore`.

``heads`` is one row holding the change log's and the event sequence's last numbers. Every
write transaction locks it first (``FOR UPDATE``) and writes it back before committing, so
writers are serialised and a number is handed out only by a transaction that commits: log
numbers are gapless and in commit order, which a PostgreSQL sequence is not (a reader tailing
a ``BIGSERIAL`` can pass a row whose transaction commits late).
"""

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
SCHEMA_LOCK = 7_364_512  # pg_advisory_xact_lock key: one process creates the schema at a time

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS heads (
    one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    log_seq BIGINT NOT NULL DEFAULT 0,
    event_seq BIGINT NOT NULL DEFAULT 0,
    schema_version INTEGER NOT NULL
);
INSERT INTO heads (one, schema_version) VALUES (TRUE, {SCHEMA_VERSION}) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS items (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    title TEXT,
    description TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    categories TEXT NOT NULL DEFAULT '[]',
    attributes TEXT NOT NULL DEFAULT '{{}}',
    hidden INTEGER NOT NULL DEFAULT 0,
    placeholder INTEGER NOT NULL DEFAULT 0,
    timestamp DOUBLE PRECISION
);
CREATE TABLE IF NOT EXISTS users (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    attributes TEXT NOT NULL DEFAULT '{{}}',
    preferences TEXT
);
CREATE TABLE IF NOT EXISTS events (
    seq BIGINT PRIMARY KEY,
    event_id TEXT UNIQUE,
    user_id TEXT NOT NULL,
    item_id TEXT,
    type TEXT NOT NULL,
    value DOUBLE PRECISION,
    timestamp DOUBLE PRECISION NOT NULL,
    query TEXT
);
ALTER TABLE events ADD COLUMN IF NOT EXISTS impression_id TEXT;
ALTER TABLE events ADD COLUMN IF NOT EXISTS attributes TEXT;
ALTER TABLE items ADD COLUMN IF NOT EXISTS available_from DOUBLE PRECISION;
ALTER TABLE items ADD COLUMN IF NOT EXISTS expires_at DOUBLE PRECISION;
ALTER TABLE users ADD COLUMN IF NOT EXISTS hidden TEXT;
CREATE INDEX IF NOT EXISTS events_by_user ON events (user_id, timestamp, seq);
CREATE TABLE IF NOT EXISTS changes (
    seq BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS item_vectors (id TEXT PRIMARY KEY, vector BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS user_vectors (id TEXT PRIMARY KEY, vector BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS experiments (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    started_at DOUBLE PRECISION NOT NULL,
    stopped_at DOUBLE PRECISION
);
CREATE TABLE IF NOT EXISTS impressions (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    experiment TEXT NOT NULL,
    variant TEXT NOT NULL,
    user_id TEXT NOT NULL,
    timestamp DOUBLE PRECISION NOT NULL,
    items TEXT NOT NULL,
    teams TEXT NOT NULL,
    took_ms DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS impressions_by_experiment ON impressions (experiment, seq);
CREATE INDEX IF NOT EXISTS impressions_by_user ON impressions (user_id);
"""

LOCK_HEADS = "SELECT log_seq, event_seq FROM heads FOR UPDATE"
# run after LOCK_HEADS in the same transaction: a statement of its own, so its snapshot holds
# every write committed before the lock was granted
EXISTING = """
SELECT ARRAY(SELECT event_id FROM events WHERE event_id = ANY(%(ids)s::text[])),
       ARRAY(SELECT id FROM users WHERE id = ANY(%(users)s::text[])),
       ARRAY(SELECT id FROM items WHERE id = ANY(%(items)s::text[])),
       ARRAY(SELECT hash FROM tombstones
             WHERE hash = ANY(%(hashes)s::text[]) AND deleted_at >= %(since)s)
"""
INSERT_EVENTS = f"""
WITH new_users AS (
    INSERT INTO users (id) SELECT unnest(%(users)s::text[]) ON CONFLICT DO NOTHING
), placeholders AS (
    INSERT INTO items (id, placeholder, timestamp)
    SELECT id, 1, ts FROM unnest(%(placeholder_ids)s::text[], %(placeholder_ts)s::float8[])
        AS p (id, ts)
    ON CONFLICT DO NOTHING
)
INSERT INTO events (seq, {EVENT_COLUMNS})
SELECT * FROM unnest(%(seq)s::bigint[], %(event_id)s::text[], %(user_id)s::text[],
    %(item_id)s::text[], %(type)s::text[], %(value)s::float8[], %(timestamp)s::float8[],
    %(query)s::text[], %(impression_id)s::text[], %(attributes)s::text[])
"""
LOG_AND_HEADS = """
WITH logged AS (
    INSERT INTO changes (seq, kind, payload)
    SELECT * FROM unnest(%(seq)s::bigint[], %(kind)s::text[], %(payload)s::text[])
)
UPDATE heads SET log_seq = %(log_seq)s, event_seq = %(event_seq)s
"""
HEADS = "SELECT log_seq, event_seq FROM heads"
LOG_SEQ = "SELECT log_seq FROM heads"

UPSERT_ITEM = f"""
INSERT INTO items ({ITEM_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (id) DO UPDATE SET
    title = excluded.title, description = excluded.description, tags = excluded.tags,
    categories = excluded.categories, attributes = excluded.attributes, hidden = excluded.hidden,
    placeholder = excluded.placeholder, timestamp = excluded.timestamp,
    available_from = excluded.available_from, expires_at = excluded.expires_at
"""
UPSERT_USER = f"""
INSERT INTO users ({USER_COLUMNS}) VALUES (%s, %s, %s, %s)
ON CONFLICT (id) DO UPDATE SET attributes = excluded.attributes, preferences = excluded.preferences,
    hidden = COALESCE(excluded.hidden, users.hidden)
"""
# ids matched with ASCII letters folded only, as the other stores do (lower() folds Unicode)
ASCII_FOLDED_ID = "translate(id, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"

INSERT_EXPERIMENT = f"INSERT INTO experiments ({EXPERIMENT_COLUMNS}) VALUES (%s, %s, %s, %s)"
EXPERIMENTS = f"SELECT {EXPERIMENT_COLUMNS} FROM experiments ORDER BY seq"
STOP_EXPERIMENT = "UPDATE experiments SET stopped_at = %s WHERE id = %s AND stopped_at IS NULL"
INSERT_IMPRESSIONS = f"""
INSERT INTO impressions ({IMPRESSION_COLUMNS})
SELECT * FROM unnest(%(id)s::text[], %(experiment)s::text[], %(variant)s::text[],
    %(user_id)s::text[], %(timestamp)s::float8[], %(items)s::text[], %(teams)s::text[],
    %(took_ms)s::float8[])
ON CONFLICT (id) DO NOTHING
"""
IMPRESSIONS_OF = f"SELECT {IMPRESSION_COLUMNS} FROM impressions WHERE experiment = %s ORDER BY seq"
USER_IMPRESSIONS = f"SELECT {IMPRESSION_COLUMNS} FROM impressions WHERE user_id = %s ORDER BY seq"
EXPERIMENT_EVENTS = f"""
SELECT {EVENT_COLUMNS} FROM events
WHERE user_id IN (SELECT DISTINCT user_id FROM impressions WHERE experiment = %s)
  AND timestamp >= %s
ORDER BY seq
"""
EXPERIMENT = f"SELECT {EXPERIMENT_COLUMNS} FROM experiments WHERE id = %s"
