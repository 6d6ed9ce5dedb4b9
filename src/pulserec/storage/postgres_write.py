"""The pieces of one :class:`~pulserec.storage.postgres.PostgresStore` write transaction, and
its module-level SQL helpers: :class:`Write` (what the transaction moves, logs and defers),
:func:`begin` and :func:`commit` (one round trip each), :class:`EventRows` (a group of event
batches as one ``unnest`` statement's columns), and the small query helpers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import psycopg

from pulserec.storage import postgres_schema as sql
from pulserec.storage import rows as convert
from pulserec.storage.changelog import LogEntry, prune_horizon


@dataclass
class Write:
    """One open write transaction: the heads it moves, what it logs, what it defers."""

    cursor: psycopg.Cursor[Any]
    log_seq: int
    event_seq: int
    checked: tuple[Any, ...] | None = None  # the row of the checks run under the lock
    entries: list[LogEntry] = field(default_factory=list)
    # statements whose results nobody reads, sent with the commit in one round trip
    deferred: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class EventRows:
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


def begin(conn: psycopg.Connection[Any], checks: tuple[str, dict[str, Any]] | None) -> Write:
    """``BEGIN``, the heads lock and the checks, in one round trip."""
    with conn.pipeline() as pipeline:
        conn.execute("BEGIN")
        heads = conn.execute(sql.LOCK_HEADS)
        found = conn.execute(checks[0], checks[1]) if checks else None
        pipeline.sync()
        row = heads.fetchone()
        checked = found.fetchone() if found is not None else None
    assert row is not None
    return Write(conn.cursor(), int(row[0]), int(row[1]), checked)


def commit(conn: psycopg.Connection[Any], write: Write, log_keep: int) -> None:
    """The deferred statements, the log rows, the heads, the log's pruning when an entry
    crosses its interval (:func:`~pulserec.storage.changelog.prune_horizon`) and ``COMMIT``,
    in one round trip."""
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
            horizons = [prune_horizon(e.seq, log_keep) for e in write.entries]
            horizon = max((h for h in horizons if h is not None), default=None)
            if horizon is not None:
                conn.execute("DELETE FROM changes WHERE seq <= %s", (horizon,))
        conn.execute("COMMIT")


def safe(url: str) -> str:
    """``url`` without its password."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, _, credentials = head.partition("://")
    return f"{scheme}://{credentials.split(':', 1)[0]}@{tail}"


def scalar(row: tuple[Any, ...] | None) -> int:
    """The first column of ``row`` as an int (0 for no row or NULL)."""
    return int(row[0]) if row is not None and row[0] is not None else 0


def existing(cursor: psycopg.Cursor[Any], query: str, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` the query (one array parameter) finds."""
    if not keys:
        return set()
    return {r[0] for r in cursor.execute(query, (list(dict.fromkeys(keys)),)).fetchall()}


def write_vectors(
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
