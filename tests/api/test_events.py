"""Event ingestion over HTTP: validation, atomic batches, idempotent retries, placeholders."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from pulserec.core import event_types


def _post(client: TestClient, *events: dict[str, Any]) -> Any:
    return client.post("/v1/events", json={"events": list(events)})


def test_events_are_stored_newest_first_with_rfc3339_times(client: TestClient) -> None:
    response = _post(
        client,
        {
            "event_id": "e1",
            "user_id": "u",
            "item_id": "i",
            "type": "rating",
            "value": 4,
            "timestamp": 881250949,
        },
        {
            "event_id": "e2",
            "user_id": "u",
            "item_id": "j",
            "type": "click",
            "timestamp": "1997-12-05T00:00:00",
        },
        {
            "event_id": "e3",
            "user_id": "u",
            "type": "search",
            "query": "space opera",
            "timestamp": "1997-12-06T00:00:00+01:00",
        },
    )
    assert response.json() == {"accepted": 3, "duplicates": 0}
    events = client.get("/v1/users/u/events").json()["events"]
    assert [e["event_id"] for e in events] == ["e3", "e2", "e1"]
    assert events[2]["timestamp"] == "1997-12-04T15:55:49Z" and events[2]["value"] == 4.0
    assert events[0]["timestamp"] == "1997-12-05T23:00:00Z" and events[0]["item_id"] is None
    assert (
        client.get("/v1/users/u/events", params={"limit": 1}).json()["events"][0]["event_id"]
        == "e3"
    )


def test_unknown_item_becomes_a_placeholder(client: TestClient) -> None:
    _post(client, {"user_id": "u", "item_id": "new", "type": "view"})
    item = client.get("/v1/items/new").json()
    assert item["placeholder"] is True and item["title"] is None
    client.post("/v1/items", json={"items": [{"id": "new", "title": "Real"}]})
    assert client.get("/v1/items/new").json()["placeholder"] is False


def test_retries_are_idempotent(client: TestClient) -> None:
    batch = [
        {"event_id": f"e{i}", "user_id": "u", "item_id": "i", "type": "view"} for i in range(3)
    ]
    assert _post(client, *batch).json() == {"accepted": 3, "duplicates": 0}
    assert _post(client, *batch).json() == {"accepted": 0, "duplicates": 3}
    inner = {"event_id": "x", "user_id": "u", "item_id": "i", "type": "view"}
    assert _post(client, inner, inner).json() == {"accepted": 1, "duplicates": 1}
    no_id = {"user_id": "u", "item_id": "i", "type": "view"}
    assert _post(client, no_id, no_id).json() == {"accepted": 2, "duplicates": 0}
    assert client.get("/v1/users/u").json()["events"] == 6


def test_one_bad_event_rejects_the_whole_batch(client: TestClient) -> None:
    good = {"event_id": "g", "user_id": "u", "item_id": "i", "type": "view"}
    bad = {"user_id": "u", "item_id": "i", "type": "rating", "value": 7}
    response = _post(client, good, good | {"event_id": "h"}, bad)
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {
            "index": 2,
            "field": "value",
            "message": "Value error, a rating event needs a value in [0, 5]",
        }
    ]
    assert client.get("/v1/users/u").status_code == 404
    assert client.get("/v1/admin/stats").json()["events"] == 0


def test_each_rule_names_its_field(client: TestClient) -> None:
    base = {"user_id": "u", "item_id": "i", "type": "view"}
    cases = {
        "type": base | {"type": "purchased"},
        "item_id": {"user_id": "u", "type": "click"},
        "query": {"user_id": "u", "type": "search"},
        "value": base | {"value": "lots"},
        "timestamp": base | {"timestamp": "next tuesday"},
        "user_id": base | {"user_id": 42},
        "event_id": base | {"event_id": ""},
    }
    for field, event in cases.items():
        response = _post(client, event)
        assert response.status_code == 422, field
        assert response.json()["error"]["details"][0]["field"] == field
    rating_bool = base | {"type": "rating", "value": True}
    assert _post(client, rating_bool).status_code == 422


def test_malformed_json_is_400(client: TestClient) -> None:
    for body in (b"{not json", b'{"events": [', b"\xff\xfe"):
        response = client.post(
            "/v1/events", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "bad_json"
    plain = client.post("/v1/events", content=b"hello", headers={"content-type": "text/plain"})
    assert plain.status_code == 415  # not JSON: refused before parsing (issue 26)


def test_wrong_shapes_are_422(client: TestClient) -> None:
    for body in ([], {"events": {}}, {"events": []}, {"evts": []}, {"events": [1, 2]}):
        response = client.post("/v1/events", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "validation_error"


def test_a_batch_of_ten_thousand_is_accepted(client: TestClient) -> None:
    events = [
        {
            "event_id": f"e{i}",
            "user_id": f"u{i % 50}",
            "item_id": f"i{i % 700}",
            "type": "view",
            "timestamp": 1_000_000 + i,
        }
        for i in range(10_000)
    ]
    assert _post(client, *events).json() == {"accepted": 10_000, "duplicates": 0}


def test_a_deployments_own_type_with_attributes_is_stored_and_exported(client: TestClient) -> None:
    event_types.configure({"stream": {"role": "positive", "label": "streamed"}})
    stream = {
        "event_id": "s1",
        "user_id": "u",
        "item_id": "t",
        "type": "stream",
        "attributes": {"ms_played": 183_000, "device": "phone"},
    }
    assert _post(client, stream).json() == {"accepted": 1, "duplicates": 0}
    (stored,) = client.get("/v1/users/u/events").json()["events"]
    assert stored["type"] == "stream"
    assert stored["attributes"] == {"ms_played": 183_000, "device": "phone"}
    (exported,) = client.get("/v1/users/u/export").json()["events"]
    assert exported["attributes"] == {"ms_played": 183_000, "device": "phone"}
    refused = _post(client, stream | {"event_id": "s2", "type": "beam"})
    assert refused.status_code == 422
    (detail,) = refused.json()["error"]["details"]
    assert detail["index"] == 0 and detail["field"] == "type"
    assert "unknown event type 'beam' (known: view, click" in detail["message"]
    assert "stream" in detail["message"] and "[events]" in detail["message"]
    too_many = {f"k{n}": n for n in range(65)}
    assert _post(client, stream | {"event_id": "s3", "attributes": too_many}).status_code == 422


def test_unknown_fields_are_attributes_and_huge_timestamps_a_422(client: TestClient) -> None:
    play = {"event_id": "p1", "user_id": "w", "item_id": "t", "type": "view", "ms_played": 9}
    assert _post(client, play).json() == {"accepted": 1, "duplicates": 0}
    (stored,) = client.get("/v1/users/w/events").json()["events"]
    assert stored["attributes"] == {"ms_played": 9}
    typo = _post(client, play | {"event_id": "p2", "timestmap": 5})
    assert typo.status_code == 422
    assert "did you mean 'timestamp'" in typo.json()["error"]["details"][0]["message"]
    huge = client.post(
        "/v1/events",
        content=b'{"events": [{"user_id": "w", "item_id": "t", "type": "view", "timestamp": 1'
        + b"0" * 400
        + b"}]}",
        headers={"content-type": "application/json"},
    )
    assert huge.status_code == 422
    assert huge.json()["error"]["details"][0]["field"].endswith("timestamp")
    millis = _post(client, play | {"event_id": "p3", "timestamp": 1_700_000_000_000})
    assert millis.status_code == 200
