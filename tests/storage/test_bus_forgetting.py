"""A deleted user's id leaves the change-log stream: every entry naming them but the deletion
itself is deleted from the stream once the deletion is published, and every publication trims
entries older than ``LOG_ID_KEEP_S``; a follower still converges (it reads from the store)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from pulserec.core.types import User
from pulserec.storage import redis_bus
from pulserec.storage.postgres import PostgresStore
from pulserec.storage.redis_bus import BusFeed, BusPublisher, RedisBus
from pulserec.storage.redis_scrub import STREAM
from tests.storage.conftest import click


def _stream(bus: RedisBus) -> list[bytes]:
    records: Any = bus.client.xrange(STREAM)
    return [fields[b"e"] for _, fields in records]


def test_the_stream_keeps_a_deleted_id_only_in_the_deletion(
    pg_store: PostgresStore, bus: RedisBus
) -> None:
    publisher = BusPublisher(bus)
    pg_store.after_commit(publisher)
    pg_store.upsert_users([User("gone-user"), User("kept")])
    pg_store.append_events([click("gone-user", "a", "1"), click("kept", "b", "2")])
    pg_store.append_events([click("gone-user", "c", "3")])
    pg_store.delete_user("gone-user")
    assert publisher.flush(5.0)
    publisher.scrubber.join()
    naming = [body for body in _stream(bus) if b'"gone-user"' in body]
    assert len(naming) == 1 and b'"delete_user"' in naming[0]
    assert len(_stream(bus)) == 1  # entries cannot be edited: the users entry naming both went
    feed = BusFeed(pg_store, bus)  # a follower from the start reads what went from the store
    assert feed.wait_for(pg_store.high_water(), 5.0)
    seen, after = [], 0
    while page := feed.entries(after):
        seen += [e.kind for e in page]
        after = page[-1].seq
    assert seen == ["users", "events", "events", "delete_user"]
    feed.close()
    publisher.close()


def test_every_publication_trims_entries_older_than_the_keep(
    pg_store: PostgresStore, bus: RedisBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher = BusPublisher(bus)
    pg_store.after_commit(publisher)
    pg_store.append_events([click("u", "a", "1")])
    assert publisher.flush(5.0) and len(_stream(bus)) == 1
    time.sleep(0.01)
    monkeypatch.setattr(redis_bus, "LOG_ID_KEEP_S", 0.005)
    pg_store.append_events([click("u", "b", "2")])
    assert publisher.flush(5.0)
    assert len(_stream(bus)) == 1 and b'"2"' in _stream(bus)[0]
    publisher.close()
