"""What every part of :class:`~pulserec.storage.postgres.PostgresStore` stands on: its
connections, reads retried once on a dropped connection, and the write transaction that
locks the ``heads`` row, logs its entries and hands them to the hooks once committed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import psycopg

from pulserec.core.types import Event
from pulserec.storage import postgres_schema as sql
from pulserec.storage import postgres_tombstones as tombstones
from pulserec.storage.base import CommitUnknown, StoreUnavailable
from pulserec.storage.changelog import LOG_KEEP, CommitHook, LogEntry
from pulserec.storage.postgres_pool import UNREACHABLE, Connections
from pulserec.storage.postgres_write import Write, begin, commit, safe
from pulserec.storage.tombstones import SECRET_NAME

Floats = npt.NDArray[np.float32]
T = TypeVar("T")


class PostgresCore:
    """Connections to the database at ``url`` (its tables created when missing), reads and
    write transactions; the store's methods are built on these."""

    def __init__(
        self, url: str, max_readers: int = 8, max_writers: int = 4, log_keep: int = LOG_KEEP
    ) -> None:
        self.url = url
        self.log_keep = log_keep  # change log entries kept (storage.changelog)
        self._hooks: list[CommitHook] = []
        self._closed = threading.Event()
        self._reads = Connections(url, max_readers)
        self._writes = Connections(url, max_writers)
        try:
            with self._writes.connection() as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (sql.SCHEMA_LOCK,))
                conn.execute(sql.SCHEMA.encode())
                conn.execute(tombstones.SCHEMA.encode())
                self._tomb_key = tombstones.key(conn, SECRET_NAME)
                row = conn.execute("SELECT schema_version FROM heads").fetchone()
                if row is not None and int(row[0]) < tombstones.VERSION:  # older data
                    tombstones.backfill(conn, self._tomb_key)
                    conn.execute("UPDATE heads SET schema_version = %s", (sql.SCHEMA_VERSION,))
                tombstones.tidy(conn)
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"cannot reach PostgreSQL at {safe(url)}: {exc}") from exc

    # -- connections ----------------------------------------------------------------------------
    def _read(self, query: Callable[[psycopg.Connection[Any]], T]) -> T:
        """``query`` on a reading connection; once more on a fresh one if the server dropped
        the first (a restart leaves every pooled connection broken)."""
        for attempt in (1, 2):
            try:
                with self._reads.connection() as conn:
                    return query(conn)
            except UNREACHABLE as exc:
                if attempt == 2:
                    raise StoreUnavailable(f"PostgreSQL unreachable: {exc}") from exc
        raise AssertionError("unreachable")

    def _rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._read(lambda conn: conn.execute(statement, params).fetchall())

    def _one(self, statement: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        return self._read(lambda conn: conn.execute(statement, params).fetchone())

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

    def _vectors(self, table: str, ids: Sequence[str]) -> dict[str, Floats]:
        rows = self._rows(
            f"SELECT id, vector FROM {table} WHERE id = ANY(%s)", (list(dict.fromkeys(ids)),)
        )
        return {r[0]: np.frombuffer(r[1], dtype=np.float32) for r in rows}

    @contextmanager
    def _transaction(self, checks: tuple[str, dict[str, Any]] | None = None) -> Iterator[Write]:
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
                        write = begin(conn, checks)
                    except psycopg.OperationalError:
                        if attempt == 2:
                            raise
                        continue
                    try:
                        yield write
                    except BaseException:
                        if not conn.broken:
                            conn.execute("ROLLBACK")
                        raise
                    try:
                        commit(conn, write, self.log_keep)
                    except UNREACHABLE as exc:
                        if not conn.broken:  # the server refused it: nothing was written
                            conn.execute("ROLLBACK")
                            raise
                        raise CommitUnknown(  # COMMIT may have landed before the loss
                            "PostgreSQL connection lost during COMMIT: the write may or may not"
                            " be stored; retry with the same event_id values (stored ones count"
                            " as duplicates)"
                        ) from exc
                    except BaseException:
                        if not conn.broken:
                            conn.execute("ROLLBACK")
                        raise
                    break
        except CommitUnknown:
            raise
        except UNREACHABLE as exc:
            raise StoreUnavailable(f"PostgreSQL unreachable, nothing written: {exc}") from exc
        if write.entries:
            for hook in self._hooks:
                hook(write.entries)

    def _log(
        self, write: Write, kind: str, payload: dict[str, Any], events: tuple[Event, ...] = ()
    ) -> int:
        """Log an entry with the write; returns its number."""
        write.log_seq += 1
        write.entries.append(LogEntry(write.log_seq, kind, payload, events))
        return write.log_seq

    def after_commit(self, hook: CommitHook) -> None:
        self._hooks.append(hook)

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            self._reads.close()
            self._writes.close()
