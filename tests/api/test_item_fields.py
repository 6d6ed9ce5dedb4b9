"""``include=item`` on every route that returns items, and ``POST /v1/recommend/batch``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pulserec.api.app import create_app
from pulserec.api.item_fields import with_items
from pulserec.core.config import ServerSettings
from pulserec.core.types import Item
from pulserec.storage import MemoryStore
from tests.api.test_recommend import assert_error, ids, ok
from tests.engine.conftest import THEMES, build

ITEM_KEYS = {"title", "categories", "tags", "attributes"}


def _assert_item_fields(body: dict[str, Any]) -> None:
    assert body["items"]
    for result in body["items"]:
        assert set(result["item"]) == ITEM_KEYS
        theme = result["id"].split("-")[0]
        assert result["item"]["title"].startswith(theme.title())
        assert result["item"]["categories"] == [theme.title()]
        assert result["item"]["tags"] == [theme]
        assert result["item"]["attributes"] == {}


GETS = [
    ("/v1/recommend/u10", {}),
    ("/v1/items/music-3/similar", {}),
    ("/v1/search", {"q": THEMES["cooking"]}),
    ("/v1/popular", {}),
]
POSTS = [
    ("/v1/recommend/session", {"items": ["garden-1"]}),
    ("/v1/chat", {"message": "garden things please"}),
]


@pytest.mark.parametrize(("path", "params"), GETS)
def test_include_item_on_get_routes(
    trained_client: TestClient, path: str, params: dict[str, str]
) -> None:
    plain = ok(trained_client.get(path, params={**params, "k": 4}))
    assert all("item" not in result for result in plain["items"])
    rich = ok(trained_client.get(path, params={**params, "k": 4, "include": "item"}))
    _assert_item_fields(rich)
    assert ids(rich) == ids(plain)


@pytest.mark.parametrize(("path", "body"), POSTS)
def test_include_item_on_post_routes_in_body_or_query(
    trained_client: TestClient, path: str, body: dict[str, Any]
) -> None:
    plain = ok(trained_client.post(path, json=body))
    assert all("item" not in result for result in plain["items"])
    in_body = ok(trained_client.post(path, json={**body, "include": ["item"]}))
    in_query = ok(trained_client.post(path, json=body, params={"include": "item"}))
    _assert_item_fields(in_body)
    _assert_item_fields(in_query)
    assert ids(in_body) == ids(plain) == ids(in_query)


def test_include_item_on_a_placeholder_and_a_bad_include(trained_client: TestClient) -> None:
    event = {"user_id": "p", "item_id": "only-from-events", "type": "click"}
    assert ok(trained_client.post("/v1/events", json={"events": [event]}))["accepted"] == 1
    body = ok(trained_client.get("/v1/popular", params={"k": 100, "include": "item"}))
    fields = {r["id"]: r["item"] for r in body["items"]}
    assert fields["only-from-events"] == {
        "title": None,
        "categories": [],
        "tags": [],
        "attributes": {},
    }
    for bad in ({"include": "items"}, {"include": "item,price"}):
        assert_error(
            trained_client.get("/v1/popular", params=bad), 422, "validation_error", "include"
        )
    response = trained_client.post("/v1/chat", json={"message": "x", "include": ["everything"]})
    assert_error(response, 422, "validation_error", "include")


def test_batch_matches_one_call_per_user(trained_client: TestClient) -> None:
    users = ["u10", "u20", "nobody", "u10"]
    body = ok(trained_client.post("/v1/recommend/batch", json={"users": users, "k": 5}))
    assert set(body) == {"results", "model_version", "took_ms"}
    assert body["model_version"] != "none"
    assert [r["user_id"] for r in body["results"]] == users
    for result in body["results"]:
        single = ok(trained_client.get(f"/v1/recommend/{result['user_id']}", params={"k": 5}))
        assert result["items"] == single["items"]
    options = {"users": ["u10"], "k": 6, "exclude_seen": False, "category": "Music"}
    filtered = ok(trained_client.post("/v1/recommend/batch", json={**options, "include": ["item"]}))
    single = ok(
        trained_client.get(
            "/v1/recommend/u10",
            params={"k": 6, "exclude_seen": "false", "category": "Music", "include": "item"},
        )
    )
    assert filtered["results"][0]["items"] == single["items"]
    assert all(r["item"]["categories"] == ["Music"] for r in single["items"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "users"),
        ({"users": []}, "users"),
        ({"users": ["u" * 257]}, None),  # index 0 of users (errors.py names no field here)
        ({"users": [f"u{n}" for n in range(1001)]}, "users"),
        ({"users": ["u10"], "k": 0}, "k"),
        ({"users": ["u10"], "category": "Nope"}, "category"),
        ({"users": ["u10"], "include": ["nope"]}, "include"),
        ({"users": ["u10"], "explain": True}, "explain"),
    ],
)
def test_batch_bad_body_is_422(
    trained_client: TestClient, body: dict[str, Any], field: str | None
) -> None:
    response = trained_client.post("/v1/recommend/batch", json=body)
    assert_error(response, 422, "validation_error")
    details = response.json()["error"]["details"]
    if field is None:
        assert details[0]["index"] == 0, details
    else:
        assert any(d["field"] == field or d["field"].startswith(field) for d in details), details


def test_batch_needs_the_api_key_when_set(trained_store: MemoryStore, tmp_path: Path) -> None:
    runtime = build(trained_store, tmp_path, ("itemknn",))
    keyed = TestClient(create_app(trained_store, ServerSettings(api_key="k"), runtime=runtime))
    body = {"users": ["u10"]}
    assert_error(keyed.post("/v1/recommend/batch", json=body), 401, "unauthorized")
    assert ok(keyed.post("/v1/recommend/batch", json=body, headers={"X-API-Key": "k"}))


def test_item_fields_come_from_one_store_read_in_the_results_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = MemoryStore()
    store.upsert_items([Item("a", "Alpha", tags=("x",)), Item("b", "Beta", categories=("c",))])
    reads: list[list[str]] = []
    real = store.get_items
    monkeypatch.setattr(store, "get_items", lambda ids: reads.append(list(ids)) or real(ids))
    monkeypatch.setattr(store, "get_item", lambda item_id: pytest.fail("a read per result"))
    results = [{"id": "b", "score": 2.0}, {"id": "gone", "score": 1.5}, {"id": "a", "score": 1.0}]
    rich = with_items(results, store)
    assert [r["id"] for r in rich] == ["b", "gone", "a"] and rich[0]["score"] == 2.0
    assert rich[0]["item"] == {"title": "Beta", "categories": ["c"], "tags": [], "attributes": {}}
    assert rich[1]["item"] == {"title": None, "categories": [], "tags": [], "attributes": {}}
    assert rich[2]["item"]["tags"] == ["x"]
    assert reads == [["b", "gone", "a"]]
