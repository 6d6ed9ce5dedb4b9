"""Tombstones in the PostgreSQL store (:mod:`~.tombstones`): each function runs on the cursor of
the caller's open write transaction (or a reading connection)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from typing import Any

import orjson
import psycopg

from pulserec.storage.changelog import DELETE_USER
from pulserec.storage.tombstones import (
    LOG_ID_KEEP_S,
    TOMBSTONE_RETENTION_S,
    hashed_delete,
    hashes,
    quoted,
    tombstone_hash,
    without_id,
)

VERSION = 4  # heads.schema_version from which tombstones exist
SCHEMA = """
CREATE TABLE IF NOT EXISTS tombstones (
    hash TEXT PRIMARY KEY,
    deleted_at DOUBLE PRECISION NOT NULL,
    log_seq BIGINT
);
CREATE INDEX IF NOT EXISTS tombstones_holding_ids ON tombstones (deleted_at)
    WHERE log_seq IS NOT NULL;
CREATE INDEX IF NOT EXISTS changes_with_user_ids ON changes (seq) WHERE kind = 'users';
"""
LIVE = """SELECT ARRAY(SELECT hash FROM tombstones
    WHERE hash = ANY(%(hashes)s::text[]) AND deleted_at >= %(since)s)"""

Cursor = psycopg.Cursor[Any] | psycopg.Connection[Any]


def key(cursor: Cursor, name: str) -> bytes:
    """The store secret ``name`` (created here when missing)."""
    meta = f"secret:{name}"
    cursor.execute(
        "INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO NOTHING",
        (meta, secrets.token_bytes(32).hex()),
    )
    row = cursor.execute("SELECT value FROM meta WHERE key = %s", (meta,)).fetchone()
    assert row is not None
    return bytes.fromhex(str(row[0]))


def since() -> float:
    """The oldest deletion time whose tombstone still holds."""
    return time.time() - TOMBSTONE_RETENTION_S


def dead(cursor: Cursor, secret: bytes, user_ids: Sequence[str]) -> set[str]:
    """Which of ``user_ids`` have a live tombstone."""
    by_hash = hashes(secret, user_ids)
    if not by_hash:
        return set()
    row = cursor.execute(LIVE, {"hashes": list(by_hash), "since": since()}).fetchone()
    return {by_hash[h] for h in (row[0] if row else [])}


def lift(cursor: Cursor, secret: bytes, user_ids: Sequence[str]) -> None:
    """Remove the tombstones of ``user_ids`` (their delete entries are hashed at once)."""
    digests = list(hashes(secret, user_ids))
    if digests:
        _hash_entries(cursor, float("inf"), digests)
        cursor.execute("DELETE FROM tombstones WHERE hash = ANY(%s)", (digests,))


def bury(cursor: Cursor, secret: bytes, user_id: str, log_seq: int | None) -> None:
    """Leave the tombstone of ``user_id`` (deleted now, by entry ``log_seq``), take the id out
    of every ``users`` entry, then :func:`tidy`."""
    rows = cursor.execute(
        "SELECT seq, payload FROM changes WHERE kind = 'users' AND strpos(payload, %s) > 0",
        (quoted(user_id),),
    ).fetchall()
    for seq, payload in rows:
        scrubbed = without_id(payload, user_id)
        if scrubbed is not None:
            cursor.execute("UPDATE changes SET payload = %s WHERE seq = %s", (scrubbed, seq))
    digest = tombstone_hash(secret, user_id)
    _hash_entries(cursor, float("inf"), [digest])  # an earlier deletion of the same id
    cursor.execute(
        "INSERT INTO tombstones VALUES (%s, %s, %s) ON CONFLICT (hash) DO UPDATE"
        " SET deleted_at = excluded.deleted_at, log_seq = excluded.log_seq",
        (digest, time.time(), log_seq),
    )
    tidy(cursor)


def tidy(cursor: Cursor) -> None:
    """Purge expired tombstones; hash the id of ``delete_user`` entries past ``LOG_ID_KEEP_S``."""
    cursor.execute("DELETE FROM tombstones WHERE deleted_at < %s", (since(),))
    _hash_entries(cursor, time.time() - LOG_ID_KEEP_S)


def _hash_entries(cursor: Cursor, before: float, only: list[str] | None = None) -> None:
    query = "SELECT hash, log_seq FROM tombstones WHERE log_seq IS NOT NULL AND deleted_at < %s"
    params: tuple[Any, ...] = (before,)
    if only is not None:
        query, params = query + " AND hash = ANY(%s)", (before, only)
    for digest, seq in cursor.execute(query, params).fetchall():
        payload = orjson.dumps(hashed_delete(digest)).decode()
        cursor.execute(
            "UPDATE changes SET payload = %s WHERE seq = %s AND kind = %s",
            (payload, seq, DELETE_USER),
        )
        cursor.execute("UPDATE tombstones SET log_seq = NULL WHERE hash = %s", (digest,))


def backfill(cursor: Cursor, secret: bytes) -> None:
    """A database from before tombstones: every user its log says was deleted, and who has not
    come back since, gets a tombstone (dated now), and the log holds their id no more."""
    rows = cursor.execute(
        "SELECT seq, payload FROM changes WHERE kind = %s ORDER BY seq", (DELETE_USER,)
    ).fetchall()
    named = [(int(seq), str(orjson.loads(payload).get("id") or "")) for seq, payload in rows]
    ids = list({u for _, u in named if u})
    found = cursor.execute("SELECT id FROM users WHERE id = ANY(%s)", (ids,)).fetchall()
    back = {r[0] for r in found}
    for seq, user_id in named:
        if user_id and user_id not in back:
            bury(cursor, secret, user_id, seq)
    _hash_entries(cursor, float("inf"))
