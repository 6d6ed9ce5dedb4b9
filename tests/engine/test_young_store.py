"""A young deployment trains: one item, one user, one event (nobody has a next item yet), with
the default models, through ``pulserec train`` and the server's trainer alike; a model that
cannot be fitted is skipped with its reason in the reply."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulserec.artifacts import ArtifactStore
from pulserec.core.types import Event, EventType, Item
from pulserec.engine.config import EngineConfig
from pulserec.engine.lifecycle.standalone import train_from_store
from pulserec.storage import MemoryStore
from pulserec.storage.ingest import Ingestor

from .conftest import build

CONFIG = EngineConfig(item_encoder="hashing", query_encoder="hashing")  # default models


def _young(title: str | None) -> MemoryStore:
    store = MemoryStore()
    ingestor = Ingestor(store)
    if title is not None:
        ingestor.add_items([Item("song", title, "a first song")])
    ingestor.add_events([Event("alice", "song", EventType.CLICK, 1_700_000_000.0)])
    return store


def test_pulserec_train_publishes_on_a_store_with_one_event(tmp_path: Path) -> None:
    meta = train_from_store(_young("First song"), CONFIG, ArtifactStore(tmp_path), progress=False)
    assert meta["model_version"] and not meta["skipped"]
    assert set(meta["fit_seconds"]) == set(CONFIG.models)


def test_without_text_the_text_models_are_skipped_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no model could be trained.*text"):
        train_from_store(_young(None), CONFIG, ArtifactStore(tmp_path), progress=False)


def test_the_servers_trainer_serves_a_store_with_one_event(tmp_path: Path) -> None:
    runtime = build(_young("First song"), tmp_path, CONFIG.models)
    job = runtime.trainer.train_now()
    assert job.state == "done" and job.models == list(CONFIG.models), job.error
    assert [r.id for r in runtime.engine.recommend("alice", k=5, exclude_seen=False).items] == [
        "song"
    ]
