"""A data dir or database from before tombstones (schema 3): opening it gives every user its
change log says was deleted (and who has not come back) a tombstone, and their id leaves the
log's payloads at once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson

from pulserec.core.types import Event, EventType, User
from pulserec.storage import SqliteStore, Store
from pulserec.storage.postgres import PostgresStore
from pulserec.testing.engines import Postgres

OLD_USERS_ENTRY = '{"ids":["gone","back","kept"]}'


def _fill(store: Store) -> None:
    store.upsert_users([User("gone"), User("back"), User("kept")])
    store.delete_user("gone")
    store.delete_user("back")
    store.upsert_users([User("back")], restore=True)  # came back: no tombstone for them


def _check(store: Store) -> None:
    assert store.forgotten(["gone", "back", "kept"]) == {"gone"}
    payloads = [orjson.dumps(e.payload) for e in store.entries(0, 100)]
    assert not any(b'"gone"' in p for p in payloads)
    click = Event("gone", "i", EventType.CLICK, 1.0, event_id="e1")
    assert store.append_events([click]).forgotten == (0,)


def test_an_old_sqlite_file_gets_tombstones_for_its_deleted_users(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    store = SqliteStore(path)
    _fill(store)
    store.close()
    with sqlite3.connect(path) as raw:  # as a schema-3 file left it
        raw.execute("DROP TABLE tombstones")
        raw.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
        raw.execute("UPDATE changes SET payload = ? WHERE seq = 1", (OLD_USERS_ENTRY,))
        raw.execute('UPDATE changes SET payload = \'{"id":"gone"}\' WHERE seq = 2')
    reopened = SqliteStore(path)
    try:
        _check(reopened)
    finally:
        reopened.close()


def test_an_old_postgres_database_gets_tombstones_for_its_deleted_users(
    postgres: Postgres,
) -> None:
    url = postgres.database()
    store = PostgresStore(url)
    _fill(store)
    with store._writes.connection() as conn, conn.transaction():  # as schema 3 left it
        conn.execute("DROP TABLE tombstones")
        conn.execute("UPDATE heads SET schema_version = 3")
        conn.execute("UPDATE changes SET payload = %s WHERE seq = 1", (OLD_USERS_ENTRY,))
        conn.execute('UPDATE changes SET payload = \'{"id":"gone"}\' WHERE seq = 2')
    store.close()
    reopened = PostgresStore(url)
    try:
        _check(reopened)
    finally:
        reopened.close()
