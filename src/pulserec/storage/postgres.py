"""A Store on PostgreSQL (``postgresql://user@host:port/db``), shared by replicas on many hosts.

Same contract as the embedded store (``tests/contracts/test_store_contract.py``): each write is
one transaction committed before the call returns; ``event_id`` is unique; the change log is
appended in the write's own transaction, numbered from the ``heads`` row every writer locks
first, so numbers are gapless and in commit order (see :mod:`~.postgres_schema`). Readers
reuse autocommit connections and retry once on one the server dropped; so do writers, before
they have sent anything. A server that cannot be reached raises
:class:`~pulserec.storage.base.StoreUnavailable` (the API's 503 ``unavailable``).

Connections are kept by :class:`Connections` rather than psycopg_pool: that pool reconnects
in the background with an exponential backoff (1, 2, 4... s), so a server back after a restart
stayed unreachable to it for seconds; here a connection is made when one is needed and a
refused one fails at once.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import orjson
import psycopg

from pulserec.core.types import Event, ExperimentRecord, Impression, Item, User
from pulserec.storage import postgres_schema as sql
from pulserec.storage import rows as convert
from pulserec.storage.base import (
    Admit,
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
    EXPERIMENT,
    IMPRESSIONS,
    ITEMS,
    USERS,
    CommitHook,
    Cut,
    LogEntry,
)
from pulserec.storage.rows import EVENT_COLUMNS, ITEM_COLUMNS, USER_COLUMNS

Floats = npt.NDArray[np.float32]
T = TypeVar("T")
CONNECT_TIMEOUT_S = 3
_UNREACHABLE = (psycopg.OperationalError,)


class Connections:
    """Up to ``limit`` connections to ``url``: idle ones are reused, new ones made on demand,
    broken ones dropped; a caller waits at most ``CONNECT_TIMEOUT_S`` for a free slot."""

    def __init__(self, url: str, limit: int) -> None:
        self.url = url
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
    """One open write transaction: the heads it moves, what it logs, what it defers."""

    cursor: psycopg.Cursor[Any]
    log_seq: int
    event_seq: int
    checked: tuple[Any, ...] | None = None  # the row of the checks run under the lock
    entries: list[LogEntry] = field(default_factory=list)
    # statements whose results nobody reads, sent with the commit in one round trip
    deferred: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class PostgresStore:
    """Store in the PostgreSQL database at ``url`` (its tables created when missing)."""

    def __init__(self, url: str, max_readers: int = 8, max_writers: int = 4) -> None:
        self.url = url
        self._hooks: list[CommitHook] = []
        self._closed = threading.Event()
        self._reads = Connections(url, max_readers)
        self._writes = Connections(url, max_writers)
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
    def _transaction(self, checks: tuple[str, dict[str, Any]] | None = None) -> Iterator[_Write]:
        """One write transaction holding the ``heads`` row: writers of every host run one at a
        time, and the entries it logs go to the hooks once it has committed.

        Round trips: ``BEGIN``, the lock and ``checks`` (a query that must see every write
        committed before the lock was granted) in one pipeline; the body's own statements;
        the deferred statements, the log rows, the heads and ``COMMIT`` in one more. A
        connection the server dropped (a restart) is replaced once before anything is sent."""
        try:
            for attempt in (1, 2):
                with self._writes.connection() as conn:
                    try:
                        write = _begin(conn, checks)
                    except psycopg.OperationalError:
                        if attempt == 2:
                            raise
                        continue
                    try:
                        yield write
                        _commit(conn, write)
                    except BaseException:
                        if not conn.broken:
                            conn.execute("ROLLBACK")
                        raise
                    break
        except _UNREACHABLE as exc:
            raise StoreUnavailable(f"PostgreSQL unreachable, nothing written: {exc}") from exc
        if write.entries:
            for hook in self._hooks:
                hook(write.entries)

    def _log(
        self, write: _Write, kind: str, payload: dict[str, Any], events: tuple[Event, ...] = ()
    ) -> None:
        write.log_seq += 1
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

    def get_items(self, ids: Sequence[str]) -> dict[str, Item]:
        """The stored items among ``ids``, in their order, in one query (an array parameter)."""
        unique = list(dict.fromkeys(ids))
        if not unique:
            return {}
        rows = self._rows(f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ANY(%s)", (unique,))
        found = {row[0]: convert.item_from_row(row) for row in rows}
        return {i: found[i] for i in unique if i in found}

    def list_items(self, offset: int, limit: int) -> tuple[list[Item], int]:
        def page(conn: psycopg.Connection[Any]) -> tuple[list[Item], int]:
            rows = conn.execute(
                f"SELECT {ITEM_COLUMNS} FROM items ORDER BY seq LIMIT %s OFFSET %s",
                (limit, offset),
            ).fetchall()
            total = _scalar(conn.execute("SELECT COUNT(*) FROM items").fetchone())
            return [convert.item_from_row(r) for r in rows], total

        return self._read(page)

    def iter_items(self, batch: int = 10_000) -> Iterator[list[Item]]:
        """Items in listing order, paged by ``seq`` (each page one indexed range read)."""
        for rows in self._pages("items", ITEM_COLUMNS, batch):
            yield [convert.item_from_row(r) for r in rows]

    def _pages(self, table: str, columns: str, batch: int) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of ``table`` in ``seq`` order, ``batch`` at a time, without ``seq``; each
        page a query of its own, so no connection is held between pages."""
        if batch < 1:
            raise ValueError("batch must be at least 1")
        last = 0
        while True:
            rows = self._rows(
                f"SELECT seq, {columns} FROM {table} WHERE seq > %s ORDER BY seq LIMIT %s",
                (last, batch),
            )
            if not rows:
                return
            last = rows[-1][0]
            yield [r[1:] for r in rows]

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

    def iter_users(self, batch: int = 10_000) -> Iterator[list[User]]:
        """Users in listing order, paged by ``seq``."""
        for rows in self._pages("users", USER_COLUMNS, batch):
            yield [convert.user_from_row(r) for r in rows]

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
            counted = conn.execute(f"SELECT COUNT(*) FROM users WHERE {where}", params)
            total = _scalar(counted.fetchone())
            return [convert.user_from_row(r) for r in rows], total

        return self._read(page)

    def delete_user(self, user_id: str) -> bool:
        with self._transaction() as write:
            cursor = write.cursor
            cursor.execute("DELETE FROM users WHERE id = %s", (user_id,))
            deleted = cursor.rowcount > 0
            cursor.execute("DELETE FROM events WHERE user_id = %s", (user_id,))
            cursor.execute("DELETE FROM user_vectors WHERE id = %s", (user_id,))
            cursor.execute("DELETE FROM impressions WHERE user_id = %s", (user_id,))
            if deleted:
                self._log(write, DELETE_USER, {"id": user_id})
        return deleted

    # -- events ---------------------------------------------------------------------------------
    def append_events(self, events: Sequence[Event]) -> AppendResult:
        return self.append_event_batches([events])[0]

    def append_event_batches(self, batches: Sequence[Sequence[Event]]) -> list[AppendResult]:
        """Several batches in one transaction, each deduplicated and logged on its own, with
        one query for what is already stored and one statement for everything written."""
        everything = [event for events in batches for event in events]
        users, items = referenced_ids(everything)
        ids = list(dict.fromkeys(e.event_id for e in everything if e.event_id is not None))
        with self._transaction(
            (sql.EXISTING, {"ids": ids, "users": users, "items": items})
        ) as write:
            assert write.checked is not None
            known, old_users, old_items = (set(found) for found in write.checked)
            rows = _EventRows()
            results = [
                self._append(write, events, known, old_users, old_items, rows) for events in batches
            ]
            if rows.events:
                write.deferred.append((sql.INSERT_EVENTS, rows.params()))
        return results

    def _append(
        self,
        write: _Write,
        events: Sequence[Event],
        known: set[str],
        old_users: set[str],
        old_items: set[str],
        rows: _EventRows,
    ) -> AppendResult:
        """One batch of a group: deduplicated against what is stored and the batches before it,
        numbered, logged; its rows added to ``rows``."""
        fresh, duplicates = dedupe_batch(events, known)
        known.update(e.event_id for e in fresh if e.event_id is not None)
        user_ids, item_ids = referenced_ids(fresh)
        new_users = tuple(u for u in user_ids if u not in old_users)
        new_items = tuple(i for i in item_ids if i not in old_items)
        old_users.update(new_users)
        old_items.update(new_items)
        first_seen = {e.item_id: e.timestamp for e in reversed(fresh) if e.item_id is not None}
        rows.users += new_users
        rows.placeholders += [(i, first_seen[i]) for i in new_items]
        start = write.event_seq + 1
        rows.events += [(start + n, *convert.event_row(e)) for n, e in enumerate(fresh)]
        if fresh:
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
    def known_high_water(self) -> int:
        return self.high_water()

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

    # -- experiments ----------------------------------------------------------------------------
    def secret(self, name: str) -> bytes:
        key = f"secret:{name}"
        with self._transaction() as write:
            write.cursor.execute(
                "INSERT INTO meta VALUES (%s, %s) ON CONFLICT (key) DO NOTHING",
                (key, secrets.token_bytes(32).hex()),
            )
            row = write.cursor.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
        assert row is not None  # inserted above or by another process
        return bytes.fromhex(str(row[0]))

    def experiments(self) -> list[ExperimentRecord]:
        return [convert.experiment_from_row(r) for r in self._rows(sql.EXPERIMENTS)]

    def create_experiment(self, record: ExperimentRecord, admit: Admit) -> ExperimentRecord | None:
        with self._transaction() as write:
            rows = write.cursor.execute(sql.EXPERIMENTS).fetchall()
            stored = [convert.experiment_from_row(r) for r in rows]
            if any(e.id == record.id for e in stored):
                return None
            admitted = admit(stored)
            write.cursor.execute(sql.INSERT_EXPERIMENT, convert.experiment_row(admitted))
            self._log(write, EXPERIMENT, {"id": admitted.id})
        return admitted

    def stop_experiment(self, experiment_id: str, at: float) -> ExperimentRecord | None:
        with self._transaction() as write:
            write.cursor.execute(sql.STOP_EXPERIMENT, (at, experiment_id))
            if write.cursor.rowcount:
                self._log(write, EXPERIMENT, {"id": experiment_id})
            row = write.cursor.execute(sql.EXPERIMENT, (experiment_id,)).fetchone()
        return convert.experiment_from_row(row) if row else None

    def append_impressions(self, impressions: Sequence[Impression]) -> None:
        if not impressions:
            return
        columns = list(zip(*(convert.impression_row(i) for i in impressions), strict=True))
        names = ("id", "experiment", "variant", "user_id", "timestamp", "items", "teams", "took_ms")
        with self._transaction() as write:
            write.cursor.execute(
                sql.INSERT_IMPRESSIONS, dict(zip(names, map(list, columns), strict=True))
            )
            if write.cursor.rowcount:
                self._log(write, IMPRESSIONS, {"count": write.cursor.rowcount})

    def impressions(self, experiment_id: str) -> list[Impression]:
        rows = self._rows(sql.IMPRESSIONS_OF, (experiment_id,))
        return [convert.impression_from_row(r) for r in rows]

    def experiment_events(self, experiment_id: str, since: float) -> list[Event]:
        rows = self._rows(sql.EXPERIMENT_EVENTS, (experiment_id, since))
        return [convert.event_from_row(r) for r in rows]

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


class _EventRows:
    """The rows a group of event batches writes, as columns for one ``unnest`` statement."""

    def __init__(self) -> None:
        self.users: list[str] = []
        self.placeholders: list[tuple[str, float]] = []
        self.events: list[tuple[Any, ...]] = []

    def params(self) -> dict[str, Any]:
        columns = list(zip(*self.events, strict=True))
        names = (
            "seq",
            "event_id",
            "user_id",
            "item_id",
            "type",
            "value",
            "timestamp",
            "query",
            "impression_id",
            "attributes",
        )
        return {
            "users": self.users,
            "placeholder_ids": [i for i, _ in self.placeholders],
            "placeholder_ts": [t for _, t in self.placeholders],
            **{name: list(column) for name, column in zip(names, columns, strict=True)},
        }


def _begin(conn: psycopg.Connection[Any], checks: tuple[str, dict[str, Any]] | None) -> _Write:
    """``BEGIN``, the heads lock and the checks, in one round trip."""
    with conn.pipeline() as pipeline:
        conn.execute("BEGIN")
        heads = conn.execute(sql.LOCK_HEADS)
        found = conn.execute(checks[0], checks[1]) if checks else None
        pipeline.sync()
        row = heads.fetchone()
        checked = found.fetchone() if found is not None else None
    assert row is not None
    return _Write(conn.cursor(), int(row[0]), int(row[1]), checked)


def _commit(conn: psycopg.Connection[Any], write: _Write) -> None:
    """The deferred statements, the log rows, the heads and ``COMMIT``, in one round trip."""
    with conn.pipeline():
        for statement, params in write.deferred:
            conn.execute(statement, params)
        if write.entries:
            log = {
                "seq": [e.seq for e in write.entries],
                "kind": [e.kind for e in write.entries],
                "payload": [orjson.dumps(e.payload).decode() for e in write.entries],
                "log_seq": write.log_seq,
                "event_seq": write.event_seq,
            }
            conn.execute(sql.LOG_AND_HEADS, log)
        conn.execute("COMMIT")


def _safe(url: str) -> str:
    """``url`` without its password."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, _, credentials = head.partition("://")
    return f"{scheme}://{credentials.split(':', 1)[0]}@{tail}"


def _scalar(row: tuple[Any, ...] | None) -> int:
    return int(row[0]) if row is not None and row[0] is not None else 0


def _existing(cursor: psycopg.Cursor[Any], query: str, keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    return {r[0] for r in cursor.execute(query, (list(dict.fromkeys(keys)),)).fetchall()}


def _write_vectors(
    cursor: psycopg.Cursor[Any], table: str, ids: list[str], vectors: list[Any]
) -> None:
    """Store each id's vector as float32 bytes; a None or NaN vector removes the row."""
    keep, drop = convert.vector_rows(ids, vectors)
    if keep:
        cursor.executemany(
            f"INSERT INTO {table} VALUES (%s, %s)"
            " ON CONFLICT (id) DO UPDATE SET vector = excluded.vector",
            keep,
        )
    if drop:
        cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", (drop,))
