"""``GET /v1/users?q=`` (find any user by id) and ``GET /v1/users/{id}/export`` (right of
access: everything stored about a user as one document)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import MakeClient
from tests.api.test_recommend import assert_error, ok


def test_users_q_finds_users_beyond_the_first_page(client: TestClient) -> None:
    users = [{"id": f"member-{n:03d}"} for n in range(250)] + [{"id": "Guest/7"}]
    assert ok(client.post("/v1/users", json={"users": users})) == {"upserted": 251}
    first_page = ok(client.get("/v1/users", params={"limit": 200}))
    assert "member-242" not in {u["id"] for u in first_page["users"]}
    found = ok(client.get("/v1/users", params={"q": "er-24"}))
    assert [u["id"] for u in found["users"]] == [f"member-{n}" for n in range(240, 250)]
    assert found["total"] == 10
    assert found["users"][0] == {
        "id": "member-240",
        "attributes": {},
        "preferences": None,
        "events": 0,
    }
    paged = ok(client.get("/v1/users", params={"q": "MEMBER-1", "offset": 95, "limit": 10}))
    assert [u["id"] for u in paged["users"]] == [
        "member-195",
        "member-196",
        "member-197",
        "member-198",
        "member-199",
    ]
    assert paged["total"] == 100
    assert ok(client.get("/v1/users", params={"q": "guest/"}))["total"] == 1
    assert ok(client.get("/v1/users", params={"q": "nobody"})) == {"users": [], "total": 0}
    assert ok(client.get("/v1/users", params={"q": ""}))["total"] == 251
    too_long = client.get("/v1/users", params={"q": "x" * 257})
    assert_error(too_long, 422, "validation_error", "q")


def test_export_has_profile_preferences_and_every_event(client: TestClient) -> None:
    user = {"id": "ann/1", "attributes": {"age": 31}, "preferences": "quiet jazz"}
    assert ok(client.post("/v1/users", json={"users": [user]})) == {"upserted": 1}
    events = [
        {
            "event_id": f"e{n}",
            "user_id": "ann/1",
            "item_id": f"i{n}",
            "type": "view",
            "timestamp": 1000 + n,
        }
        for n in range(150)
    ]
    events.append({"user_id": "ann/1", "type": "search", "query": "late night", "timestamp": 10})
    events.append(
        {"user_id": "ann/1", "item_id": "i1", "type": "rating", "value": 4.5, "timestamp": 2}
    )
    events.append({"user_id": "bob", "item_id": "i1", "type": "click"})
    assert ok(client.post("/v1/events", json={"events": events}))["accepted"] == 153
    doc = ok(client.get("/v1/users/ann%2F1/export"))
    keys = {"user", "preferences", "preference_vector", "hidden", "events", "impressions"}
    keys.add("exported_at")
    assert set(doc) == keys
    assert doc["user"] == {"id": "ann/1", "attributes": {"age": 31}}
    assert doc["preferences"] == "quiet jazz"
    assert len(doc["events"]) == 152  # all of them, not a page; none of bob's
    assert [e["event_id"] for e in doc["events"][:2]] == ["e0", "e1"]  # arrival order
    assert doc["events"][0] == {
        "event_id": "e0",
        "user_id": "ann/1",
        "item_id": "i0",
        "type": "view",
        "value": None,
        "timestamp": "1970-01-01T00:16:40Z",
        "query": None,
    }
    assert doc["events"][150]["query"] == "late night"
    assert doc["events"][151]["value"] == 4.5
    assert doc["exported_at"].endswith("Z")


def test_export_is_404_for_unknown_and_deleted_users(client: TestClient) -> None:
    assert_error(client.get("/v1/users/ghost/export"), 404, "not_found")
    event = {"user_id": "gone", "item_id": "i", "type": "click"}
    assert ok(client.post("/v1/events", json={"events": [event]}))["accepted"] == 1
    assert len(ok(client.get("/v1/users/gone/export"))["events"]) == 1
    assert ok(client.delete("/v1/users/gone")) == {"deleted": "gone"}
    assert_error(client.get("/v1/users/gone/export"), 404, "not_found")


def test_export_needs_a_read_key_when_one_is_set(make_client: MakeClient) -> None:
    keyed = make_client(read_key="r")
    assert_error(keyed.get("/v1/users/x/export"), 401, "unauthorized")
    assert_error(keyed.get("/v1/users/x/export", headers={"X-API-Key": "r"}), 404, "not_found")
