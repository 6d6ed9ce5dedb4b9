"""Shared fixtures: every store backend, fresh per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pulserec.storage import MemoryStore, SqliteStore, Store
from pulserec.storage.postgres import PostgresStore
from pulserec.testing.engines import Postgres, Redis


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """One real PostgreSQL server for the session (each test takes a database of its own)."""
    server = Postgres(fsync=False)
    yield server
    server.close()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Redis]:
    """One real redis-server for the session."""
    server = Redis()
    yield server
    server.close()


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each backend in turn: the contract suite runs against all of them."""
    backend: Store
    if request.param == "memory":
        backend = MemoryStore()
    elif request.param == "sqlite":
        backend = SqliteStore(tmp_path / "s.db")
    else:
        backend = PostgresStore(request.getfixturevalue("postgres").database())
    yield backend
    backend.close()
