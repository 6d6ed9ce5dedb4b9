"""The change log on a real redis-server: published after commit, followed in log order, and
whatever the bus lacks (out of order, never published, Redis down or restarted empty) read
from the store, so a follower always converges on the store's log."""

from __future__ import annotations

import os
import signal
import time

import pytest
import redis

from pulserec.storage.changelog import LogEntry
from pulserec.storage.postgres import PostgresStore
from pulserec.storage.redis_bus import BusFeed, BusPublisher, RedisBus
from pulserec.testing.engines import Redis
from tests.storage.conftest import click


def _follow(feed: BusFeed, after: int = 0) -> list[LogEntry]:
    """Everything the feed knows after ``after``, in the order a follower applies it (once its
    thread has learnt of the store's last entry: it follows in the background)."""
    assert feed.wait_for(feed.store.high_water(), 5.0)
    out: list[LogEntry] = []
    while feed.high_water() > after:
        page = feed.entries(after)
        if not page:
            break
        out += page
        after = page[-1].seq
    return out


def test_published_entries_are_followed_in_order_with_their_events(
    pg_store: PostgresStore, bus: RedisBus
) -> None:
    feed = BusFeed(pg_store, bus)
    pg_store.after_commit(BusPublisher(bus))
    pg_store.append_events([click("u", "a", "1"), click("u", "b", "2")])
    pg_store.delete_user("u")
    assert bus.high_water() == 2  # published before the commit answered
    deadline = time.monotonic() + 5
    while feed.bus_high_water < 2 and time.monotonic() < deadline:
        time.sleep(0.001)
    entries = _follow(feed)
    assert [(e.seq, e.kind) for e in entries] == [(1, "events"), (2, "delete_user")]
    assert [e.event_id for e in entries[0].events] == ["1", "2"]  # carried: no store read
    assert (feed.from_bus, feed.from_store) == (2, 0)


def test_out_of_order_and_missing_publications_are_filled_from_the_store(
    pg_store: PostgresStore, bus: RedisBus
) -> None:
    feed = BusFeed(pg_store, bus)
    held: list[list[LogEntry]] = []
    pg_store.after_commit(held.append)  # publish by hand, in the wrong order, one never
    for n in range(3):
        pg_store.append_events([click("u", f"i{n}", str(n))])
    bus.publish(held[2])
    bus.publish(held[0])
    assert [e.seq for e in _follow(feed)] == [1, 2, 3]  # 2 was never published
    assert feed.from_store >= 1


def test_a_write_whose_publication_never_came_is_seen_from_the_store(
    pg_store: PostgresStore, bus: RedisBus
) -> None:
    feed = BusFeed(pg_store, bus)
    pg_store.append_events([click("u", "i", "silent")])  # no publisher at all
    assert [e.seq for e in _follow(feed)] == [1]


def test_redis_down_then_back_empty_loses_nothing(pg_store: PostgresStore) -> None:
    server = Redis()
    try:
        bus = RedisBus(server.url)
        publisher = BusPublisher(bus)
        pg_store.after_commit(publisher)
        feed = BusFeed(pg_store, bus)
        pg_store.append_events([click("u", "i", "before")])
        server.kill()
        pg_store.append_events([click("u", "i", "during")])  # committed; waits in the backlog
        assert publisher.backlog
        assert [e.seq for e in _follow(feed)] == [1, 2]  # the bus is down: the store answers
        server.start()  # empty: no stream, no high-water key
        pg_store.append_events([click("u", "i", "after")])
        entries = _follow(feed, after=2)
        assert [e.seq for e in entries] == [3]
        with pytest.raises(redis.RedisError):
            RedisBus("redis://127.0.0.1:9/0").high_water()
        publisher.close()
        assert not publisher.backlog  # published once Redis came back
    finally:
        server.close()


def test_a_stalled_redis_holds_up_neither_reads_nor_commits(pg_store: PostgresStore) -> None:
    """A Redis that accepts and never answers (the process stopped): the follower keeps
    serving from memory and the store, commits answer without waiting on the bus, and
    everything is published once it answers again."""
    server = Redis()
    try:
        bus = RedisBus(server.url)
        publisher = BusPublisher(bus)
        pg_store.after_commit(publisher)
        feed = BusFeed(pg_store, bus)
        pg_store.append_events([click("u", "i", "before")])
        assert server.process is not None
        os.kill(server.process.pid, signal.SIGSTOP)
        try:
            pg_store.append_events([click("u", "i", "first stalled")])  # the one bounded wait
            started = time.monotonic()
            for n in range(20):
                pg_store.append_events([click("u", "i", f"stalled {n}")])
            commits = time.monotonic() - started
            started = time.monotonic()
            for _ in range(200):
                feed.high_water()
            reads = time.monotonic() - started
            assert commits < 1.0, f"20 commits took {commits:.2f} s on a stalled bus"
            assert reads < 0.1, f"200 reads took {reads:.2f} s on a stalled bus"
            assert [e.seq for e in _follow(feed)] == list(range(1, 23))  # from the store
        finally:
            os.kill(server.process.pid, signal.SIGCONT)
        publisher.close()
        assert not publisher.backlog  # published once Redis answered again
        assert bus.high_water() == 22
        feed.close()
    finally:
        server.close()
