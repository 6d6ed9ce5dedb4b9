"""What the PostgreSQL store adds to the contract: the log never lets a tailing reader pass a
write that commits late, and a server that goes away answers StoreUnavailable, then recovers."""

from __future__ import annotations

import re
import threading
import time

import pytest

from pulserec.core.types import Event, Item
from pulserec.storage import StoreUnavailable
from pulserec.storage.postgres import PostgresStore
from pulserec.testing.engines import Postgres
from tests.storage.conftest import click


def test_a_writer_that_commits_late_is_never_passed_by_a_tailing_reader(
    pg_store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writer A takes its number and then stalls before committing; B writes meanwhile. With a
    plain sequence B's row (a higher number) would be visible first and a reader tailing by
    number would move past A's for good. Here B waits for A, so every read is gapless."""
    stalled, release = threading.Event(), threading.Event()
    original = PostgresStore._append

    def slow_append(
        self: PostgresStore, write: object, events: list[Event], *rest: object
    ) -> object:
        result = original(self, write, events, *rest)  # type: ignore[arg-type]
        if events[0].event_id == "slow":
            stalled.set()
            release.wait(5)
        return result

    monkeypatch.setattr(PostgresStore, "_append", slow_append)
    seen: list[list[int]] = []
    done = threading.Event()

    def tail() -> None:
        while not done.is_set():
            seen.append([e.seq for e in pg_store.entries(0)])

    writer_a = threading.Thread(target=pg_store.append_events, args=([click("a", "i", "slow")],))
    reader = threading.Thread(target=tail)
    writer_a.start()
    assert stalled.wait(5)
    reader.start()
    writer_b = threading.Thread(target=pg_store.append_events, args=([click("b", "i", "fast")],))
    writer_b.start()
    time.sleep(0.3)
    assert writer_b.is_alive(), "the second writer must wait for the first to commit"
    assert pg_store.high_water() == 0
    release.set()
    for thread in (writer_a, writer_b):
        thread.join(5)
    done.set()
    reader.join(5)
    assert [(e.seq, e.payload) for e in pg_store.entries(0)] == [
        (1, {"first": 1, "last": 1}),
        (2, {"first": 2, "last": 2}),
    ]
    assert [e.event_id for e in pg_store.events_in(1, 2)] == ["slow", "fast"]
    assert all(view == list(range(1, len(view) + 1)) for view in seen)


def test_the_hooks_get_each_committed_write_with_its_events(pg_store: PostgresStore) -> None:
    received: list[list[tuple[int, str, int]]] = []
    pg_store.after_commit(
        lambda entries: received.append([(e.seq, e.kind, len(e.events)) for e in entries])
    )
    pg_store.upsert_items([Item("i", "Item")])
    pg_store.append_event_batches(
        [[click("u", "i", "1"), click("u", "i", "2")], [click("v", "i", "3")]]
    )
    with pytest.raises(AttributeError):
        pg_store.append_events([click("u", "i", "4"), "not an event"])  # type: ignore[list-item]
    pg_store.append_events([click("u", "i", "1")])  # a duplicate only: nothing committed to tell
    assert received == [[(1, "items", 0)], [(2, "events", 2), (3, "events", 1)]]


def test_a_stopped_server_answers_unavailable_and_the_store_recovers() -> None:
    server = Postgres(fsync=False)
    try:
        pg_store = PostgresStore(server.database())
        pg_store.append_events([click("u", "i", "before")])
        server.stop()
        with pytest.raises(StoreUnavailable):
            pg_store.append_events([click("u", "i", "during")])
        with pytest.raises(StoreUnavailable):
            pg_store.high_water()
        server.start()
        pg_store.append_events([click("u", "i", "after")])
        assert [e.event_id for e in pg_store.all_user_events("u")] == ["before", "after"]
        assert pg_store.high_water() == 2
        pg_store.close()
    finally:
        server.close()


def test_an_unreachable_server_is_refused_at_once_with_its_address() -> None:
    with pytest.raises(StoreUnavailable, match=re.escape("nobody@127.0.0.1:9/none")) as caught:
        PostgresStore("postgresql://nobody:secret@127.0.0.1:9/none")
    assert "secret" not in str(caught.value)
