"""Impressions queued in memory never outlive their user's deletion: the ``delete_user`` entry
drops them from the queue, and a store refuses a deleted user's impressions at write."""

from __future__ import annotations

from pathlib import Path

from pulserec.app.runtime import assemble
from pulserec.core.types import Impression, User
from pulserec.engine.config import EngineConfig
from pulserec.experiments.impressions import ImpressionLog
from pulserec.storage import MemoryStore, SqliteStore


def _shown(impression_id: str, user: str) -> Impression:
    return Impression(impression_id, "exp", "a", user, 1.0, ("i1",), (0,), 1.0)


def test_a_queued_impression_written_after_the_delete_is_refused(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite")
    try:
        store.upsert_users([User("gone"), User("kept")])
        log = ImpressionLog(store, every_s=3600)  # nothing flushes but us
        log.record(_shown("m1", "gone"))
        log.record(_shown("m2", "kept"))
        store.delete_user("gone")  # between the request that queued it and the flush
        assert log.flush() == 2
        assert [i.id for i in store.impressions("exp")] == ["m2"]
        log.close()
    finally:
        store.close()


def test_the_delete_drops_the_users_queued_impressions() -> None:
    store = MemoryStore()
    runtime = assemble(store, EngineConfig(models=()), progress=False)
    try:
        runtime.ingestor.add_users([User("gone"), User("kept")])
        queue = runtime.experiments.log
        queue.every_s = 3600  # its thread does not flush during the test
        queue.record(_shown("m1", "gone"))
        queue.record(_shown("m2", "kept"))
        runtime.ingestor.delete_user("gone")
        runtime.engine.catch_up()
        assert queue.queued == 1
        assert queue.forget("kept") == 1 and queue.queued == 0
    finally:
        runtime.close()
        store.close()
