"""Fit then publish, the one path of every training: a person deleted while the models fitted
is in no published user map, whichever driver trained (the server's trainer or ``pulserec
train``)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from pulserec.artifacts import ArtifactStore
from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.types import Event, EventType
from pulserec.engine.config import EngineConfig
from pulserec.engine.lifecycle.publish import Snapshot, fit_and_publish
from pulserec.storage import MemoryStore
from pulserec.storage.ingest import Ingestor

from .conftest import catalog

CONFIG = EngineConfig(models=("pop", "itemknn"), item_encoder="hashing", query_encoder="hashing")


def _store() -> tuple[MemoryStore, Ingestor]:
    store = MemoryStore()
    ingestor = Ingestor(store)
    ingestor.add_items(catalog())
    ingestor.add_events(
        [
            Event(f"u{u}", f"space-{(u + n) % 10}", EventType.CLICK, 1_700_000_000.0 + 10 * u + n)
            for u in range(6)
            for n in range(4)
        ]
    )
    return store, ingestor


def _snapshot(store: MemoryStore) -> Snapshot:
    cut = store.cut()
    users, items = IdMap(), IdMap()
    parts = [Interactions.from_events(b, users, items) for b in store.iter_events(cut.event_seq)]
    data = Interactions.concat(parts)
    return Snapshot(data, None, data.n_items, cut)


def _saved_users(artifacts: ArtifactStore, version: str) -> list[str | None]:
    ids: list[str | None] = orjson.loads((artifacts.path(version) / "users.json").read_bytes())[
        "ids"
    ]
    return ids


def test_a_user_deleted_during_the_fit_is_in_no_published_map(tmp_path: Path) -> None:
    store, ingestor = _store()
    snapshot = _snapshot(store)  # the cut: u3 is in it
    assert "u3" in snapshot.data.users
    assert ingestor.delete_user("u3")  # committed after the cut, before the version lands
    artifacts = ArtifactStore(tmp_path / "models")
    published = fit_and_publish(store, CONFIG, snapshot, artifacts, trained_by="test")
    saved = _saved_users(artifacts, published.version)
    assert "u3" not in saved
    assert "u2" in saved and published.meta["trained_by"] == "test"


def test_without_artifacts_the_version_stays_in_memory(tmp_path: Path) -> None:
    store, _ = _store()
    published = fit_and_publish(store, CONFIG, _snapshot(store), None)
    assert published.version.startswith("mem-")
    assert set(published.fitted) == {"pop", "itemknn"}
    assert published.meta["cut_event_seq"] == store.cut().event_seq


def test_a_model_whose_fit_fails_is_skipped_with_its_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pulserec.models.cf.knn import ItemKNN

    def broken(self: object, data: object) -> object:
        raise FloatingPointError("a bad day for cosines")

    monkeypatch.setattr(ItemKNN, "fit", broken)
    store, _ = _store()
    artifacts = ArtifactStore(tmp_path / "models")
    published = fit_and_publish(store, CONFIG, _snapshot(store), artifacts)
    assert set(published.fitted) == {"pop"}  # the version goes out with the others
    assert "FloatingPointError" in published.meta["skipped"]["itemknn"]
    assert published.version in artifacts.list()
