"""Group commit: event batches that queue behind a commit share the next one, each batch keeps
its own result, and a batch the store refuses fails alone."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from pulserec.core.types import Event, EventType
from pulserec.storage import AppendResult, SqliteStore
from pulserec.storage.ingest import Ingestor


class CountingStore(SqliteStore):
    """A real SQLite store that counts its commits of event batches and can refuse one."""

    def __init__(self, path: Path, refuse: str | None = None) -> None:
        super().__init__(path)
        self.groups: list[int] = []
        self.refuse = refuse

    def append_event_batches(self, batches: Sequence[Sequence[Event]]) -> list[AppendResult]:
        self.groups.append(len(batches))
        if any(self._refused(batch) for batch in batches):
            raise OSError("disk says no")
        return super().append_event_batches(batches)

    def append_events(self, events: Sequence[Event]) -> AppendResult:
        if self._refused(events):
            raise OSError("disk says no")
        return super().append_events(events)

    def _refused(self, events: Sequence[Event]) -> bool:
        return any(e.user_id == self.refuse for e in events)


def _click(user: str, n: int) -> Event:
    return Event(user, f"i{n % 5}", EventType.CLICK, 1_800_000_000.0 + n, event_id=f"{user}-{n}")


def _queue_behind_a_held_lock(ingestor: Ingestor, users: list[str]) -> dict[str, object]:
    """Every user's batch posted from its own thread while the commit lock is held, then the
    lock released: what each thread got back (a result or an error)."""
    outcome: dict[str, object] = {}

    def post(user: str) -> None:
        try:
            outcome[user] = ingestor.add_events([_click(user, 1), _click(user, 2)])
        except OSError as error:
            outcome[user] = error

    threads = [threading.Thread(target=post, args=(user,)) for user in users]
    with ingestor.lock:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while len(ingestor._queue) < len(users) and time.monotonic() < deadline:
            time.sleep(0.001)
    for thread in threads:
        thread.join(10)
    return outcome


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CountingStore]:
    opened = CountingStore(tmp_path / "g.db")
    yield opened
    opened.close()


def test_batches_queued_behind_a_commit_share_one(store: CountingStore) -> None:
    published: list[int] = []
    ingestor = Ingestor(store)
    ingestor.subscribe(lambda change: published.append(len(change.events)))
    users = [f"u{n}" for n in range(8)]
    outcome = _queue_behind_a_held_lock(ingestor, users)
    assert store.groups == [8]  # one commit for all eight batches
    assert all(isinstance(r, AppendResult) and r.accepted == 2 for r in outcome.values())
    assert published == [2] * 8
    assert store.counts().events == 16
    again = ingestor.add_events([_click("u0", 1)])  # a replay of a stored event
    assert (again.accepted, again.duplicates) == (0, 1)


def test_a_refused_batch_fails_alone(store: CountingStore) -> None:
    store.refuse = "u3"
    ingestor = Ingestor(store)
    outcome = _queue_behind_a_held_lock(ingestor, [f"u{n}" for n in range(5)])
    assert isinstance(outcome.pop("u3"), OSError)
    assert all(isinstance(r, AppendResult) and r.accepted == 2 for r in outcome.values())
    assert store.counts().events == 8
    with pytest.raises(OSError):
        ingestor.add_events([_click("u3", 9)])


def test_submitted_batches_resolve_through_one_writer(store: CountingStore) -> None:
    """The event loop's path: futures resolved by the ingestor's writer thread, whatever
    queued while a commit held the lock sharing the next one; a refused batch fails alone."""
    store.refuse = "u2"
    ingestor = Ingestor(store)
    with ingestor.lock:
        futures = {f"u{n}": ingestor.submit_events([_click(f"u{n}", n)]) for n in range(6)}
        time.sleep(0.05)  # the writer is waiting for the lock, the rest queue behind it
    assert isinstance(futures.pop("u2").exception(10), OSError)
    assert all(f.result(10).accepted == 1 for f in futures.values())
    assert store.counts().events == 5
    assert len(store.groups) < 6


def test_a_subscriber_that_raises_changes_no_batch_s_answer(store: CountingStore) -> None:
    """The group is durable: every batch is told it was stored, whatever a subscriber does
    after the commit, so no client retries (and stores twice) what was accepted."""
    ingestor = Ingestor(store)
    seen: list[int] = []

    def broken(change: object) -> None:
        seen.append(1)
        raise RuntimeError("a subscriber bug")

    ingestor.subscribe(broken)
    users = [f"u{n}" for n in range(6)]
    outcome = _queue_behind_a_held_lock(ingestor, users)
    assert all(isinstance(r, AppendResult) and r.accepted == 2 for r in outcome.values())
    assert len(seen) == 6 and store.counts().events == 12
    assert ingestor.delete_user("u0")  # the other writes too: committed, answered as such
