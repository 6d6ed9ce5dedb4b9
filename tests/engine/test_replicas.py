"""Replicas as several hosts run them: each its own process state and data dir, one PostgreSQL
store, one Redis bus, one artifacts directory. A write through either is in the other's next
answer; item vectors are computed once by the writer; a replica that starts late, or that
lost the bus, converges on the store; a stopped store leaves answers served from memory."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from pulserec.app.runtime import assemble, follow_bus
from pulserec.core.types import Event, EventType, Item
from pulserec.encoders import load_encoder
from pulserec.encoders.base import Encoder
from pulserec.engine.config import EngineConfig
from pulserec.engine.runtime import Runtime
from pulserec.engine.state.updates import OnlineUpdater
from pulserec.storage import StoreUnavailable
from pulserec.storage.postgres import PostgresStore
from pulserec.storage.redis_bus import BusFeed
from pulserec.testing.engines import Postgres, Redis

from .conftest import catalog, events

CONFIG = EngineConfig(models=("itemknn",), item_encoder="hashing", query_encoder="hashing")


class CountingEncoder:
    """The hashing encoder, counting the texts it encodes."""

    def __init__(self) -> None:
        self.inner: Encoder = load_encoder("hashing")
        self.dim = self.inner.dim
        self.name = "hashing"
        self.texts = 0

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:  # type: ignore[type-arg]
        self.texts += len(texts)
        return self.inner.encode(texts, batch_size)


def replica(url: str, bus_url: str | None, home: Path, artifacts: Path) -> Runtime:
    store = PostgresStore(url)
    feed = follow_bus(store, bus_url) if bus_url else None
    encoder = CountingEncoder()
    return assemble(
        store,
        CONFIG,
        home,
        encoder,  # type: ignore[arg-type]
        load_encoder("hashing"),
        progress=False,
        feed=feed,
        artifacts_dir=artifacts,
    )


def seeded(url: str, bus_url: str | None, home: Path, artifacts: Path) -> Runtime:
    """A first replica that writes the catalog and the events."""
    first = replica(url, bus_url, home, artifacts)
    first.ingestor.add_items(catalog())
    first.ingestor.add_events(events())
    return first


def _ids(runtime: Runtime, user: str, k: int = 10) -> list[str]:
    return [r.id for r in runtime.engine.recommend(user, k=k).items]


@pytest.fixture
def shared(postgres: Postgres, redis_server: Redis, tmp_path: Path) -> tuple[str, str, Path]:
    import redis

    redis.Redis.from_url(redis_server.url).flushdb()
    return postgres.database(), redis_server.url, tmp_path / "artifacts"


def _caught_up(reader: Runtime, writer: Runtime) -> None:
    """Wait (5 s at most) until ``reader``'s feed knows the writer's last entry."""
    feed = reader.engine.feed
    if isinstance(feed, BusFeed):
        assert feed.wait_for(writer.engine.feed.known_high_water(), 5.0)


@pytest.fixture
def replicas(shared: tuple[str, str, Path], tmp_path: Path) -> Iterator[tuple[Runtime, Runtime]]:
    url, bus, artifacts = shared
    first = seeded(url, bus, tmp_path / "a", artifacts)
    first.trainer.train_now()
    second = replica(url, bus, tmp_path / "b", artifacts)
    yield first, second
    for runtime in (first, second):
        runtime.engine.store.close()


def test_a_write_through_one_replica_is_in_the_others_next_answer(
    replicas: tuple[Runtime, Runtime],
) -> None:
    first, second = replicas
    assert second.engine.model_version == first.engine.model_version  # the shared artifacts
    for n in range(20):
        shown = _ids(second, "u10")
        writer = (first, second)[n % 2]
        writer.ingestor.add_events(
            [Event("u10", shown[0], EventType.CLICK, 1_800_000_000.0 + n, event_id=f"c{n}")]
        )
        _caught_up(second, first)  # the follower thread has the entry (a millisecond or so)
        assert shown[0] not in _ids(second, "u10"), "stale answer on the other replica"
    feed = second.engine.feed
    assert isinstance(feed, BusFeed) and feed.from_bus > 0


def test_an_item_posted_to_one_is_searchable_on_the_other_without_encoding_again(
    replicas: tuple[Runtime, Runtime],
) -> None:
    first, second = replicas
    updater = second.engine.follower
    assert isinstance(updater, OnlineUpdater)
    encoder = updater.text.item_encoder
    assert isinstance(encoder, CountingEncoder)
    before = encoder.texts
    first.ingestor.add_items([Item("rocket-new", "Rocket galaxy orbit new", "rocket galaxy")])
    _caught_up(second, first)
    found = second.engine.search("rocket galaxy", k=5).items
    assert "rocket-new" in [r.id for r in found]
    assert encoder.texts == before, "the other replica re-encoded an item the writer encoded"
    first.ingestor.delete_item("rocket-new")
    _caught_up(second, first)
    assert "rocket-new" not in [r.id for r in second.engine.search("rocket", k=40).items]


def test_a_replica_that_starts_late_converges_on_the_store(
    shared: tuple[str, str, Path], tmp_path: Path
) -> None:
    url, bus, artifacts = shared
    first = seeded(url, bus, tmp_path / "a", artifacts)
    late = replica(url, bus, tmp_path / "late", artifacts)  # loads the store at its cut
    first.ingestor.add_events([Event("u3", "music-1", EventType.CLICK, 1_800_000_000.0)])
    _caught_up(late, first)
    late.engine.catch_up()
    assert late.engine.state.applied_seq == first.engine.store.high_water()
    assert late.engine.stats()["log_seq"] == first.engine.stats()["log_seq"]
    for runtime in (first, late):
        runtime.engine.store.close()


def test_without_a_bus_replicas_follow_the_store_itself(
    shared: tuple[str, str, Path], tmp_path: Path
) -> None:
    url, _, artifacts = shared
    first = seeded(url, None, tmp_path / "a", artifacts)
    second = replica(url, None, tmp_path / "b", artifacts)
    shown = _ids(second, "u5")
    first.ingestor.add_events([Event("u5", shown[0], EventType.CLICK, 1_800_000_000.0)])
    assert shown[0] not in _ids(second, "u5")
    for runtime in (first, second):
        runtime.engine.store.close()


def test_a_stopped_store_refuses_writes_and_answers_from_memory_then_recovers(
    redis_server: Redis, tmp_path: Path
) -> None:
    server = Postgres(fsync=False)
    try:
        url = server.database()
        first = seeded(url, redis_server.url, tmp_path / "a", tmp_path / "artifacts")
        second = replica(url, redis_server.url, tmp_path / "b", tmp_path / "artifacts")
        answer = _ids(second, "u7")
        server.stop()
        with pytest.raises(StoreUnavailable):
            first.ingestor.add_events([Event("u7", "space-1", EventType.CLICK, 1.8e9)])
        assert _ids(second, "u7") == answer  # served from memory
        server.start()
        first.ingestor.add_events([Event("u7", answer[0], EventType.CLICK, 1.8e9)])
        _caught_up(second, first)
        assert answer[0] not in _ids(second, "u7")
        for runtime in (first, second):
            runtime.engine.store.close()
    finally:
        server.close()
