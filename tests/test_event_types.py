"""A deployment's own event types: the [events] table, the API, the wording, the music rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from pulserec.api.app import create_app
from pulserec.app.runtime import assemble
from pulserec.app.settings import Settings
from pulserec.core import event_types
from pulserec.core.config import ServerSettings
from pulserec.core.interactions import Interactions
from pulserec.core.schemas import EventIn
from pulserec.core.types import EVENT_TYPES, Event, EventType
from pulserec.data.importers import import_file
from pulserec.encoders import load_encoder
from pulserec.engine.config import EngineConfig
from pulserec.engine.state.users import UserStates
from pulserec.models.arrays import interactions_from_state, interactions_state
from pulserec.storage import MemoryStore, open_store
from pulserec.storage.ingest import Ingestor
from pulserec.testing.server import run_cli
from tests.engine.conftest import THEMES, filled_store
from tests.engine.test_explanations import evidence, explainer

MUSIC = {
    "play": {"role": "positive", "weight": 1.0, "label": "played"},
    "add_to_playlist": {"role": "positive", "weight": 3.0, "label": "added {item} to a playlist"},
    "stream_skip": {"role": "negative", "weight": 0.5, "label": "skipped"},
    "dwell": {"role": "weak"},
}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"play": {"role": "loved"}}, "unknown role 'loved': role must be one of"),
        ({"play": {"weight": 1.0}}, "play: role is required"),
        ({"play": {"role": "positive", "weight": -1}}, "weight must be a number >= 0"),
        ({"play": {"role": "positive", "weight": float("inf")}}, "weight must be a number"),
        ({"play": {"role": "positive", "weight": True}}, "weight must be a number"),
        ({"play": {"role": "positive", "weight": "1"}}, "weight must be a number"),
        ({"Play Now": {"role": "positive"}}, "lowercase"),
        ({"2play": {"role": "positive"}}, "lowercase"),
        ({"rating": {"role": "positive"}}, "its role is fixed"),
        ({"search": {"role": "negative"}}, "its role is fixed"),
        ({"play": {"role": "positive", "colour": "red"}}, "unknown key.s. colour"),
        ({"play": "positive"}, "expected a table"),
        ({"play": {"role": "positive", "label": " "}}, "label must be 1-100"),
        ({"play": {"role": "positive", "label": "{item} was played"}}, "words first"),
        ({"play": {"role": "positive", "label": "put {item} by {item}"}}, "at most once"),
    ],
)
def test_a_bad_events_table_is_refused_with_what_is_wrong(table: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        event_types.parse_table(table)


def test_the_table_keeps_built_in_defaults_and_fills_in_the_rest() -> None:
    kinds = event_types.parse_table(
        {"skip": {"weight": 0.25}, "purchase": {"label": "ordered"}, "read": {"role": "weak"}}
    )
    assert kinds["skip"] == event_types.EventKind("skip", "negative", 0.25, "skipped")
    assert kinds["purchase"].weight == 3.0 and kinds["purchase"].words == ("ordered", "")
    assert kinds["read"] == event_types.EventKind("read", "weak", 1.0, "read")
    assert kinds["read"].words == ("read", "")
    assert event_types.BUILTIN["cart"].words == ("added", " to your cart")
    assert event_types.BUILTIN["dislike"].final and not event_types.BUILTIN["skip"].final


def test_the_settings_file_names_a_deployments_types(tmp_path: Path) -> None:
    path = tmp_path / "pulserec.toml"
    path.write_text('[events]\nplay = {role = "positive", weight = 1.0, label = "played"}\n')
    settings = Settings.load({"config": path}, env={})
    assert settings.engine.event_types == {
        "play": {"role": "positive", "weight": 1.0, "label": "played"}
    }
    assert event_types.is_known("play")
    path.write_text('[events]\nplay = {role = "sometimes"}\n')
    with pytest.raises(ValueError, match=r"pulserec.toml: \[events\] play: unknown role"):
        Settings.load({"config": path}, env={})
    path.write_text('[events]\nstream = {role = "positive", weight = -2}\n')
    with pytest.raises(ValueError, match="stream: weight must be a number >= 0"):
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
    event_types.configure(MUSIC)
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
    found = states.evidence(0, history)
    assert found is not None and found.kinds[0] == play  # cited for the plays

    loaded = UserStates()
    events = [Event("u", "fav", "play", float(n)) for n in range(5)]
    events += [Event("u", "once", "play", 6.0), Event("u", "last", "play", 7.0)]
    events += [Event("u", "fav", EventType.SKIP, 8.0), Event("u", "once", "stream_skip", 9.0)]
    data = Interactions.from_events(events)
    feedback = EngineConfig().feedback
    loaded.load(
        data,
        feedback.signals(data.type_code, data.value),
        feedback.weights(data.type_code, data.value),
    )
    assert data.items.ids_of(loaded.history(0)) == ["fav", "last"]


def test_negative_feedback_takes_an_item_out_only_once_it_outweighs_the_rest() -> None:
    event_types.configure(MUSIC)
    feedback = EngineConfig().feedback
    states = UserStates()

    def send(item: int, name: str, value: float = np.nan) -> None:
        code = np.array([event_types.CODES[name]], np.int8)
        values = np.array([value], np.float32)
        signal = int(feedback.signals(code, values)[0])
        states.add(0, item, int(code[0]), value, signal, float(feedback.weights(code, values)[0]))

    for _ in range(4):
        send(1, "play")  # balance 4
    send(2, "play")
    for skips in range(1, 8):  # each skip 0.5: 3.5, 3.0, ... 0.5
        send(1, "stream_skip")
        assert (1 in states.history(0).tolist()) == (skips < 7), skips
    send(1, "play")  # back, counted afresh: one skip now takes it out
    send(1, "stream_skip")
    assert 1 not in states.history(0).tolist()
    send(3, "purchase")  # a verdict outweighs anything: a dislike
    send(3, "purchase")
    send(3, "dislike")
    send(4, "rating", 5.0)  # and a low rating after high ones
    send(4, "rating", 5.0)
    send(4, "rating", 1.0)
    assert states.history(0).tolist() == [2]
    send(5, "stream_skip")  # on an item not in the history: nothing
    assert states.history(0).tolist() == [2]


def test_loading_stored_events_gives_what_live_events_give() -> None:
    event_types.configure(MUSIC)
    feedback = EngineConfig().feedback
    rng = np.random.default_rng(7)
    names = ["play", "play", "play", "add_to_playlist", "stream_skip", "skip", "dwell"]
    names += ["dislike", "rating", "view"]
    events = [
        Event(
            f"u{rng.integers(4)}",
            f"i{rng.integers(6)}",
            event_types.as_type(name := names[rng.integers(len(names))]),
            float(rng.integers(50)),  # ties in time: arrival order decides
            float(rng.integers(1, 6)) if name == "rating" else None,
        )
        for _ in range(400)
    ]
    data = Interactions.from_events(events)
    signals, weights = (
        feedback.signals(data.type_code, data.value),
        feedback.weights(data.type_code, data.value),
    )
    loaded = UserStates()
    loaded.load(data, signals, weights)
    live = UserStates()
    for n in np.lexsort((np.arange(len(data)), data.timestamp)).tolist():
        live.add(
            int(data.user_idx[n]),
            int(data.item_idx[n]),
            int(data.type_code[n]),
            float(data.value[n]),
            int(signals[n]),
            float(weights[n]),
        )
    survived = 0  # items still in a history after negative feedback on them
    for user in range(data.n_users):
        a = loaded.evidence(user, loaded.history(user))
        b = live.evidence(user, live.history(user))
        assert a is not None and b is not None
        assert a.items.tolist() == b.items.tolist()
        assert a.kinds.tolist() == b.kinds.tolist()
        np.testing.assert_array_equal(a.values, b.values)
        np.testing.assert_allclose(a.balance, b.balance, rtol=1e-6)
        assert sorted(loaded.seen(user).tolist()) == sorted(live.seen(user).tolist())
        negative = data.item_idx[(data.user_idx == user) & (signals < 0)]
        survived += int(np.isin(a.items, negative).sum())
    assert survived  # the random sequences did exercise the rule


def test_explanations_say_what_the_user_did_in_the_labels_words() -> None:
    event_types.configure(MUSIC)
    explain = explainer({0: "Hey Jude", 1: "Blue", 2: "Volare", 3: "Help"}, {})
    nan = float("nan")
    sentence, reasons = explain.explain(
        np.array([3], np.int32), evidence(["play", "add_to_playlist"], [nan, nan])
    )[0]
    assert sentence == "Because you played Hey Jude and added Blue to a playlist."
    assert reasons[0]["events"] == [{"type": "play"}, {"type": "add_to_playlist"}]
    built_in = explain.explain(np.array([3], np.int32), evidence(["purchase", "cart"], [nan, nan]))
    assert built_in[0][0] == "Because you bought Hey Jude and added Blue to your cart."
    skipped = explain.explain(
        np.array([3], np.int32), evidence(["stream_skip", "dwell"], [nan, nan])
    )
    assert skipped[0][1] == []  # negative and weak types are never cited


def test_a_type_no_table_names_is_refused_even_after_stored_events_of_it_were_read() -> None:
    code = event_types.code_of("legacy_listen")  # stored under an earlier configuration
    assert event_types.kind_of(code).role == "weak" and event_types.kind_of(code).weight == 0
    assert not event_types.is_known("legacy_listen")
    assert "legacy_listen" not in event_types.known()
    with pytest.raises(ValidationError, match=r"unknown event type 'legacy_listen' \(known: view"):
        EventIn.model_validate({"type": "legacy_listen", "user_id": "u", "item_id": "i"})


def test_saved_model_state_keeps_what_its_codes_meant() -> None:
    event_types.configure(MUSIC)
    data = Interactions.from_events([Event("u", "a", "play", 1.0), Event("u", "b", "view", 2.0)])
    state = interactions_state("data.", data)
    assert state["data.type_names"].dtype.kind == "U"
    # written by a process whose table coded play as 12
    saved_names = [*EVENT_TYPES, "share", "download", "stream", "play"]
    state["data.type_names"] = np.array(saved_names)
    state["data.type_code"] = np.array([12, 0], np.int8)
    back = interactions_from_state("data.", state, data.users, data.items)
    assert back.type_code.tolist() == [event_types.CODES["play"], 0]
    del state["data.type_names"]  # state saved before names were kept: built-ins as they are
    state["data.type_code"] = np.array([4, 0], np.int8)
    back = interactions_from_state("data.", state, data.users, data.items)
    assert back.type_code.tolist() == [4, 0]


def test_import_takes_a_deployments_types_and_their_attributes(tmp_path: Path) -> None:
    event_types.configure(MUSIC)
    path = tmp_path / "plays.csv"
    path.write_text(
        "event_id,user_id,item_id,type,timestamp,ms_played\n"
        "e1,u1,t1,play,1700000000,183000\n"
        "e2,u1,t2,teleport,1700000001,10\n"
        "e3,u1,t2,stream_skip,1700000002,4000\n"
    )
    store = MemoryStore()
    report = import_file(path, Ingestor(store))
    assert (report.stored, report.rejected) == (2, 1)
    assert report.samples[0].startswith("row 3: type:")
    assert "unknown event type 'teleport'" in report.samples[0] and "play" in report.samples[0]
    stored = sorted(store.user_events("u1", 10), key=lambda e: e.timestamp)
    assert [(str(e.type), e.attributes) for e in stored] == [
        ("play", {"ms_played": 183000}),
        ("stream_skip", {"ms_played": 4000}),
    ]


def test_the_import_command_reads_the_events_table_of_its_settings_file(tmp_path: Path) -> None:
    config = tmp_path / "pulserec.toml"
    config.write_text('[events]\nlisten = {role = "positive", label = "listened to"}\n')
    events = tmp_path / "events.jsonl"
    events.write_text(
        '{"user_id": "u", "item_id": "t", "type": "listen", "attributes": {"ms_played": 9}}\n'
    )
    data = tmp_path / "d"
    refused = run_cli("import", str(events), "--data-dir", str(data))
    assert refused.returncode != 0 and "unknown event type 'listen'" in refused.stderr
    done = run_cli("import", str(events), "--data-dir", str(data), "--config", str(config))
    assert done.returncode == 0, done.stderr
    store = open_store(data)
    try:
        (event,) = store.user_events("u", 10)
        assert (event.type, event.attributes) == ("listen", {"ms_played": 9})
    finally:
        store.close()


def test_a_deployments_type_end_to_end_with_its_own_words(tmp_path: Path) -> None:
    store = filled_store()
    encoder = load_encoder("hashing")
    config = EngineConfig(
        models=("itemknn",), item_encoder="hashing", query_encoder="hashing", event_types=MUSIC
    )
    runtime = assemble(store, config, tmp_path, encoder, encoder, progress=False)
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
