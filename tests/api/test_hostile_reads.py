"""Reads that used to answer 500 or cost without bound: each answers a clear 4xx or a bounded
body."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from fastapi.testclient import TestClient

from pulserec.core.types import Item
from pulserec.storage import MemoryStore


def test_a_window_of_400_digits_is_a_422_naming_the_longest(trained_client: TestClient) -> None:
    for window in ("9" * 400 + "m", "3651d", "1" * 5000 + "h"):
        response = trained_client.get("/v1/popular", params={"window": window})
        assert response.status_code == 422, window
        detail = response.json()["error"]["details"][0]
        assert detail["field"] == "window" and "3650d" in detail["message"]
    assert trained_client.get("/v1/popular", params={"window": "3650d"}).status_code == 200
    assert trained_client.get("/v1/popular", params={"window": "0" * 400 + "7d"}).status_code == 200


def test_an_encoded_slash_stays_inside_the_id(client: TestClient) -> None:
    """``alice%2Fexport`` is the user ``alice/export``: never alice's export."""
    client.post("/v1/users", json={"users": [{"id": "alice", "preferences": "jazz"}]})
    client.post(
        "/v1/events", json={"events": [{"user_id": "alice", "item_id": "a", "type": "click"}]}
    )
    for path in ("/v1/users/alice%2Fexport", "/v1/users/alice%2Fevents"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "alice/" in response.json()["error"]["message"]
    assert client.delete("/v1/users/alice%2Fevents").status_code == 404
    client.post("/v1/users", json={"users": [{"id": "alice/export"}]})
    assert client.get("/v1/users/alice%2Fexport").json()["id"] == "alice/export"
    exported = client.get("/v1/users/alice%2Fexport/export").json()
    assert exported["user"]["id"] == "alice/export" and not exported["events"]
    assert client.get("/v1/users/alice/export").json()["events"]  # alice's own export


def test_an_item_id_with_an_encoded_slash_is_read_not_routed(client: TestClient) -> None:
    client.post("/v1/items", json={"items": [{"id": "shop/similar", "title": "A shop"}]})
    assert client.get("/v1/items/shop%2Fsimilar").json()["id"] == "shop/similar"
    assert client.get("/v1/items/shop%2Fsimilar/similar").status_code == 200


def test_a_batch_is_bounded_by_users_times_k(trained_client: TestClient) -> None:
    users = [f"u{n}" for n in range(1000)]
    response = trained_client.post(
        "/v1/recommend/batch", json={"users": users, "k": 1000, "include": ["item"]}
    )
    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert detail["field"] == "k" and "200000" in detail["message"]
    ok = trained_client.post("/v1/recommend/batch", json={"users": users[:200], "k": 1000})
    assert ok.status_code == 200


def test_a_batch_reads_its_items_in_one_call(
    trained_client: TestClient, trained_store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[int] = []
    get_items = trained_store.get_items

    def counted(ids: Sequence[str]) -> dict[str, Item]:
        reads.append(len(ids))
        return get_items(ids)

    monkeypatch.setattr(trained_store, "get_items", counted)
    users = ["u00", "u10", "u20", "u30", "nobody"]
    body = trained_client.post(
        "/v1/recommend/batch", json={"users": users, "k": 5, "include": ["item"]}
    ).json()
    assert len(reads) == 1
    assert all(r["item"]["title"] for result in body["results"] for r in result["items"])
