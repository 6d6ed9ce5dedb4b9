"""What the PostgreSQL and Redis storage tests share: a store on its own database, an empty
bus on the session's redis-server, a click."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pulserec.core.types import Event, EventType
from pulserec.storage.postgres import PostgresStore
from pulserec.storage.redis_bus import RedisBus
from pulserec.testing.engines import Postgres, Redis


def click(user: str, item: str, event_id: str) -> Event:
    return Event(user, item, EventType.CLICK, 1_700_000_000.0, event_id=event_id)


@pytest.fixture
def pg_store(postgres: Postgres) -> Iterator[PostgresStore]:
    backend = PostgresStore(postgres.database())
    yield backend
    backend.close()


@pytest.fixture
def bus(redis_server: Redis) -> Iterator[RedisBus]:
    connection = RedisBus(redis_server.url)
    connection.client.flushdb()
    yield connection
    connection.close()
