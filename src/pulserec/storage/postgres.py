"""A Store on PostgreSQL (``postgresql://user@host:port/db``), shared by replicas on many hosts.

Same contract as the embedded store (``tests/contracts/test_store_contract.py``): each write is
one transaction committed before the call returns; ``event_id`` is unique; the change log is
appended in the write's own transaction, numbered from the ``heads`` row every writer locks
first, so numbers are gapless and in commit order (see :mod:`~.postgres_schema`). Readers
reuse autocommit connections and retry once on one the server dropped; writers check theirs
before using it. A server that cannot be reached raises
:class:`~pulserec.storage.base.StoreUnavailable` (the API's 503 ``unavailable``).

Connections are kept by :class:`Connections` rather than psycopg_pool: that pool reconnects
in the background with an exponential backoff (1, 2, 4... s), so a server back after a restart
stayed unreachable to it for seconds; here a connection is made when one is needed and a
refused one fails at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import orjson
import psycopg

from pulserec.storage import postgres_schema as sql
from pulserec.storage import rows as convert
from pulserec.storage.base import (
    AppendResult,
    StoreCounts,
    StoreUnavailable,
    ascii_lower,
    dedupe_batch,
    referenced_ids,
)
from pulserec.storage.changelog import (
    DELETE_ITEM,
    DELETE_USER,
    EVENTS,
    ITEMS,
    USERS,
    CommitHook,
    Cut,
    LogEntry,
)
from pulserec.storage.rows import EVENT_COLUMNS, ITEM_COLUMNS, USER_COLUMNS
from pulserec.types import Event, Item, User

Floats = npt.NDArray[np.float32]
T = TypeVar("T")
CONNECT_TIMEOUT_S = 3
_UNREACHABLE = (psycopg.OperationalError,)


class Connections:
    """Up to ``limit`` connections to ``url``: idle ones are reused, new ones made on demand,
    broken ones dropped; a caller waits at most ``CONNECT_TIMEOUT_S`` for a free slot."""

    def __init__(self, url: str, limit: int, check: bool) -> None:
        self.url = url
        self.check = check
        self._idle: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(limit)

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        if not self._slots.acquire(timeout=CONNECT_TIMEOUT_S):
            raise StoreUnavailable(f"no free PostgreSQL connection in {CONNECT_TIMEOUT_S} s")
        try:
            conn = self._take()
            try:
                yield conn
            finally:
                self._give_back(conn)
        finally:
            self._slots.release()

    def _take(self) -> psycopg.Connection[Any]:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is not None and self.check:
            try:
                conn.execute("SELECT 1")
            except psycopg.OperationalError:
                conn.close()
                conn = None
        if conn is None:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        return conn

    def _give_back(self, conn: psycopg.Connection[Any]) -> None:
        idle = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        if conn.closed or conn.broken or not idle:
            conn.close()
            return
        with self._lock:
            self._idle.append(conn)

    def close(self) -> None:
        with self._lock:
            for conn in self._idle:
                conn.close()
            self._idle.clear()


@dataclass
class _Write:
    """One open write transaction: its cursor, the heads it moves and the entries it logs."""

    cursor: psycopg.Cursor[Any]
    log_seq: int
    event_seq: int
    entries: list[LogEntry] = field(default_factory=list)


class PostgresStore:
    """Store in the PostgreSQL database at ``url`` (its tables created when missing)."""

    def __init__(self, url: str, max_readers: int = 8, max_writers: int = 4) -> None:
        self.url = url
        self._hooks: list[CommitHook] = []
        self._closed = threading.Event()
        self._reads = Connections(url, max_readers, check=False)
        self._writes = Connections(url, max_writers, check=True)
        try:
            with self._writes.connection() as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (sql.SCHEMA_LOCK,))
                conn.execute(sql.SCHEMA.encode())
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"cannot reach PostgreSQL at {_safe(url)}: {exc}") from exc

    # -- connections ----------------------------------------------------------------------------
    def _read(self, query: Callable[[psycopg.Connection[Any]], T]) -> T:
        """``query`` on a reading connection; once more on a fresh one if the server dropped
        the first (a restart leaves every pooled connection broken)."""
        for attempt in (1, 2):
            try:
                with self._reads.connection() as conn:
                    return query(conn)
            except _UNREACHABLE as exc:
                if attempt == 2:
                    raise StoreUnavailable(f"PostgreSQL unreachable: {exc}") from exc
        raise AssertionError("unreachable")

    def _rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._read(lambda conn: conn.execute(statement, params).fetchall())

    def _one(self, statement: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        return self._read(lambda conn: conn.execute(statement, params).fetchone())

    @contextmanager
    def _transaction(self) -> Iterator[_Write]:
        """One write transaction holding the ``heads`` row: writers of every host run one at a
        time, and the entries it logs are handed to the hooks once it has committed."""
        try:
            with self._writes.connection() as conn, conn.transaction(), conn.cursor() as cursor:
                heads = cursor.execute(sql.LOCK_HEADS).fetchone()
                assert heads is not None
                write = _Write(cursor, int(heads[0]), int(heads[1]))
                yield write
                if write.entries:
                    cursor.execute(sql.SET_HEADS, (write.log_seq, write.event_seq))
        except _UNREACHABLE as exc:
            raise StoreUnavailable(f"PostgreSQL unreachable, nothing written: {exc}") from exc
        if write.entries:
            for hook in self._hooks:
                hook(write.entries)

    def _log(
        self, write: _Write, kind: str, payload: dict[str, Any], events: tuple[Event, ...] = ()
    ) -> None:
        write.log_seq += 1
        write.cursor.execute(
            sql.INSERT_CHANGE, (write.log_seq, kind, orjson.dumps(payload).decode())
        )
        write.entries.append(LogEntry(write.log_seq, kind, payload, events))

    def after_commit(self, hook: CommitHook) -> None:
        self._hooks.append(hook)

    # -- items ----------------------------------------------------------------------------------
    def upsert_items(self, items: Sequence[Item], vectors: Floats | None = None) -> int:
        """Upsert items; ``vectors`` (one row per item, NaN rows: no text) are kept with them."""
        with self._transaction() as write:
            write.cursor.executemany(sql.UPSERT_ITEM, [convert.item_row(i) for i in items])
            rows = list(vectors) if vectors is not None else [None] * len(items)
            _write_vectors(write.cursor, "item_vectors", [i.id for i in items], rows)
            self._log(write, ITEMS, {"ids": [i.id for i in items]})
        return len(items)

    def get_item(self, item_id: str) -> Item | None:
        row = self._one(f"SELECT {ITEM_COLUMNS} FROM items WHERE id = %s", (item_id,))
        return convert.item_from_row(row) if row else None

    def list_items(self, offset: int, limit: int) -> tuple[list[Item], int]:
        def page(conn: psycopg.Connection[Any]) -> tuple[list[Item], int]:
            rows = conn.execute(
                f"SELECT {ITEM_COLUMNS} FROM items ORDER BY seq LIMIT %s OFFSET %s",
                (limit, offset),
            ).fetchall()
            total = _scalar(conn.execute("SELECT COUNT(*) FROM items").fetchone())
            return [convert.item_from_row(r) for r in rows], total

        return self._read(page)

    def delete_item(self, item_id: str) -> bool:
        with self._transaction() as write:
            write.cursor.execute("DELETE FROM items WHERE id = %s", (item_id,))
            deleted = write.cursor.rowcount > 0
            if deleted:
                write.cursor.execute("DELETE FROM item_vectors WHERE id = %s", (item_id,))
                self._log(write, DELETE_ITEM, {"id": item_id})
        return deleted

    # -- users ----------------------------------------------------------------------------------
    def upsert_users(
        self, users: Sequence[User], vectors: Sequence[Floats | None] | None = None
    ) -> int:
        """Upsert users; ``vectors`` are their encoded stated preferences (None: none)."""
        with self._transaction() as write:
            write.cursor.executemany(sql.UPSERT_USER, [convert.user_row(u) for u in users])
            rows = list(vectors) if vectors is not None else [None] * len(users)
            _write_vectors(write.cursor, "user_vectors", [u.id for u in users], rows)
            self._log(write, USERS, {"ids": [u.id for u in users]})
        return len(users)

    def get_user(self, user_id: str) -> User | None:
        row = self._one(f"SELECT {USER_COLUMNS} FROM users WHERE id = %s", (user_id,))
        return convert.user_from_row(row) if row else None

    def list_users(self, offset: int, limit: int) -> tuple[list[User], int]:
        return self._users_where("TRUE", (), offset, limit)

    def search_users(self, text: str, offset: int, limit: int) -> tuple[list[User], int]:
        where = f"strpos({sql.ASCII_FOLDED_ID}, %s) > 0"
        return self._users_where(where, (ascii_lower(text),), offset, limit)

    def _users_where(
        self, where: str, params: tuple[Any, ...], offset: int, limit: int
    ) -> tuple[list[User], int]:
        def page(conn: psycopg.Connection[Any]) -> tuple[list[User], int]:
            rows = conn.execute(
                f"SELECT {USER_COLUMNS} FROM users WHERE {where} ORDER BY seq LIMIT %s OFFSET %s",
                (*params, limit, offset),
            ).fetchall()
            total = _scalar(conn.execute(f"SELECT COUNT(*) FROM users WHERE {where}", params))
            return [convert.user_from_row(r) for r in rows], total

        return self._read(page)

    def delete_user(self, user_id: str) -> bool:
        with self._transaction() as write:
            cursor = write.cursor
            cursor.execute("DELETE FROM users WHERE id = %s", (user_id,))
            deleted = cursor.rowcount > 0
            cursor.execute("DELETE FROM events WHERE user_id = %s", (user_id,))
            cursor.execute("DELETE FROM user_vectors WHERE id = %s", (user_id,))
            if deleted:
                self._log(write, DELETE_USER, {"id": user_id})
        return deleted

    # -- events ---------------------------------------------------------------------------------
    def append_events(self, events: Sequence[Event]) -> AppendResult:
        with self._transaction() as write:
            return self._append(write, events)

    def append_event_batches(self, batches: Sequence[Sequence[Event]]) -> list[AppendResult]:
        """Several batches in one transaction (one commit), each with its own log entry."""
        with self._transaction() as write:
            return [self._append(write, events) for events in batches]

    def _append(self, write: _Write, events: Sequence[Event]) -> AppendResult:
        cursor = write.cursor
        ids = [e.event_id for e in events if e.event_id is not None]
        known = _existing(cursor, "SELECT event_id FROM events WHERE event_id = ANY(%s)", ids)
        fresh, duplicates = dedupe_batch(events, known)
        user_ids, item_ids = referenced_ids(fresh)
        old_users = _existing(cursor, "SELECT id FROM users WHERE id = ANY(%s)", user_ids)
        old_items = _existing(cursor, "SELECT id FROM items WHERE id = ANY(%s)", item_ids)
        new_users = tuple(u for u in user_ids if u not in old_users)
        new_items = tuple(i for i in item_ids if i not in old_items)
        first_seen = {e.item_id: e.timestamp for e in reversed(fresh) if e.item_id is not None}
        if new_users:
            cursor.executemany(sql.INSERT_BARE_USER, [(u,) for u in new_users])
        if new_items:
            cursor.executemany(sql.INSERT_PLACEHOLDER, [(i, first_seen[i]) for i in new_items])
        start = write.event_seq + 1
        rows = [(start + n, *convert.event_row(e)) for n, e in enumerate(fresh)]
        if rows:
            cursor.executemany(sql.INSERT_EVENT, rows)
            write.event_seq = start + len(fresh) - 1
            payload = {"first": start, "last": write.event_seq}
            self._log(write, EVENTS, payload, tuple(fresh))
        return AppendResult(len(fresh), duplicates, new_users, new_items, tuple(fresh))

    def user_events(self, user_id: str, limit: int) -> list[Event]:
        rows = self._rows(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE user_id = %s"
            " ORDER BY timestamp DESC, seq DESC LIMIT %s",
            (user_id, limit),
        )
        return [convert.event_from_row(r) for r in rows]

    def all_user_events(self, user_id: str) -> list[Event]:
        rows = self._rows(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE user_id = %s ORDER BY seq", (user_id,)
        )
        return [convert.event_from_row(r) for r in rows]

    def count_user_events(self, user_id: str) -> int:
        return _scalar(self._one("SELECT COUNT(*) FROM events WHERE user_id = %s", (user_id,)))

    def iter_events(
        self, batch_size: int = 10_000, until: int | None = None
    ) -> Iterator[list[Event]]:
        """Events in arrival order (up to sequence ``until``), one page per query."""
        last, stop = 0, until if until is not None else 2**62
        while True:
            rows = self._rows(
                f"SELECT seq, {EVENT_COLUMNS} FROM events WHERE seq > %s AND seq <= %s"
                " ORDER BY seq LIMIT %s",
                (last, stop, batch_size),
            )
            if not rows:
                return
            last = rows[-1][0]
            yield [convert.event_from_row(r[1:]) for r in rows]

    def event_seq(self) -> int:
        """The highest event sequence handed out (never reused, deletes included)."""
        return self.cut().event_seq

    # -- the change log and what consumers read through it --------------------------------------
    def high_water(self) -> int:
        """The newest committed log entry's number (one query)."""
        return _scalar(self._one(sql.LOG_SEQ))

    def entries(self, after: int, limit: int = 1000) -> list[LogEntry]:
        rows = self._rows(
            "SELECT seq, kind, payload FROM changes WHERE seq > %s ORDER BY seq LIMIT %s",
            (after, limit),
        )
        return [LogEntry(int(r[0]), r[1], orjson.loads(r[2])) for r in rows]

    def cut(self) -> Cut:
        """The last log entry and the last event, from one row (one snapshot)."""
        row = self._one(sql.HEADS)
        assert row is not None
        return Cut(int(row[0]), int(row[1]))

    def events_in(self, first: int, last: int) -> list[Event]:
        rows = self._rows(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE seq >= %s AND seq <= %s ORDER BY seq",
            (first, last),
        )
        return [convert.event_from_row(r) for r in rows]

    def item_vectors(self, ids: Sequence[str]) -> dict[str, Floats]:
        return self._vectors("item_vectors", ids)

    def put_item_vectors(self, ids: Sequence[str], vectors: Floats) -> None:
        """Keep vectors a consumer computed for items stored without them (no log entry: what
        is served does not change)."""
        try:
            with self._writes.connection() as conn, conn.transaction(), conn.cursor() as cursor:
                known = _existing(cursor, "SELECT id FROM items WHERE id = ANY(%s)", list(ids))
                pairs = [(i, v) for i, v in zip(ids, vectors, strict=True) if i in known]
                _write_vectors(cursor, "item_vectors", [i for i, _ in pairs], [v for _, v in pairs])
        except _UNREACHABLE as exc:
            raise StoreUnavailable(f"PostgreSQL unreachable: {exc}") from exc

    def user_vectors(self, ids: Sequence[str]) -> dict[str, Floats]:
        return self._vectors("user_vectors", ids)

    def _vectors(self, table: str, ids: Sequence[str]) -> dict[str, Floats]:
        rows = self._rows(
            f"SELECT id, vector FROM {table} WHERE id = ANY(%s)", (list(dict.fromkeys(ids)),)
        )
        return {r[0]: np.frombuffer(r[1], dtype=np.float32) for r in rows}

    def counts(self) -> StoreCounts:
        row = self._one(
            "SELECT (SELECT COUNT(*) FROM items), (SELECT COUNT(*) FROM users),"
            " (SELECT COUNT(*) FROM events)"
        )
        assert row is not None
        return StoreCounts(int(row[0]), int(row[1]), int(row[2]))

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            self._reads.close()
            self._writes.close()


def _safe(url: str) -> str:
    """``url`` without its password."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, _, credentials = head.partition("://")
    return f"{scheme}://{credentials.split(':', 1)[0]}@{tail}"


def _scalar(row: Any) -> int:
    if isinstance(row, psycopg.Cursor):
        row = row.fetchone()
    return int(row[0]) if row is not None and row[0] is not None else 0


def _existing(cursor: psycopg.Cursor[Any], query: str, keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    return {r[0] for r in cursor.execute(query, (list(dict.fromkeys(keys)),)).fetchall()}


def _write_vectors(
    cursor: psycopg.Cursor[Any], table: str, ids: list[str], vectors: list[Any]
) -> None:
    """Store each id's vector as float32 bytes; a None or NaN vector removes the row."""
    keep, drop = [], []
    for record_id, vector in zip(ids, vectors, strict=True):
        row = None if vector is None else np.asarray(vector, dtype=np.float32)
        if row is None or not row.size or np.isnan(row[0]):
            drop.append(record_id)
        else:
            keep.append((record_id, row.tobytes()))
    if keep:
        cursor.executemany(
            f"INSERT INTO {table} VALUES (%s, %s)"
            " ON CONFLICT (id) DO UPDATE SET vector = excluded.vector",
            keep,
        )
    if drop:
        cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", (drop,))
