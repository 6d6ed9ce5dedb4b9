"""Tombstones in the embedded store (:mod:`~.tombstones`): each function runs inside the caller's
open write transaction or on a reader."""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Sequence

import orjson

from pulserec.storage.changelog import DELETE_USER
from pulserec.storage.sqlite_queries import existing
from pulserec.storage.tombstones import (
    LOG_ID_KEEP_S,
    TOMBSTONE_RETENTION_S,
    hashed_delete,
    hashes,
    quoted,
    tombstone_hash,
    without_id,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS tombstones (
    hash TEXT PRIMARY KEY,
    deleted_at REAL NOT NULL,
    log_seq INTEGER
);
CREATE INDEX IF NOT EXISTS tombstones_holding_ids ON tombstones (deleted_at)
    WHERE log_seq IS NOT NULL;
CREATE INDEX IF NOT EXISTS changes_with_user_ids ON changes (seq) WHERE kind = 'users';
"""


def key(conn: sqlite3.Connection, name: str) -> bytes:
    """The store secret ``name`` (created here when missing; the caller holds the writer)."""
    meta = f"secret:{name}"
    fresh = secrets.token_bytes(32).hex()
    conn.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (meta, fresh))
    (value,) = conn.execute("SELECT value FROM meta WHERE key = ?", (meta,)).fetchone()
    return bytes.fromhex(value)


def dead(conn: sqlite3.Connection, secret: bytes, user_ids: Sequence[str]) -> set[str]:
    """Which of ``user_ids`` have a live tombstone (no hashing at all while nobody has one: a
    store where nobody was deleted pays one indexed probe per write)."""
    if conn.execute("SELECT 1 FROM tombstones LIMIT 1").fetchone() is None:
        return set()
    by_hash = hashes(secret, user_ids)
    since = time.time() - TOMBSTONE_RETENTION_S
    query = f"SELECT hash FROM tombstones WHERE deleted_at >= {since!r} AND hash IN ({{}})"
    return {by_hash[h] for h in existing(conn, query, list(by_hash))}


def lift(conn: sqlite3.Connection, secret: bytes, user_ids: Sequence[str]) -> None:
    """Remove the tombstones of ``user_ids`` (an explicit re-creation; their delete entries
    are hashed at once)."""
    rows = [(h,) for h in hashes(secret, user_ids)]
    _hash_entries(conn, float("inf"), rows)
    conn.executemany("DELETE FROM tombstones WHERE hash = ?", rows)


def bury(conn: sqlite3.Connection, secret: bytes, user_id: str, log_seq: int | None) -> None:
    """Leave the tombstone of ``user_id`` (deleted now, by log entry ``log_seq``), take the id
    out of every ``users`` entry, then :func:`tidy`."""
    rows = conn.execute(
        "SELECT seq, payload FROM changes WHERE kind = 'users' AND instr(payload, ?) > 0",
        (quoted(user_id),),
    ).fetchall()
    for seq, payload in rows:
        scrubbed = without_id(payload, user_id)
        if scrubbed is not None:
            conn.execute("UPDATE changes SET payload = ? WHERE seq = ?", (scrubbed, seq))
    digest = tombstone_hash(secret, user_id)
    _hash_entries(conn, float("inf"), [(digest,)])  # an earlier deletion of the same id
    conn.execute(
        "INSERT OR REPLACE INTO tombstones VALUES (?, ?, ?)", (digest, time.time(), log_seq)
    )
    tidy(conn)


def tidy(conn: sqlite3.Connection) -> None:
    """Purge expired tombstones; hash the id of ``delete_user`` entries older than
    ``LOG_ID_KEEP_S``."""
    now = time.time()
    conn.execute("DELETE FROM tombstones WHERE deleted_at < ?", (now - TOMBSTONE_RETENTION_S,))
    _hash_entries(conn, now - LOG_ID_KEEP_S)


def _hash_entries(
    conn: sqlite3.Connection, before: float, only: list[tuple[str]] | None = None
) -> None:
    """Rewrite the ``delete_user`` entries of tombstones older than ``before`` (of the hashes
    ``only``, if given) to :func:`hashed_delete`."""
    query = "SELECT hash, log_seq FROM tombstones WHERE log_seq IS NOT NULL AND deleted_at < ?"
    if only is None:
        old = conn.execute(query, (before,)).fetchall()
    else:
        old = [r for h in only for r in conn.execute(query + " AND hash = ?", (before, h[0]))]
    for digest, seq in old:
        payload = orjson.dumps(hashed_delete(digest)).decode()
        conn.execute(
            "UPDATE changes SET payload = ? WHERE seq = ? AND kind = ?", (payload, seq, DELETE_USER)
        )
        conn.execute("UPDATE tombstones SET log_seq = NULL WHERE hash = ?", (digest,))


def backfill(conn: sqlite3.Connection, secret: bytes) -> None:
    """A file from before tombstones: every user its log says was deleted, and who has not come
    back since, gets a tombstone (dated now), and the log holds their id no more."""
    rows = conn.execute(
        "SELECT seq, payload FROM changes WHERE kind = ? ORDER BY seq", (DELETE_USER,)
    ).fetchall()
    named = [(int(seq), str(orjson.loads(payload).get("id") or "")) for seq, payload in rows]
    back = existing(conn, "SELECT id FROM users WHERE id IN ({})", [u for _, u in named if u])
    for seq, user_id in named:
        if user_id and user_id not in back:
            bury(conn, secret, user_id, seq)  # old deletions: followers applied them long ago
    _hash_entries(conn, float("inf"))
