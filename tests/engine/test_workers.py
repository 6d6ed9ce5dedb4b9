"""Several engines over one data dir, as `serve --workers` runs them: each follows the change
log, reads what any other wrote, and serves versions published by a trainer elsewhere."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulserec.app.runtime import assemble
from pulserec.artifacts import ArtifactStore
from pulserec.core.types import Event, EventType, Item, User
from pulserec.encoders import load_encoder
from pulserec.engine.config import EngineConfig
from pulserec.engine.lifecycle.standalone import train_from_store
from pulserec.engine.lifecycle.watcher import BundleWatcher
from pulserec.engine.runtime import MODELS_DIR, Runtime
from pulserec.storage import SqliteStore

from .conftest import catalog, events

CONFIG = EngineConfig(models=("itemknn",), item_encoder="hashing", query_encoder="hashing")


def _worker(data_dir: Path) -> Runtime:
    """One worker's runtime over its own connection to the shared SQLite file."""
    store = SqliteStore(data_dir / "pulserec.sqlite3")
    encoder = load_encoder("hashing")
    return assemble(store, CONFIG, data_dir, encoder, encoder, progress=False)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[tuple[Runtime, Runtime]]:
    seed = _worker(tmp_path)
    seed.ingestor.add_items(catalog())
    seed.ingestor.add_events(events())
    seed.trainer.train_now()
    first, second = seed, _worker(tmp_path)
    yield first, second
    first.engine.store.close()
    second.engine.store.close()


def _ids(runtime: Runtime, user: str, k: int = 10) -> list[str]:
    return [r.id for r in runtime.engine.recommend(user, k=k).items]


def test_a_write_through_one_worker_is_read_through_the_other(
    workers: tuple[Runtime, Runtime],
) -> None:
    first, second = workers
    for n in range(30):
        shown = _ids(second, "u10")
        first.ingestor.add_events(
            [Event("u10", shown[0], EventType.CLICK, 1_800_000_000.0 + n, event_id=f"c{n}")]
        )
        assert shown[0] not in _ids(second, "u10"), "stale answer on the other worker"
    first.ingestor.add_items([Item("rocket-new", "Rocket galaxy orbit new", "rocket galaxy")])
    found = second.engine.search("rocket galaxy", k=5).items
    assert "rocket-new" in [r.id for r in found]
    first.ingestor.add_users([User("fan2", preferences="guitar melody song")])
    stated = _ids(second, "fan2", k=5)  # stated tastes, read through the other worker
    assert sum(i.startswith("music-") for i in stated) >= 3
    first.ingestor.delete_item("rocket-new")
    assert "rocket-new" not in [r.id for r in second.engine.search("rocket", k=40).items]


def test_a_worker_current_with_the_log_applies_nothing(workers: tuple[Runtime, Runtime]) -> None:
    _, second = workers
    engine = second.engine
    assert engine.store.high_water() == engine.state.applied_seq
    assert engine.follower is not None and engine.follower.catch_up() == 0


def test_a_version_trained_in_another_process_is_served_by_every_worker(
    workers: tuple[Runtime, Runtime], tmp_path: Path
) -> None:
    first, second = workers
    # the second worker learns ids in another order than the trainer will
    second.ingestor.add_items([Item("zz-late", "Garden soil seeds late", "flower soil")])
    trainer_store = SqliteStore(tmp_path / "pulserec.sqlite3")
    meta = train_from_store(trainer_store, CONFIG, ArtifactStore(tmp_path / MODELS_DIR), False)
    first.ingestor.add_events([Event("u20", "garden-1", EventType.CLICK, 1_800_000_100.0)])
    for runtime in workers:
        watcher = BundleWatcher(runtime.engine, ArtifactStore(tmp_path / MODELS_DIR))
        assert watcher.check()
        assert runtime.engine.model_version == meta["model_version"]
        assert not watcher.check()  # nothing newer
    assert _ids(first, "u20") == _ids(second, "u20")
    assert _ids(first, "u30") == _ids(second, "u30")
    trainer_store.close()


def test_the_trainer_loop_publishes_only_when_events_arrived(
    workers: tuple[Runtime, Runtime], tmp_path: Path
) -> None:
    import threading

    from pulserec.engine.lifecycle.standalone import train_every

    first, _ = workers
    artifacts = ArtifactStore(tmp_path / MODELS_DIR)
    store = SqliteStore(tmp_path / "pulserec.sqlite3")
    stop = threading.Event()
    loop = threading.Thread(target=train_every, args=(store, CONFIG, artifacts, 0.05, stop))
    loop.start()
    deadline = time.monotonic() + 30
    while len(artifacts.list()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    published = artifacts.list()
    time.sleep(0.3)  # no new events: no new version
    assert artifacts.list() == published
    first.ingestor.add_events([Event("u40", "music-2", EventType.CLICK, 1_800_000_200.0)])
    while len(artifacts.list()) == len(published) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    loop.join(10)
    assert len(artifacts.list()) == len(published) + 1
    store.close()
