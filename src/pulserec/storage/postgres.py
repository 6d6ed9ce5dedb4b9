"""A Store on PostgreSQL (``postgresql://user@host:port/db``), shared by replicas on many hosts.

Same contract as the embedded store (``tests/contracts/test_store_contract.py``): each write is
one transaction committed before the call returns; ``event_id`` is unique; the change log is
appended in the write's own transaction, numbered from the ``heads`` row every writer locks
first, so numbers are gapless and in commit order (see :mod:`~.postgres_schema`). Readers
reuse autocommit connections and retry once on one the server dropped; so do writers, before
they have sent anything. A server that cannot be reached raises
:class:`~pulserec.storage.base.StoreUnavailable` (the API's 503 ``unavailable``).

The parts: :mod:`~.postgres_pool` (the connections, kept without psycopg_pool),
:mod:`~.postgres_write` (one write transaction's round trips and the SQL helpers),
:mod:`~.postgres_core` (reads and the write transaction), :mod:`~.postgres_experiments`
(experiments and impressions); here, items, users, events and the change log.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import orjson
import psycopg

from pulserec.core.types import Event, Item, User
from pulserec.storage import postgres_schema as sql
from pulserec.storage import postgres_tombstones as tombstones
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
    Cut,
    LogEntry,
)
from pulserec.storage.postgres_core import Floats
from pulserec.storage.postgres_experiments import PostgresExperiments
from pulserec.storage.postgres_pool import CONNECT_TIMEOUT_S, UNREACHABLE, Connections
from pulserec.storage.postgres_write import EventRows, Write, existing, scalar, write_vectors
from pulserec.storage.rows import EVENT_COLUMNS, ITEM_COLUMNS, USER_COLUMNS
from pulserec.storage.tombstones import hashes, refused

__all__ = ["CONNECT_TIMEOUT_S", "Connections", "PostgresStore"]


class PostgresStore(PostgresExperiments):
    """Store in the PostgreSQL database at ``url`` (its tables created when missing)."""

    # -- items ----------------------------------------------------------------------------------
    def upsert_items(self, items: Sequence[Item], vectors: Floats | None = None) -> int:
        """Upsert items; ``vectors`` (one row per item, NaN rows: no text) are kept with them."""
        with self._transaction() as write:
            write.cursor.executemany(sql.UPSERT_ITEM, [convert.item_row(i) for i in items])
            rows = list(vectors) if vectors is not None else [None] * len(items)
            write_vectors(write.cursor, "item_vectors", [i.id for i in items], rows)
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
            total = scalar(conn.execute("SELECT COUNT(*) FROM items").fetchone())
            return [convert.item_from_row(r) for r in rows], total

        return self._read(page)

    def iter_items(self, batch: int = 10_000) -> Iterator[list[Item]]:
        """Items in listing order, paged by ``seq`` (each page one indexed range read)."""
        for rows in self._pages("items", ITEM_COLUMNS, batch):
            yield [convert.item_from_row(r) for r in rows]

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
        self,
        users: Sequence[User],
        vectors: Sequence[Floats | None] | None = None,
        restore: bool = False,
    ) -> int:
        """Upsert users; ``vectors`` are their encoded stated preferences (None: none). A
        deleted user is skipped unless ``restore`` lifts their tombstone."""
        with self._transaction() as write:
            dead = tombstones.dead(write.cursor, self._tomb_key, [u.id for u in users])
            if restore:
                tombstones.lift(write.cursor, self._tomb_key, list(dead))
            kept = [n for n, u in enumerate(users) if restore or u.id not in dead]
            rows = [convert.user_row(users[n]) for n in kept]
            if rows:
                write.cursor.executemany(sql.UPSERT_USER, rows)
            vectors_kept = [vectors[n] if vectors is not None else None for n in kept]
            write_vectors(write.cursor, "user_vectors", [users[n].id for n in kept], vectors_kept)
            if kept:
                self._log(write, USERS, {"ids": [users[n].id for n in kept]})
        return len(kept)

    def forgotten(self, user_ids: Sequence[str]) -> set[str]:
        return self._read(lambda conn: tombstones.dead(conn, self._tomb_key, user_ids))

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
            total = scalar(counted.fetchone())
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
                seq = self._log(write, DELETE_USER, {"id": user_id})
                tombstones.bury(cursor, self._tomb_key, user_id, seq)
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
        by_hash = hashes(self._tomb_key, users)
        checks: dict[str, Any] = {"ids": ids, "users": users, "items": items}
        checks |= {"hashes": list(by_hash), "since": tombstones.since()}
        with self._transaction((sql.EXISTING, checks)) as write:
            assert write.checked is not None
            known, old_users, old_items, buried = (set(found) for found in write.checked)
            dead = {by_hash[h] for h in buried}
            rows = EventRows()
            results = [
                self._append(write, events, known, old_users, old_items, rows, dead)
                for events in batches
            ]
            if rows.events:
                write.deferred.append((sql.INSERT_EVENTS, rows.params()))
        return results

    def _append(
        self,
        write: Write,
        events: Sequence[Event],
        known: set[str],
        old_users: set[str],
        old_items: set[str],
        rows: EventRows,
        dead: set[str],
    ) -> AppendResult:
        """One batch of a group: refused whole if it holds an event of a deleted user
        (``dead``), else deduplicated against what is stored and the batches before it,
        numbered, logged; its rows added to ``rows``."""
        forgotten = refused(events, dead)
        if forgotten:  # refused whole (tombstones)
            return AppendResult(0, 0, forgotten=forgotten)
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
        return scalar(self._one("SELECT COUNT(*) FROM events WHERE user_id = %s", (user_id,)))

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
        return scalar(self._one(sql.LOG_SEQ))

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
                known = existing(cursor, "SELECT id FROM items WHERE id = ANY(%s)", list(ids))
                pairs = [(i, v) for i, v in zip(ids, vectors, strict=True) if i in known]
                write_vectors(cursor, "item_vectors", [i for i, _ in pairs], [v for _, v in pairs])
        except UNREACHABLE as exc:
            raise StoreUnavailable(f"PostgreSQL unreachable: {exc}") from exc

    def user_vectors(self, ids: Sequence[str]) -> dict[str, Floats]:
        return self._vectors("user_vectors", ids)

    def counts(self) -> StoreCounts:
        row = self._one(
            "SELECT (SELECT COUNT(*) FROM items), (SELECT COUNT(*) FROM users),"
            " (SELECT COUNT(*) FROM events)"
        )
        assert row is not None
        return StoreCounts(int(row[0]), int(row[1]), int(row[2]))
