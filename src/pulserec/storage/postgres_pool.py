"""The connections of :class:`~pulserec.storage.postgres.PostgresStore`, kept without
psycopg_pool: that pool reconnects in the background with an exponential backoff (1, 2, 4...
s), so a server back after a restart stayed unreachable to it for seconds; here a connection
is made when one is needed and a refused one fails at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from pulserec.storage.base import StoreUnavailable

CONNECT_TIMEOUT_S = 3
UNREACHABLE = (psycopg.OperationalError,)


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
