"""The trainers' consumer group on a real redis-server: each entry goes to one trainer, a dead
trainer's entries are claimed by another, and `pulserec trainer --bus` publishes a version
for the events it was handed and acknowledges them only then."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from pulserec.artifacts import ArtifactStore
from pulserec.engine.config import EngineConfig
from pulserec.engine.lifecycle.standalone import train_every
from pulserec.storage import SqliteStore
from pulserec.storage.ingest import Ingestor
from pulserec.storage.redis_bus import STREAM, BusPublisher, RedisBus
from pulserec.storage.redis_trainers import TRAINERS, TrainerFeed
from tests.engine.conftest import catalog, events
from tests.storage.conftest import click


def test_each_entry_goes_to_one_trainer_and_a_dead_ones_are_claimed(
    bus: RedisBus, tmp_path: Path
) -> None:
    first, second = TrainerFeed(bus, "a"), TrainerFeed(bus, "b", claim_after_s=0.2)
    store = SqliteStore(tmp_path / "s.db")
    store.after_commit(BusPublisher(bus))
    for n in range(6):
        store.append_events([click("u", f"i{n}", str(n))])
    taken_a = first.take(block_s=0.1)
    taken_b = second.take(block_s=0.1)
    seqs_a, seqs_b = {e.seq for _, e in taken_a}, {e.seq for _, e in taken_b}
    assert seqs_a | seqs_b == set(range(1, 7)) and not seqs_a & seqs_b
    second.ack([rid for rid, _ in taken_b])
    time.sleep(0.3)  # "a" never acknowledges: it died holding its entries
    claimed = second.take(block_s=0.1)
    assert {e.seq for _, e in claimed} == seqs_a
    second.ack([rid for rid, _ in claimed])
    assert bus.client.xpending(STREAM, TRAINERS)["pending"] == 0
    store.close()


def test_the_trainer_publishes_for_the_events_it_was_handed_then_acknowledges(
    bus: RedisBus, tmp_path: Path
) -> None:
    store = SqliteStore(tmp_path / "s.db")
    store.after_commit(BusPublisher(bus))
    ingestor = Ingestor(store)
    ingestor.add_items(catalog())
    artifacts = ArtifactStore(tmp_path / "models")
    config = EngineConfig(models=("itemknn",), item_encoder="hashing", query_encoder="hashing")
    feed = TrainerFeed(bus, "trainer-1")
    stop = threading.Event()
    loop = threading.Thread(target=train_every, args=(store, config, artifacts, 0.1, stop, feed))
    loop.start()
    try:
        ingestor.add_events(events())
        deadline = time.monotonic() + 60
        while artifacts.latest() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert artifacts.latest() is not None
        while bus.client.xpending(STREAM, TRAINERS)["pending"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert bus.client.xpending(STREAM, TRAINERS)["pending"] == 0
    finally:
        stop.set()
        loop.join(30)
        store.close()
