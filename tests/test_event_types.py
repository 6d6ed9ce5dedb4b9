"""A deployment's own event types: the [events] table, the API, the wording, the music rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from pulserec import event_types
from pulserec.api.app import create_app
from pulserec.app.settings import Settings
from pulserec.config import ServerSettings
from pulserec.encoders import load_encoder
from pulserec.engine.config import EngineConfig
from pulserec.engine.startup import start_runtime
from pulserec.engine.users import UserStates
from pulserec.interactions import Interactions
from pulserec.storage import MemoryStore
from pulserec.types import Event, EventType
from tests.engine.conftest import THEMES, filled_store

MUSIC = {
    "play": {"role": "positive", "weight": 1.0, "label": "played"},
    "add_to_playlist": {"role": "positive", "weight": 3.0, "label": "added to a playlist"},
    "stream_skip": {"role": "negative", "weight": 0.5, "label": "skipped"},
    "dwell": {"role": "weak"},
}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"play": {"role": "loved"}}, "role must be one of"),
        ({"play": {"role": "positive", "weight": -1}}, "weight must be a number >= 0"),
        ({"Play Now": {"role": "positive"}}, "lowercase"),
        ({"rating": {"role": "positive"}}, "its role is fixed"),
        ({"play": {"role": "positive", "colour": "red"}}, "unknown key"),
        ({"play": "positive"}, "expected {role"),
    ],
)
def test_a_bad_events_table_is_refused_with_what_is_wrong(table: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        event_types.parse_table(table)


def test_the_settings_file_names_a_deployments_types(tmp_path: Path) -> None:
    path = tmp_path / "pulserec.toml"
    path.write_text('[events]\nplay = {role = "positive", weight = 1.0, label = "played"}\n')
    settings = Settings.load({"config": path}, env={})
    assert settings.engine.event_types == {
        "play": {"role": "positive", "weight": 1.0, "label": "played"}
    }
    assert event_types.is_known("play")
    path.write_text('[events]\nplay = {role = "sometimes"}\n')
    with pytest.raises(ValueError, match="role must be one of"):
        Settings.load({"config": path}, env={})


def test_built_in_types_keep_their_codes_and_meaning() -> None:
    event_types.configure(MUSIC)
    assert [event_types.CODES[t.value] for t in EventType] == list(range(len(EventType)))
    assert event_types.CODES["play"] >= len(EventType)
    data = Interactions.from_events(
        [
            Event("u", "a", "play", 1.0),
            Event("u", "b", "stream_skip", 2.0),
            Event("u", "c", EventType.SKIP, 3.0),
            Event("u", "d", "dwell", 4.0),
        ]
    )
    assert data.positive_mask().tolist() == [True, False, False, True]


def test_a_skip_after_many_plays_demotes_a_favourite_and_erases_a_passing_track() -> None:
    states = UserStates()
    play, skip = event_types.CODES["play"], event_types.CODES[EventType.SKIP.value]
    for _ in range(5):
        states.add(0, 7, play, np.nan, 1, 1.0)  # a favourite, played five times
    states.add(0, 8, play, np.nan, 1, 1.0)  # played once
    states.add(0, 9, play, np.nan, 1, 1.0)
    states.add(0, 7, skip, np.nan, -1, 0.5)
    states.add(0, 8, skip, np.nan, -1, 1.0)
    history = states.history(0)
    assert history.tolist() == [7, 9], "the favourite stays, demoted; the one-off goes"
    evidence = states.evidence(0, history)
    assert evidence is not None and evidence.kinds[0] == play

    loaded = UserStates()
    events = [Event("u", "fav", "play", float(n)) for n in range(5)]
    events += [Event("u", "once", "play", 6.0), Event("u", "last", "play", 7.0)]
    events += [Event("u", "fav", EventType.SKIP, 8.0), Event("u", "once", "stream_skip", 9.0)]
    data = Interactions.from_events(events)
    feedback = EngineConfig().feedback
    loaded.load(
        data, feedback.signals(data.type_code, data.value), feedback.weights(data.type_code)
    )
    assert data.items.ids_of(loaded.history(0)) == ["fav", "last"]


def test_a_deployments_type_end_to_end_with_its_own_words(tmp_path: Path) -> None:
    store = filled_store()
    encoder = load_encoder("hashing")
    config = EngineConfig(
        models=("itemknn",), item_encoder="hashing", query_encoder="hashing", event_types=MUSIC
    )
    runtime = start_runtime(store, config, tmp_path, encoder, encoder, progress=False)
    client = TestClient(create_app(store, ServerSettings(), runtime=runtime))
    plays = [
        {"type": "play", "user_id": "listener", "item_id": f"music-{n}", "timestamp": 1e9 + n}
        for n in range(4)
    ]
    plays[0]["attributes"] = {"ms_played": 183_000}
    assert client.post("/v1/events", json={"events": plays}).status_code < 300
    teleport = {"type": "teleport", "user_id": "x", "item_id": "music-1"}
    refused = client.post("/v1/events", json={"events": [teleport]})
    assert refused.status_code == 422 and "unknown event type 'teleport'" in refused.text
    assert "play" in refused.text  # the known types are named
    exported = client.get("/v1/users/listener/export").json()
    assert {e["type"] for e in exported["events"]} == {"play"}
    assert exported["events"][0].get("attributes") == {"ms_played": 183_000}
    listed = client.get("/v1/recommend/listener", params={"explain": "true", "k": 10}).json()
    sentences = " ".join(item["explanation"] for item in listed["items"])
    assert "you played" in sentences and "bought" not in sentences
    assert any(item["id"].startswith("music-") for item in listed["items"]), THEMES["music"]
    store.close()
    assert isinstance(store, MemoryStore)
