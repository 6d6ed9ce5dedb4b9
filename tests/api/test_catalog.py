"""Items and users over HTTP: upsert, read, list, delete, and the errors around them."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_item_upsert_get_list_delete(client: TestClient) -> None:
    body = {
        "items": [
            {
                "id": "a/1",
                "title": "Alpha",
                "tags": ["x"],
                "categories": ["c"],
                "attributes": {"year": 1999},
                "timestamp": 0,
            },
            {"id": "b", "title": "Beta", "description": "second", "hidden": True},
        ]
    }
    assert client.post("/v1/items", json=body).json() == {"upserted": 2}
    item = client.get("/v1/items/a%2F1").json()
    assert item == {
        "id": "a/1",
        "title": "Alpha",
        "description": None,
        "tags": ["x"],
        "categories": ["c"],
        "attributes": {"year": 1999},
        "hidden": False,
        "placeholder": False,
        "timestamp": "1970-01-01T00:00:00Z",
        "available_from": None,
        "expires_at": None,
    }
    page = client.get("/v1/items", params={"offset": 1, "limit": 1}).json()
    assert page["total"] == 2 and [i["id"] for i in page["items"]] == ["b"]
    assert client.delete("/v1/items/b").json() == {"deleted": "b"}
    assert client.get("/v1/items/b").status_code == 404
    assert client.delete("/v1/items/b").json()["error"]["code"] == "not_found"


def test_item_upsert_replaces(client: TestClient) -> None:
    client.post("/v1/items", json={"items": [{"id": "a", "title": "Old", "tags": ["t"]}]})
    client.post("/v1/items", json={"items": [{"id": "a", "title": "New"}]})
    item = client.get("/v1/items/a").json()
    assert item["title"] == "New" and item["tags"] == []


def test_item_validation_names_index_and_field(client: TestClient) -> None:
    body = {"items": [{"id": "ok", "title": "Fine"}, {"id": "bad", "title": ""}]}
    response = client.post("/v1/items", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"][0]["index"] == 1 and error["details"][0]["field"] == "title"
    assert client.get("/v1/items/ok").status_code == 404, "a rejected batch stores nothing"


def test_unknown_fields_and_bad_ids_are_rejected(client: TestClient) -> None:
    cases = [
        {"items": [{"id": "a", "title": "A", "colour": "red"}]},
        {"items": [{"id": "", "title": "A"}]},
        {"items": [{"id": "x" * 257, "title": "A"}]},
        {"items": [{"id": 5, "title": "A"}]},
        {"items": [{"id": "tab\there", "title": "A"}]},
        {"items": [{"id": "a", "title": "NUL\u0000inside"}]},  # no SQL text column holds it
        {"items": [{"id": "a", "title": "A", "tags": ["t\u0000"]}]},
        {"items": []},
    ]
    for body in cases:
        assert client.post("/v1/items", json=body).status_code == 422, body
    nul = {"users": [{"id": "u", "preferences": "jazz\u0000"}]}
    assert client.post("/v1/users", json=nul).status_code == 422


def test_users_round_trip_with_event_count(client: TestClient) -> None:
    users = {"users": [{"id": "u1", "attributes": {"age": 30}, "preferences": "space opera"}]}
    assert client.post("/v1/users", json=users).json() == {"upserted": 1}
    client.post("/v1/events", json={"events": [{"user_id": "u1", "item_id": "i", "type": "view"}]})
    assert client.get("/v1/users/u1").json() == {
        "id": "u1",
        "attributes": {"age": 30},
        "preferences": "space opera",
        "events": 1,
    }
    listed = client.get("/v1/users").json()
    assert listed["total"] == 1 and listed["users"][0]["events"] == 1


def test_user_delete_forgets_events(client: TestClient) -> None:
    client.post("/v1/events", json={"events": [{"user_id": "u", "item_id": "i", "type": "view"}]})
    assert client.delete("/v1/users/u").json() == {"deleted": "u"}
    assert client.get("/v1/users/u").status_code == 404
    assert client.get("/v1/users/u/events").status_code == 404
    assert client.get("/v1/admin/stats").json()["events"] == 0


def test_pagination_parameters_are_checked(client: TestClient) -> None:
    for params in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "ten"}):
        response = client.get("/v1/items", params=params)
        assert response.status_code == 422, params
        assert response.json()["error"]["details"][0]["index"] is None
