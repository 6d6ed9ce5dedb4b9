"""``POST /v1/chat``: constraints extracted, honoured by the list, errors in the standard shape."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pulserec.api.app import create_app
from pulserec.core.config import ServerSettings
from tests.engine.conftest import build, filled_store


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    store = filled_store()
    return TestClient(
        create_app(store, ServerSettings(), runtime=build(store, tmp_path, ("itemknn",)))
    )


def test_constraints_shape_the_list(client: TestClient) -> None:
    response = client.post("/v1/chat", json={"message": "garden things please", "user_id": "u10"})
    assert response.status_code == 200
    body = response.json()
    assert body["constraints"]["include"] == ["Garden"]
    assert body["items"] and all(item["id"].startswith("garden-") for item in body["items"])
    assert all(item["explanation"] for item in body["items"])
    assert "Garden" in body["reply"]


def test_exclusions_are_honoured(client: TestClient) -> None:
    body = client.post("/v1/chat", json={"message": "anything, no music and no space"}).json()
    assert set(body["constraints"]["exclude"]) == {"Music", "Space"}
    assert body["items"]
    assert not [i for i in body["items"] if i["id"].startswith(("music-", "space-"))]


def test_constraints_the_catalog_cannot_check_are_reported(client: TestClient) -> None:
    body = client.post("/v1/chat", json={"message": "cooking stuff under 20 dollars"}).json()
    assert body["constraints"]["price_max"] == 20.0
    assert "no price" in body["reply"]
    assert body["items"]


@pytest.mark.parametrize(
    ("payload", "status"),
    [({"message": "   "}, 422), ({"message": ""}, 422), ({}, 422), ({"message": "x", "k": 0}, 422)],
)
def test_bad_requests(client: TestClient, payload: dict[str, object], status: int) -> None:
    response = client.post("/v1/chat", json=payload)
    assert response.status_code == status
    assert response.json()["error"]["code"] == "validation_error"


def test_malformed_json(client: TestClient) -> None:
    response = client.post(
        "/v1/chat", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


def test_titles_tags_and_relaxation_reach_the_response(client: TestClient) -> None:
    body = client.post("/v1/chat", json={"message": "something like Music story 2"}).json()
    assert body["constraints"]["similar_to"] == [{"id": "music-2", "title": "Music story 2"}]
    assert body["constraints"]["relaxed"] == []
    assert body["items"] and "music-2" not in [item["id"] for item in body["items"]]
    body = client.post("/v1/chat", json={"message": "garden and music, nothing space"}).json()
    assert body["constraints"]["relaxed"] == ["Music"]
    assert "Fewer than 10 items" in body["reply"]
    assert set(body["constraints"]) >= {"tags", "exclude_tags", "attributes", "avoid"}
