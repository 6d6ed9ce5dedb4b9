"""The composition root wires a serving runtime from settings alone."""

from __future__ import annotations

from pathlib import Path

from pulserec.app.runtime import engine_config, open_runtime
from pulserec.app.settings import Settings
from pulserec.storage import open_store
from pulserec.storage.ingest import Ingestor
from tests.engine.conftest import catalog, events

LIGHT = {
    "PULSEREC_MODELS": "itemknn",
    "PULSEREC_ITEM_ENCODER": "hashing",
    "PULSEREC_QUERY_ENCODER": "hashing",
}


def test_a_runtime_from_settings_trains_serves_and_watches(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    ingestor = Ingestor(store)
    ingestor.add_items(catalog())
    ingestor.add_events(events())
    store.close()
    settings = Settings.load({"data_dir": tmp_path}, env=LIGHT)
    runtime, store = open_runtime(settings, train_if_empty=True)
    try:
        assert runtime.engine.model_version != "none"
        assert runtime.watcher is not None
        assert len(runtime.engine.recommend("u00", 5).items) == 5
        assert runtime.engine.stats()["models"] == ["itemknn"]
    finally:
        if runtime.watcher is not None:
            runtime.watcher.stop()
        runtime.trainer.stop()
        store.close()


def test_a_data_set_brings_its_own_engine_defaults() -> None:
    settings = Settings.load({"dataset": "movielens-100k"}, env={})
    assert engine_config(settings).category_label == "genre"
    assert engine_config(Settings.load({}, env={})).category_label == "category"
