"""What every part of :class:`~pulserec.storage.sqlite.SqliteStore` stands on: the file and
its schema, one reading connection per thread, the single writing connection, and the write
transaction that logs its entries, raises the high-water mark and then calls the hooks."""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from pulserec.core.types import Event
from pulserec.storage import sqlite_schema as sql
from pulserec.storage import sqlite_tombstones as tombstones
from pulserec.storage.changelog import LOG_KEEP, CommitHook, HighWater, LogEntry, prune_horizon
from pulserec.storage.tombstones import SECRET_NAME

SYNC_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")


class SqliteCore:
    """The database at ``path`` (created with its schema when missing), its connections and
    write transactions; the store's methods are built on these."""

    def __init__(
        self, path: Path | str, synchronous: str = "FULL", log_keep: int = LOG_KEEP
    ) -> None:
        if synchronous.upper() not in SYNC_MODES:
            raise ValueError(f"synchronous must be one of {', '.join(SYNC_MODES)}")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._synchronous = synchronous.upper()
        self.log_keep = log_keep  # change log entries kept (storage.changelog)
        self._write_lock = threading.Lock()
        self._hooks: list[CommitHook] = []
        self._entries: list[LogEntry] = []  # this transaction's, for the hooks
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._writer = self._connect()
        self._high_water = HighWater(self.path.with_name(self.path.name + ".seq"))
        self._process_lock = self.path.with_name(self.path.name + ".lock").open("a")
        with self._write_lock:
            self._writer.executescript(sql.SCHEMA + tombstones.SCHEMA)
            found = self._writer.execute(sql.STORED_VERSION).fetchone()
            columns = {r[1] for r in self._writer.execute("PRAGMA table_info(events)")}
            if "impression_id" not in columns:  # a version-1 file
                self._writer.execute(sql.ADD_IMPRESSION_ID)
            if "attributes" not in columns:  # a version-1 or -2 file
                self._writer.execute(sql.ADD_EVENT_ATTRIBUTES)
            item_columns = {r[1] for r in self._writer.execute("PRAGMA table_info(items)")}
            if "expires_at" not in item_columns:
                for statement in sql.ADD_ITEM_WINDOW:
                    self._writer.execute(statement)
            user_columns = {r[1] for r in self._writer.execute("PRAGMA table_info(users)")}
            if "hidden" not in user_columns:
                self._writer.execute(sql.ADD_USER_HIDDEN)
            self._writer.execute("BEGIN IMMEDIATE")
            self._tomb_key = tombstones.key(self._writer, SECRET_NAME)
            if found is not None and int(found[0]) < 4:  # a file from before tombstones
                tombstones.backfill(self._writer, self._tomb_key)
            tombstones.tidy(self._writer)
            self._writer.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                (str(sql.SCHEMA_VERSION),),
            )
            self._writer.execute("COMMIT")

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self._synchronous}")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA temp_store=MEMORY")
        self._connections.append(conn)
        return conn

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, serialised across threads (a lock) and processes (``flock``
        on ``<db>.lock``, which wakes the next writer the moment it is released, where
        SQLite's own busy handler would sleep and retry)."""
        with self._write_lock:
            fcntl.flock(self._process_lock, fcntl.LOCK_EX)
            try:
                conn = self._writer
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            finally:
                fcntl.flock(self._process_lock, fcntl.LOCK_UN)
                committed, self._entries = self._entries, []
        if committed:  # reached only when the transaction committed
            for hook in self._hooks:
                hook(committed)

    def after_commit(self, hook: CommitHook) -> None:
        self._hooks.append(hook)

    def _log(
        self,
        conn: sqlite3.Connection,
        kind: str,
        payload: dict[str, Any],
        events: tuple[Event, ...] = (),
    ) -> int:
        """Append a log entry inside the open transaction and raise the high-water mark;
        returns its number."""
        cursor = conn.execute(sql.INSERT_CHANGE, (kind, orjson.dumps(payload).decode()))
        seq = int(cursor.lastrowid or 0)
        horizon = prune_horizon(seq, self.log_keep)
        if horizon is not None:
            conn.execute("DELETE FROM changes WHERE seq <= ?", (horizon,))
        self._high_water.write(seq)
        if self._hooks:
            self._entries.append(LogEntry(seq, kind, payload, events))
        return seq

    def close(self) -> None:
        with self._write_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
            self._high_water.close()
            self._process_lock.close()
