"""The write path under concurrency: commit order is publication order, a training counts each
event exactly once, items posted during a fit stay fresh, encoding never stalls events."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pulserec.app.runtime import assemble
from pulserec.core.types import Event, EventType, Item
from pulserec.encoders import load_encoder
from pulserec.engine.config import EngineConfig
from pulserec.engine.runtime import Runtime
from pulserec.storage import AppendResult, SqliteStore
from pulserec.storage.ingest import Change

from .conftest import catalog, events


class PausingStore(SqliteStore):
    """A real SQLite store that can hold a writer between its commit and its return: the
    window in which another thread may commit, publish or cut a snapshot."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.pause_next_append = threading.Event()
        self.committed = threading.Event()
        self.resume = threading.Event()

    def append_events(self, events: Sequence[Event]) -> AppendResult:
        result = super().append_events(events)
        self._maybe_pause()
        return result

    def append_event_batches(self, batches: Sequence[Sequence[Event]]) -> list[AppendResult]:
        results = super().append_event_batches(batches)
        self._maybe_pause()
        return results

    def _maybe_pause(self) -> None:
        if self.pause_next_append.is_set():
            self.pause_next_append.clear()
            self.committed.set()
            self.resume.wait(10)


def _runtime(store: SqliteStore, tmp_path: Path, encoder: Any = None) -> Runtime:
    encoder = encoder or load_encoder("hashing")
    config = EngineConfig(models=("itemknn",), item_encoder="hashing", query_encoder="hashing")
    return assemble(store, config, tmp_path, encoder, encoder, progress=False)


def _seeded(tmp_path: Path) -> PausingStore:
    store = PausingStore(tmp_path / "w.db")
    store.upsert_items(catalog())
    store.append_events(events())
    return store


def _click(user: str, item: str, n: int) -> Event:
    return Event(user, item, EventType.CLICK, 1_800_000_000.0 + n, event_id=f"{user}-{n}")


def test_subscribers_see_batches_in_commit_order(tmp_path: Path) -> None:
    store = _seeded(tmp_path)
    runtime = _runtime(store, tmp_path)
    published: list[str] = []

    def record(change: Change) -> None:
        if change.result is not None:
            published.extend(str(e.event_id) for e in change.result.stored)

    runtime.ingestor.subscribe(record)
    store.pause_next_append.set()
    first = threading.Thread(
        target=runtime.ingestor.add_events, args=([_click("a", "space-1", 1)],)
    )
    first.start()
    assert store.committed.wait(10)
    second = threading.Thread(
        target=runtime.ingestor.add_events, args=([_click("b", "space-2", 2)],)
    )
    second.start()
    second.join(0.5)  # it must wait for the first publication, not overtake it
    store.resume.set()
    first.join(10)
    second.join(10)
    stored = [e.event_id for batch in store.iter_events() for e in batch][-2:]
    assert published == stored == ["a-1", "b-2"]
    store.close()


def test_a_training_counts_an_event_committed_at_its_cut_exactly_once(tmp_path: Path) -> None:
    store = _seeded(tmp_path)
    runtime = _runtime(store, tmp_path)
    store.pause_next_append.set()
    writer = threading.Thread(
        target=runtime.ingestor.add_events, args=([_click("late", "cooking-1", 1)],)
    )
    writer.start()
    assert store.committed.wait(10)
    job = runtime.trainer.start()  # cuts its snapshot while the event is committed, unpublished
    time.sleep(0.2)
    store.resume.set()
    writer.join(10)
    assert job.done.wait(60) and job.state == "done", job.error
    last = runtime.trainer.last
    assert last["n_events"] + last["replayed_events"] == store.counts().events
    store.close()


def test_many_writers_during_a_training_lose_and_double_nothing(tmp_path: Path) -> None:
    store = _seeded(tmp_path)
    runtime = _runtime(store, tmp_path)
    at_swap: list[int] = []
    swap = runtime.engine.swap

    def counting_swap(bundle: Any) -> None:  # under the engine's lock: nothing half-applied
        at_swap.append(runtime.engine.state.applied_event_seq)  # commits may go on meanwhile
        swap(bundle)

    runtime.engine.swap = counting_swap  # type: ignore[method-assign]
    job = runtime.trainer.start()
    writers = [
        threading.Thread(
            target=lambda w=w: [
                runtime.ingestor.add_events([_click(f"w{w}", f"garden-{n % 10}", n)])
                for n in range(25)
            ]
        )
        for w in range(4)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)
    assert job.done.wait(60) and job.state == "done", job.error
    last = runtime.trainer.last
    assert last["n_events"] + last["replayed_events"] == at_swap[-1]
    runtime.engine.catch_up()  # and whatever was committed after the swap is applied too
    assert runtime.engine.state.applied_event_seq == store.counts().events
    store.close()


def test_items_posted_during_a_fit_stay_fresh(tmp_path: Path) -> None:
    store = _seeded(tmp_path)
    runtime = _runtime(store, tmp_path)
    before = len(runtime.engine.state.items)
    reading = store.iter_events

    def read_while_an_item_arrives(
        batch_size: int = 10_000, until: int | None = None
    ) -> Iterator[list[Event]]:
        runtime.ingestor.add_items([Item("space-new", "Space story new", "rocket galaxy orbit")])
        yield from (reading(batch_size) if until is None else reading(batch_size, until))

    store.iter_events = read_while_an_item_arrives  # type: ignore[method-assign]
    job = runtime.trainer.train_now()
    assert job.state == "done", job.error
    store.iter_events = reading  # type: ignore[method-assign]
    bundle = runtime.engine.bundle
    assert bundle is not None and bundle.n_items == before
    listed = runtime.engine.recommend("u00", k=10).items
    assert "space-new" in [r.id for r in listed]
    store.close()


class BlockingEncoder:
    """The hashing encoder, blocked on demand inside ``encode`` until released."""

    def __init__(self) -> None:
        self.inner = load_encoder("hashing")
        self.id, self.dim = self.inner.id, self.inner.dim
        self.block = threading.Event()
        self.entered = threading.Event()
        self.release = threading.Event()

    def encode(
        self, texts: Sequence[str], batch_size: int = 64
    ) -> np.ndarray[Any, np.dtype[np.float32]]:
        if self.block.is_set():
            self.entered.set()
            self.release.wait(10)
        return self.inner.encode(texts, batch_size)


def test_encoding_a_large_item_batch_never_stalls_events(tmp_path: Path) -> None:
    store = _seeded(tmp_path)
    encoder = BlockingEncoder()
    runtime = _runtime(store, tmp_path, encoder)
    encoder.block.set()
    poster = threading.Thread(
        target=runtime.ingestor.add_items, args=([Item("slow", "A slow item to encode")],)
    )
    poster.start()
    assert encoder.entered.wait(10)
    clicker = threading.Thread(
        target=runtime.ingestor.add_events, args=([_click("u10", "music-1", 7)],)
    )
    clicker.start()
    clicker.join(5)
    stalled = clicker.is_alive()
    encoder.release.set()
    poster.join(10)
    clicker.join(10)
    assert not stalled, "an event waited for an item's encoding"
    assert runtime.engine.state.items.get("slow") is not None
    store.close()


class CommitBeforeCutStore(PausingStore):
    """Commits one event of a brand-new user just before a training reads its cut: the
    moment another writer's commit lands between the engine's catch-up and the cut."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.arm = False

    def cut(self) -> Any:
        if self.arm:
            self.arm = False
            super().append_events([_click("newcomer", "music-3", 99)])
        return super().cut()


def test_an_event_committed_just_before_the_cut_reaches_the_models(tmp_path: Path) -> None:
    store = CommitBeforeCutStore(tmp_path / "w.db")
    store.upsert_items(catalog())
    store.append_events(events())
    runtime = _runtime(store, tmp_path)
    store.arm = True
    job = runtime.trainer.train_now()
    assert job.state == "done", job.error
    last = runtime.trainer.last
    assert last["n_events"] + last["replayed_events"] == store.counts().events
    model = runtime.engine.bundle.models["itemknn"]  # type: ignore[union-attr]
    newcomer = runtime.engine.state.users.get("newcomer")
    assert newcomer is not None and model.user_items_[newcomer].nnz == 1
    store.close()


class CountingStore(SqliteStore):
    """A real SQLite store that counts what is read back of the log."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.events_read = self.entries_read = 0

    def events_in(self, first: int, last: int) -> list[Event]:
        self.events_read += 1
        return super().events_in(first, last)

    def entries(self, after: int, limit: int = 1000) -> list[Any]:
        found = super().entries(after, limit)
        self.entries_read += len(found)
        return found


def test_a_process_applies_its_own_writes_without_reading_them_back(tmp_path: Path) -> None:
    """Local log entries carry their events: a write is applied from what was committed."""
    store = CountingStore(tmp_path / "c.db")
    store.upsert_items(catalog())
    runtime = _runtime(store, tmp_path)
    before = (store.events_read, store.entries_read)
    user = "reader"
    runtime.ingestor.add_events([Event(user, "cooking-1", EventType.CLICK, 1000.0)])
    runtime.ingestor.add_events([Event(user, "cooking-2", EventType.LIKE, 1001.0)])
    assert (store.events_read, store.entries_read) == before
    engine = runtime.engine
    history = engine.state.items.ids_of(
        engine.state.user_states.history(engine.state.users.get(user))
    )
    assert history == ["cooking-1", "cooking-2"]
    # a write by another process (another store object on the same file) is read from the store
    other = SqliteStore(tmp_path / "c.db")
    other.append_events([Event(user, "cooking-3", EventType.CLICK, 1002.0)])
    other.close()
    engine.recommend(user, 3)
    assert store.events_read == before[0] + 1
    assert "cooking-3" in engine.state.items.ids_of(
        engine.state.user_states.history(engine.state.users.get(user))
    )
    runtime.close()
    store.close()
