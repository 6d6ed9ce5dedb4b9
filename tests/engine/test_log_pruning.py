"""A worker left behind by the pruned change log (idle while another wrote more than the log
keeps) applies the store itself and then answers as the worker that saw every entry; a
training whose cut the log no longer reaches still leaves the users deleted meanwhile out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from pulserec.app.runtime import assemble
from pulserec.artifacts import ArtifactStore
from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.types import Event, EventType, Item, User
from pulserec.encoders import load_encoder
from pulserec.engine.config import EngineConfig
from pulserec.engine.lifecycle.publish import Snapshot, fit_and_publish
from pulserec.engine.runtime import Runtime
from pulserec.storage import SqliteStore
from pulserec.storage.changelog import LogPruned, contiguous
from pulserec.storage.ingest import Ingestor

from .conftest import catalog, events

CONFIG = EngineConfig(models=("itemknn",), item_encoder="hashing", query_encoder="hashing")
KEEP = 4


def _worker(data_dir: Path) -> Runtime:
    store = SqliteStore(data_dir / "pulserec.sqlite3", log_keep=KEEP)
    encoder = load_encoder("hashing")
    return assemble(store, CONFIG, data_dir, encoder, encoder, progress=False)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[tuple[Runtime, Runtime]]:
    first = _worker(tmp_path)
    first.ingestor.add_items(catalog())
    first.ingestor.add_events(events())
    first.trainer.train_now()
    second = _worker(tmp_path)
    yield first, second
    for runtime in (first, second):
        runtime.close()
        runtime.engine.store.close()


def _ids(runtime: Runtime, user: str, k: int = 10) -> list[str]:
    return [r.id for r in runtime.engine.recommend(user, k=k).items]


def test_a_worker_behind_the_pruned_log_applies_the_store(
    workers: tuple[Runtime, Runtime],
) -> None:
    first, second = workers
    behind = second.engine.state.applied_seq
    for n in range(3 * KEEP):  # second stays idle: it reads nothing meanwhile
        first.ingestor.add_events(
            [
                Event(
                    "u10",
                    f"cooking-{n % 10}",
                    EventType.CLICK,
                    1_800_000_000.0 + n,
                    event_id=f"c{n}",
                )
            ]
        )
    first.ingestor.add_items([Item("rocket-new", "Rocket galaxy orbit new", "rocket galaxy")])
    first.ingestor.delete_item("space-3")
    first.ingestor.add_users([User("fan2", preferences="guitar melody song")])
    assert first.ingestor.delete_user("u20")
    for n in range(2 * KEEP):
        first.ingestor.add_events(
            [
                Event(
                    "u31", f"music-{n % 10}", EventType.CLICK, 1_800_000_100.0 + n, event_id=f"m{n}"
                )
            ]
        )
    store = second.engine.store
    with pytest.raises(LogPruned):  # the entries after its position are gone
        contiguous(behind, store.entries(behind, 1000))

    for user in ("u10", "u31", "u00", "fan2"):
        assert _ids(second, user) == _ids(first, user), user
    assert second.engine.follower is not None
    assert second.engine.follower.stats()["resyncs"] == 1
    assert "rocket-new" in [r.id for r in second.engine.search("rocket galaxy", k=5).items]
    assert "space-3" not in second.engine.state.items
    assert "u20" not in second.engine.state.users
    assert [r.id for r in second.engine.popular(k=10).items] == [
        r.id for r in first.engine.popular(k=10).items
    ]
    history = second.engine.state.event_log
    assert len(history) == len(first.engine.state.event_log)  # every event once, none twice

    first.ingestor.add_events(
        [Event("u10", "garden-1", EventType.CLICK, 1_800_000_500.0, event_id="g")]
    )
    assert _ids(second, "u10") == _ids(first, "u10")  # and it follows the log again
    assert second.engine.follower.stats()["resyncs"] == 1


def test_a_version_whose_cut_was_pruned_still_leaves_deleted_users_out(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db", log_keep=KEEP)
    ingestor = Ingestor(store)
    ingestor.add_items(catalog())
    ingestor.add_events(events())
    cut = store.cut()
    users, items = IdMap(), IdMap()
    parts = [Interactions.from_events(b, users, items) for b in store.iter_events(cut.event_seq)]
    data = Interactions.concat(parts)
    snapshot = Snapshot(data, None, data.n_items, cut)
    assert ingestor.delete_user("u21")  # during the fit, then more writes than the log keeps
    for n in range(3 * KEEP):
        ingestor.add_items([Item(f"late-{n}", f"Late {n}")])
    with pytest.raises(LogPruned):
        contiguous(cut.log_seq, store.entries(cut.log_seq, 1000))
    artifacts = ArtifactStore(tmp_path / "models")
    published = fit_and_publish(store, CONFIG, snapshot, artifacts)
    saved = orjson.loads((artifacts.path(published.version) / "users.json").read_bytes())["ids"]
    assert "u21" not in saved and "u20" in saved
    store.close()


def test_a_worker_behind_a_hashed_deletion_still_forgets_the_user(
    workers: tuple[Runtime, Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pulserec.storage import sqlite_tombstones

    first, second = workers
    behind = second.engine.state.applied_seq
    assert "u20" in second.engine.state.users
    assert first.ingestor.delete_user("u20")
    monkeypatch.setattr(sqlite_tombstones, "LOG_ID_KEEP_S", 0.0)  # a day later:
    assert first.ingestor.delete_user("u21")  # the next deletion hashes the first one's id
    entries = first.engine.store.entries(behind, 10)
    assert entries[0].seq == behind + 1 and entries[0].payload["id"] == ""  # no gap, no id

    assert _ids(second, "u00") == _ids(first, "u00")
    assert "u20" not in second.engine.state.users and "u21" not in second.engine.state.users
    assert second.engine.recommend("u20", k=5).items == first.engine.recommend("u20", k=5).items
    assert second.engine.follower is not None
    assert second.engine.follower.stats()["resyncs"] == 1
