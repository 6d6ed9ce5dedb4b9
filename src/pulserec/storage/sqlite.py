"""The embedded default Store: one SQLite file in WAL mode under the data dir.

Every write appends its entry to the change log (``changes``) in the same transaction, and
raises the high-water mark (``<db>.seq``, memory-mapped) before committing, while SQLite's
write lock orders writers of every process: entries are numbered in commit order.

Durability: each write is one transaction committed before the call returns, with
``synchronous=FULL`` by default, so an acknowledged write survives a ``kill -9`` of the process
and an OS crash. Writers are serialised by a lock on one connection; readers use one connection
per thread and, thanks to WAL, never wait for a writer.

The parts: :mod:`~.sqlite_core` (the connections and the write transaction),
:mod:`~.sqlite_queries` (chunked lookups and vector rows), :mod:`~.sqlite_experiments`
(experiments and impressions); here, items, users, events and the change log.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from pulserec.core.types import Event, Item, User
from pulserec.storage import rows as convert
from pulserec.storage import sqlite_schema as sql
from pulserec.storage import sqlite_tombstones as tombstones
from pulserec.storage.base import (
    AppendResult,
    StoreCounts,
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
    Cut,
    LogEntry,
)
from pulserec.storage.rows import EVENT_COLUMNS, ITEM_COLUMNS, USER_COLUMNS
from pulserec.storage.sqlite_core import SYNC_MODES
from pulserec.storage.sqlite_experiments import SqliteExperiments
from pulserec.storage.sqlite_queries import (
    PARAMS_PER_QUERY,
    Floats,
    existing,
    read_vectors,
    write_vectors,
)
from pulserec.storage.tombstones import refused

__all__ = ["SYNC_MODES", "SqliteStore"]


class SqliteStore(SqliteExperiments):
    """Store backed by ``path`` (created with its schema when missing)."""

    def upsert_items(self, items: Sequence[Item], vectors: Floats | None = None) -> int:
        """Upsert items; ``vectors`` (one row per item, NaN rows: no text) are kept with them."""
        with self._transaction() as conn:
            conn.executemany(sql.UPSERT_ITEM, [convert.item_row(i) for i in items])
            rows = list(vectors) if vectors is not None else [None] * len(items)
            write_vectors(conn, "item_vectors", [i.id for i in items], rows)
            self._log(conn, ITEMS, {"ids": [i.id for i in items]})
        return len(items)

    def get_item(self, item_id: str) -> Item | None:
        row = (
            self._reader()
            .execute(f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,))
            .fetchone()
        )
        return convert.item_from_row(row) if row else None

    def get_items(self, ids: Sequence[str]) -> dict[str, Item]:
        """The stored items among ``ids``, in their order, ``PARAMS_PER_QUERY`` per query."""
        conn = self._reader()
        found: dict[str, Item] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), PARAMS_PER_QUERY):
            chunk = unique[start : start + PARAMS_PER_QUERY]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT {ITEM_COLUMNS} FROM items WHERE id IN ({marks})"
            found.update((row[0], convert.item_from_row(row)) for row in conn.execute(query, chunk))
        return {i: found[i] for i in unique if i in found}

    def list_items(self, offset: int, limit: int) -> tuple[list[Item], int]:
        conn = self._reader()
        rows = conn.execute(
            f"SELECT {ITEM_COLUMNS} FROM items ORDER BY seq LIMIT ? OFFSET ?", (limit, offset)
        ).fetchall()
        total = conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        return [convert.item_from_row(r) for r in rows], int(total)

    def iter_items(self, batch: int = 10_000) -> Iterator[list[Item]]:
        """Items in listing order, paged by ``seq`` (each page one indexed range read)."""
        for rows in self._pages("items", ITEM_COLUMNS, batch):
            yield [convert.item_from_row(r) for r in rows]

    def _pages(self, table: str, columns: str, batch: int) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of ``table`` in ``seq`` order, ``batch`` at a time, without ``seq``."""
        if batch < 1:
            raise ValueError("batch must be at least 1")
        conn, last = self._reader(), 0
        while True:
            rows = conn.execute(
                f"SELECT seq, {columns} FROM {table} WHERE seq > ? ORDER BY seq LIMIT ?",
                (last, batch),
            ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [r[1:] for r in rows]

    def delete_item(self, item_id: str) -> bool:
        with self._transaction() as conn:
            deleted = conn.execute("DELETE FROM items WHERE id = ?", (item_id,)).rowcount > 0
            if deleted:
                conn.execute("DELETE FROM item_vectors WHERE id = ?", (item_id,))
                self._log(conn, DELETE_ITEM, {"id": item_id})
        return deleted

    def upsert_users(
        self,
        users: Sequence[User],
        vectors: Sequence[Floats | None] | None = None,
        restore: bool = False,
    ) -> int:
        """Upsert users; ``vectors`` are their encoded stated preferences (None: none). A
        deleted user is skipped unless ``restore`` lifts their tombstone."""
        with self._transaction() as conn:
            dead = tombstones.dead(conn, self._tomb_key, [u.id for u in users])
            if restore:
                tombstones.lift(conn, self._tomb_key, list(dead))
            kept = [n for n, u in enumerate(users) if restore or u.id not in dead]
            conn.executemany(sql.UPSERT_USER, [convert.user_row(users[n]) for n in kept])
            rows = [vectors[n] if vectors is not None else None for n in kept]
            write_vectors(conn, "user_vectors", [users[n].id for n in kept], rows)
            if kept:
                self._log(conn, USERS, {"ids": [users[n].id for n in kept]})
        return len(kept)

    def forgotten(self, user_ids: Sequence[str]) -> set[str]:
        return tombstones.dead(self._reader(), self._tomb_key, user_ids)

    def get_user(self, user_id: str) -> User | None:
        row = (
            self._reader()
            .execute(f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", (user_id,))
            .fetchone()
        )
        return convert.user_from_row(row) if row else None

    def list_users(self, offset: int, limit: int) -> tuple[list[User], int]:
        conn = self._reader()
        rows = conn.execute(
            f"SELECT {USER_COLUMNS} FROM users ORDER BY seq LIMIT ? OFFSET ?", (limit, offset)
        ).fetchall()
        total = conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]
        return [convert.user_from_row(r) for r in rows], int(total)

    def iter_users(self, batch: int = 10_000) -> Iterator[list[User]]:
        """Users in listing order, paged by ``seq``."""
        for rows in self._pages("users", USER_COLUMNS, batch):
            yield [convert.user_from_row(r) for r in rows]

    def search_users(self, text: str, offset: int, limit: int) -> tuple[list[User], int]:
        conn, needle = self._reader(), ascii_lower(text)
        where = "WHERE instr(lower(id), ?) > 0"
        rows = conn.execute(
            f"SELECT {USER_COLUMNS} FROM users {where} ORDER BY seq LIMIT ? OFFSET ?",
            (needle, limit, offset),
        ).fetchall()
        total = conn.execute(f"SELECT COUNT(*) FROM users {where}", (needle,)).fetchone()[0]
        return [convert.user_from_row(r) for r in rows], int(total)

    def delete_user(self, user_id: str) -> bool:
        with self._transaction() as conn:
            high = int(conn.execute(sql.EVENT_SEQ).fetchone()[0])
            conn.execute(sql.SET_EVENT_SEQ, (str(high),))
            deleted = conn.execute("DELETE FROM users WHERE id = ?", (user_id,)).rowcount > 0
            conn.execute("DELETE FROM events WHERE user_id = ?", (user_id,))
            conn.execute("DELETE FROM user_vectors WHERE id = ?", (user_id,))
            conn.execute("DELETE FROM impressions WHERE user_id = ?", (user_id,))
            if deleted:
                seq = self._log(conn, DELETE_USER, {"id": user_id})
                tombstones.bury(conn, self._tomb_key, user_id, seq)
        return deleted

    def append_events(self, events: Sequence[Event]) -> AppendResult:
        with self._transaction() as conn:
            return self._append_in_transaction(conn, events)

    def append_event_batches(self, batches: Sequence[Sequence[Event]]) -> list[AppendResult]:
        """Several batches in one transaction (one fsync), each with its own log entry."""
        with self._transaction() as conn:
            return [self._append_in_transaction(conn, events) for events in batches]

    def _append_in_transaction(
        self, conn: sqlite3.Connection, events: Sequence[Event]
    ) -> AppendResult:
        dead = tombstones.dead(conn, self._tomb_key, [e.user_id for e in events])
        forgotten = refused(events, dead)
        if forgotten:  # refused whole (tombstones)
            return AppendResult(0, 0, forgotten=forgotten)
        ids = [e.event_id for e in events if e.event_id is not None]
        known = existing(conn, "SELECT event_id FROM events WHERE event_id IN ({})", ids)
        fresh, duplicates = dedupe_batch(events, known)
        user_ids, item_ids = referenced_ids(fresh)
        old_users = existing(conn, "SELECT id FROM users WHERE id IN ({})", user_ids)
        old_items = existing(conn, "SELECT id FROM items WHERE id IN ({})", item_ids)
        new_users = tuple(u for u in user_ids if u not in old_users)
        new_items = tuple(i for i in item_ids if i not in old_items)
        first_seen = {e.item_id: e.timestamp for e in reversed(fresh) if e.item_id is not None}
        conn.executemany(sql.INSERT_BARE_USER, [(u,) for u in new_users])
        conn.executemany(sql.INSERT_PLACEHOLDER, [(i, first_seen[i]) for i in new_items])
        start = int(conn.execute(sql.EVENT_SEQ).fetchone()[0]) + 1
        rows = [(start + n, *convert.event_row(e)) for n, e in enumerate(fresh)]
        conn.executemany(sql.INSERT_EVENT, rows)
        if fresh:
            conn.execute(sql.SET_EVENT_SEQ, (str(start + len(fresh) - 1),))
            last = start + len(fresh) - 1
            self._log(conn, EVENTS, {"first": start, "last": last}, tuple(fresh))
        return AppendResult(len(fresh), duplicates, new_users, new_items, tuple(fresh))

    def user_events(self, user_id: str, limit: int) -> list[Event]:
        rows = (
            self._reader()
            .execute(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE user_id = ?"
                " ORDER BY timestamp DESC, seq DESC LIMIT ?",
                (user_id, limit),
            )
            .fetchall()
        )
        return [convert.event_from_row(r) for r in rows]

    def all_user_events(self, user_id: str) -> list[Event]:
        rows = (
            self._reader()
            .execute(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE user_id = ? ORDER BY seq",
                (user_id,),
            )
            .fetchall()
        )
        return [convert.event_from_row(r) for r in rows]

    def count_user_events(self, user_id: str) -> int:
        row = (
            self._reader()
            .execute("SELECT COUNT(*) FROM events WHERE user_id = ?", (user_id,))
            .fetchone()
        )
        return int(row[0])

    def iter_events(
        self, batch_size: int = 10_000, until: int | None = None
    ) -> Iterator[list[Event]]:
        """Events in arrival order (up to sequence ``until``), paged by ``seq`` so memory stays
        bounded."""
        conn = self._reader()
        last, stop = 0, until if until is not None else 2**62
        while True:
            rows = conn.execute(
                f"SELECT seq, {EVENT_COLUMNS} FROM events WHERE seq > ? AND seq <= ?"
                " ORDER BY seq LIMIT ?",
                (last, stop, batch_size),
            ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [convert.event_from_row(r[1:]) for r in rows]

    def event_seq(self) -> int:
        """The highest event sequence handed out (never reused, deletes included)."""
        return int(self._reader().execute(sql.EVENT_SEQ).fetchone()[0])

    # -- the change log and what consumers read through it ------------------------------------
    def known_high_water(self) -> int:
        return self.high_water()

    def high_water(self) -> int:
        """The newest log entry's number (one read of a shared memory word)."""
        return self._high_water.read()

    def entries(self, after: int, limit: int = 1000) -> list[LogEntry]:
        rows = (
            self._reader()
            .execute(
                "SELECT seq, kind, payload FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, limit),
            )
            .fetchall()
        )
        return [LogEntry(int(r[0]), r[1], orjson.loads(r[2])) for r in rows]

    def cut(self) -> Cut:
        """The last log entry and the last event, read in one statement (one snapshot)."""
        log_seq, event_seq = self._reader().execute(sql.CUT).fetchone()
        return Cut(int(log_seq), int(event_seq))

    def events_in(self, first: int, last: int) -> list[Event]:
        """Stored events with sequence numbers in ``[first, last]``, in order."""
        rows = (
            self._reader()
            .execute(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE seq >= ? AND seq <= ? ORDER BY seq",
                (first, last),
            )
            .fetchall()
        )
        return [convert.event_from_row(r) for r in rows]

    def item_vectors(self, ids: Sequence[str]) -> dict[str, Floats]:
        return read_vectors(self._reader(), "item_vectors", ids)

    def put_item_vectors(self, ids: Sequence[str], vectors: Floats) -> None:
        """Keep vectors a consumer computed for items stored without them (no log entry: what
        is served does not change)."""
        with self._transaction() as conn:
            known = existing(conn, "SELECT id FROM items WHERE id IN ({})", list(ids))
            pairs = [(i, v) for i, v in zip(ids, vectors, strict=True) if i in known]
            write_vectors(conn, "item_vectors", [i for i, _ in pairs], [v for _, v in pairs])

    def user_vectors(self, ids: Sequence[str]) -> dict[str, Floats]:
        return read_vectors(self._reader(), "user_vectors", ids)

    def counts(self) -> StoreCounts:
        conn = self._reader()
        items, users, events = conn.execute(
            "SELECT (SELECT COUNT(*) FROM items), (SELECT COUNT(*) FROM users),"
            " (SELECT COUNT(*) FROM events)"
        ).fetchone()
        return StoreCounts(int(items), int(users), int(events))
