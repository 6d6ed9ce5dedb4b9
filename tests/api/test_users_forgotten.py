"""Forgetting that sticks over HTTP: a deleted user's replayed events and records are refused
with code ``forgotten`` naming each index; an explicit ``?restore=true`` re-creates them; the
export carries impressions and the preference vector."""

from __future__ import annotations

import time
from typing import Any, cast

import numpy as np
from fastapi.testclient import TestClient

from pulserec.core.types import Impression, User
from tests.api.test_recommend import ok

EVENTS = [
    {"event_id": "e1", "user_id": "gone", "item_id": "i1", "type": "click", "timestamp": 10},
    {"event_id": "e2", "user_id": "kept", "item_id": "i1", "type": "click", "timestamp": 11},
    {"event_id": "e3", "user_id": "gone", "item_id": "i2", "type": "view", "timestamp": 12},
]


def _forgotten(answer: Any, indexes: list[int], field: str) -> None:
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "validation_error" and "forgotten" in error["message"]
    assert [d["index"] for d in error["details"]] == indexes
    assert {(d["field"], d["code"]) for d in error["details"]} == {(field, "forgotten")}


def test_replayed_events_of_a_deleted_user_are_refused_naming_each_index(
    client: TestClient,
) -> None:
    assert ok(client.post("/v1/events", json={"events": EVENTS}))["accepted"] == 3
    assert ok(client.delete("/v1/users/gone")) == {"deleted": "gone"}
    _forgotten(client.post("/v1/events", json={"events": EVENTS}), [0, 2], "user_id")
    assert client.get("/v1/users/gone").status_code == 404  # not brought back
    assert ok(client.get("/v1/users/kept"))["events"] == 1  # and nothing of the batch stored
    fresh = {"event_id": "e4", "user_id": "kept", "item_id": "i2", "type": "view"}
    answer = ok(client.post("/v1/events", json={"events": [fresh]}))
    assert answer == {"accepted": 1, "duplicates": 0}


def test_a_deleted_user_is_re_created_only_with_restore(client: TestClient) -> None:
    user = {"id": "gone", "attributes": {"zip": "75011"}}
    assert ok(client.post("/v1/users", json={"users": [user]})) == {"upserted": 1}
    assert ok(client.delete("/v1/users/gone")) == {"deleted": "gone"}
    again = client.post("/v1/users", json={"users": [{"id": "new"}, user]})
    _forgotten(again, [1], "id")
    assert "restore=true" in again.json()["error"]["details"][0]["message"]
    assert client.get("/v1/users/new").status_code == 404  # the batch is refused whole
    restored = client.post("/v1/users?restore=true", json={"users": [user]})
    assert ok(restored) == {"upserted": 1}
    assert ok(client.get("/v1/users/gone"))["attributes"] == {"zip": "75011"}
    assert ok(client.post("/v1/events", json={"events": EVENTS[:1]}))["accepted"] == 1


def test_export_carries_impressions_and_the_preference_vector(client: TestClient) -> None:
    store = cast(Any, client.app).state.services.store
    vector = np.arange(4, dtype=np.float32) / 4
    store.upsert_users([User("ann", {}, "jazz")], [vector])
    shown = Impression("m1", "exp", "b", "ann", 1_700_000_000.0, ("i1", "i2"), (1, 1), 1.5)
    other = Impression("m2", "exp", "a", "bob", time.time(), ("i1",), (0,), 1.0)
    store.append_impressions([shown, other])
    doc = ok(client.get("/v1/users/ann/export"))
    assert doc["preference_vector"] == [0.0, 0.25, 0.5, 0.75]
    assert doc["impressions"] == [
        {
            "impression_id": "m1",
            "experiment": "exp",
            "variant": "b",
            "timestamp": "2023-11-14T22:13:20Z",
            "items": ["i1", "i2"],
            "teams": [1, 1],
        }
    ]
    assert ok(client.post("/v1/users", json={"users": [{"id": "bob"}]}))["upserted"] == 1
    plain = ok(client.get("/v1/users/bob/export"))
    assert plain["preference_vector"] is None and len(plain["impressions"]) == 1
