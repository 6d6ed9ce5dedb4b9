"""Recommendations, session, similar, search and popular over HTTP, over a trained engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pulserec.api.app import create_app
from pulserec.core.config import ServerSettings
from pulserec.storage import MemoryStore
from tests.engine.conftest import THEMES, build, filled_store

ERROR_KEYS = {"code", "message", "details"}
DETAIL_KEYS = {"index", "field", "message"}


@pytest.fixture
def store() -> Iterator[MemoryStore]:
    filled = filled_store()
    yield filled
    filled.close()


def _client(store: MemoryStore, data_dir: Path, settings: ServerSettings) -> TestClient:
    return TestClient(create_app(store, settings, runtime=build(store, data_dir, ("itemknn",))))


@pytest.fixture
def client(store: MemoryStore, tmp_path: Path) -> TestClient:
    return _client(store, tmp_path, ServerSettings())


def ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["items"]]


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == ERROR_KEYS
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    for detail in error["details"]:
        assert set(detail) == DETAIL_KEYS
    if field is not None:
        assert field in [detail["field"] for detail in error["details"]], error


# -- GET /v1/recommend/{user} ---------------------------------------------------------------
def test_recommend_shape(client: TestClient) -> None:
    body = ok(client.get("/v1/recommend/u10"))
    assert set(body) == {"user_id", "items", "model_version", "took_ms"}
    assert body["user_id"] == "u10"
    assert isinstance(body["model_version"], str) and body["model_version"] != "none"
    assert isinstance(body["took_ms"], float) and body["took_ms"] >= 0
    assert len(body["items"]) == 10  # the default k
    for item in body["items"]:
        assert set(item) == {"id", "score", "source", "sources"}
        assert item["source"] in ("itemknn", "content", "trending")
        assert isinstance(item["id"], str)
        assert isinstance(item["score"], float)
        assert item["sources"] and all(isinstance(s, str) for s in item["sources"])
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)
    assert sum(i.startswith("cooking-") for i in ids(body)[:3]) == 3


def test_recommend_explain_adds_explanation_and_reasons(client: TestClient) -> None:
    body = ok(client.get("/v1/recommend/u20", params={"explain": "true", "k": 8}))
    assert len(body["items"]) == 8
    for item in body["items"]:
        assert isinstance(item["explanation"], str) and item["explanation"]
        assert isinstance(item["reasons"], list)
        for reason in item["reasons"]:
            assert reason["kind"] in {"history", "attribute", "trending", "query", "preferences"}
    kinds = {reason["kind"] for item in body["items"] for reason in item["reasons"]}
    assert "history" in kinds
    plain = ok(client.get("/v1/recommend/u20", params={"k": 8}))
    assert all("explanation" not in item for item in plain["items"])
    assert ids(plain) == ids(body)


def test_recommend_k_and_offset_page_through_one_list(client: TestClient) -> None:
    whole = ids(ok(client.get("/v1/recommend/u10", params={"k": 6})))
    first = ids(ok(client.get("/v1/recommend/u10", params={"k": 3})))
    second = ids(ok(client.get("/v1/recommend/u10", params={"k": 3, "offset": 3})))
    assert len(whole) == 6
    assert first + second == whole
    assert len(ids(ok(client.get("/v1/recommend/u10", params={"k": 1})))) == 1
    assert ids(ok(client.get("/v1/recommend/u10", params={"k": 1000})))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"k": 0}, "k"),
        ({"k": 1001}, "k"),
        ({"k": "ten"}, "k"),
        ({"offset": -1}, "offset"),
        ({"diversity": 2}, "diversity"),
        ({"diversity": -0.1}, "diversity"),
        ({"exclude_seen": "perhaps"}, "exclude_seen"),
    ],
)
def test_recommend_bad_parameters_are_422(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    assert_error(client.get("/v1/recommend/u10", params=params), 422, "validation_error", field)


def test_recommend_diversity_in_range_is_ok(client: TestClient) -> None:
    body = ok(client.get("/v1/recommend/u10", params={"diversity": 1, "k": 5}))
    assert len(body["items"]) == 5
    assert len(set(ids(body))) == 5


def test_unknown_user_gets_a_list(client: TestClient) -> None:
    body = ok(client.get("/v1/recommend/nobody-at-all", params={"k": 5}))
    assert body["user_id"] == "nobody-at-all"
    assert len(body["items"]) == 5
    assert ids(body)[0] == "space-0"  # trending: every user viewed it


def test_user_id_with_slash_and_space_round_trips(client: TestClient) -> None:
    body = ok(client.get("/v1/recommend/team%2Fa%20b", params={"k": 2}))
    assert body["user_id"] == "team/a b"
    assert len(body["items"]) == 2


def test_recommend_category_filter(client: TestClient) -> None:
    body = ok(client.get("/v1/recommend/u10", params={"category": "Music", "k": 8}))
    assert body["items"]
    assert all(i.startswith("music-") for i in ids(body))
    empty_filter = ok(client.get("/v1/recommend/u10", params={"category": "", "k": 5}))
    assert ids(empty_filter) == ids(ok(client.get("/v1/recommend/u10", params={"k": 5})))


def test_exclude_seen_false_lets_seen_items_back(client: TestClient, store: MemoryStore) -> None:
    seen = {e.item_id for e in store.user_events("u10", 100)}
    assert seen
    fresh = set(ids(ok(client.get("/v1/recommend/u10", params={"k": 40}))))
    assert not fresh & seen
    params = {"k": 40, "exclude_seen": "false"}
    again = set(ids(ok(client.get("/v1/recommend/u10", params=params))))
    assert again & seen


def test_an_event_changes_the_next_recommendation(client: TestClient) -> None:
    before = ids(ok(client.get("/v1/recommend/u10", params={"k": 10})))
    event = {"user_id": "u10", "item_id": before[0], "type": "click"}
    assert ok(client.post("/v1/events", json={"events": [event]})) == {
        "accepted": 1,
        "duplicates": 0,
    }
    after = ids(ok(client.get("/v1/recommend/u10", params={"k": 10})))
    assert before[0] not in after
    assert after[0] == before[1]


# -- POST /v1/recommend/session ---------------------------------------------------------------
def test_session_recommendations(client: TestClient) -> None:
    body = ok(client.post("/v1/recommend/session", json={"items": ["garden-1", "garden-2"]}))
    assert set(body) == {"items", "model_version", "took_ms"}
    assert len(body["items"]) == 10
    listed = ids(body)
    assert "garden-1" not in listed and "garden-2" not in listed
    assert sum(i.startswith("garden-") for i in listed[:3]) == 3
    short = ok(client.post("/v1/recommend/session", json={"items": ["garden-1"], "k": 3}))
    assert len(short["items"]) == 3


def test_session_with_no_or_unknown_items_still_answers(client: TestClient) -> None:
    empty = ok(client.post("/v1/recommend/session", json={"items": []}))
    assert len(empty["items"]) == 10
    unknown = ok(client.post("/v1/recommend/session", json={"items": ["never-seen"], "k": 4}))
    assert len(unknown["items"]) == 4


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"items": "garden-1"},
        {"items": [1, 2]},
        {"items": [""]},
        {"items": ["garden-1"], "k": 0},
        {"items": ["garden-1"], "k": 1001},
    ],
)
def test_session_bad_body_is_422(client: TestClient, body: dict[str, Any]) -> None:
    assert_error(client.post("/v1/recommend/session", json=body), 422, "validation_error")


def test_session_malformed_json_is_400(client: TestClient) -> None:
    response = client.post(
        "/v1/recommend/session",
        content=b'{"items": ["garden-1"',
        headers={"content-type": "application/json"},
    )
    assert_error(response, 400, "bad_json")


# -- GET /v1/items/{id}/similar ---------------------------------------------------------------
def test_similar_items(client: TestClient) -> None:
    body = ok(client.get("/v1/items/music-3/similar", params={"k": 5}))
    assert body["item_id"] == "music-3"
    assert body["model_version"] != "none"
    listed = ids(body)
    assert len(listed) == 5
    assert "music-3" not in listed
    assert all(i.startswith("music-") for i in listed)
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)
    assert len(ids(ok(client.get("/v1/items/music-3/similar")))) == 10  # the default k


def test_similar_unknown_item_is_404(client: TestClient) -> None:
    assert_error(client.get("/v1/items/no-such-item/similar"), 404, "not_found")


def test_similar_bad_k_is_422(client: TestClient) -> None:
    assert_error(client.get("/v1/items/music-3/similar?k=0"), 422, "validation_error", "k")


def test_similar_with_a_slash_in_the_id(client: TestClient) -> None:
    words = THEMES["garden"]
    item = {"id": "shop/garden 1", "title": "Garden guide", "description": f"{words} {words}"}
    assert ok(client.post("/v1/items", json={"items": [item]})) == {"upserted": 1}
    body = ok(client.get("/v1/items/shop%2Fgarden%201/similar", params={"k": 3}))
    assert body["item_id"] == "shop/garden 1"
    assert len(body["items"]) == 3
    assert all(i.startswith("garden-") for i in ids(body))
    assert "shop/garden 1" in ids(ok(client.get("/v1/items/garden-2/similar", params={"k": 40})))
    assert ok(client.get("/v1/items/shop%2Fgarden%201"))["id"] == "shop/garden 1"


# -- GET /v1/search ---------------------------------------------------------------------------
def test_search(client: TestClient) -> None:
    body = ok(client.get("/v1/search", params={"q": THEMES["cooking"], "k": 5}))
    assert body["query"] == THEMES["cooking"]
    assert set(body) == {"query", "items", "model_version", "took_ms"}
    assert len(body["items"]) == 5
    assert all(i.startswith("cooking-") for i in ids(body))
    assert all(item["sources"] == ["search"] for item in body["items"])


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}, {"q": "x", "k": 0}])
def test_search_without_a_query_is_422(client: TestClient, params: dict[str, Any]) -> None:
    field = "k" if "k" in params else "q"
    assert_error(client.get("/v1/search", params=params), 422, "validation_error", field)


def test_search_personalised_by_user(client: TestClient) -> None:
    body = ok(client.get("/v1/search", params={"q": "story", "user_id": "u30", "k": 5}))
    assert len(body["items"]) == 5
    assert all(item["sources"] == ["search+taste"] for item in body["items"])
    # u30 likes music: among equally matching titles, their theme wins.
    assert sum(i.startswith("music-") for i in ids(body)) >= 3
    unknown = ok(client.get("/v1/search", params={"q": "story", "user_id": "stranger", "k": 5}))
    assert len(unknown["items"]) == 5


def test_search_category_filter(client: TestClient) -> None:
    query = {"q": THEMES["cooking"], "category": "Garden", "k": 5}
    body = ok(client.get("/v1/search", params=query))
    assert body["items"]
    assert all(i.startswith("garden-") for i in ids(body))


# -- GET /v1/popular --------------------------------------------------------------------------
def test_popular(client: TestClient) -> None:
    body = ok(client.get("/v1/popular", params={"k": 3}))
    assert set(body) == {"window", "items", "model_version", "took_ms"}
    assert len(body["items"]) == 3
    assert ids(body)[0] == "space-0"
    assert all(item["sources"] == ["trending"] for item in body["items"])
    week = ok(client.get("/v1/popular", params={"window": "7d", "k": 3}))
    assert week["window"] == "7d"
    assert ids(week)[0] == "space-0"


@pytest.mark.parametrize(
    ("params", "field"),
    [({"window": "bad"}, "window"), ({"window": "0h"}, "window"), ({"k": 1001}, "k")],
)
def test_popular_bad_parameters_are_422(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    assert_error(client.get("/v1/popular", params=params), 422, "validation_error", field)


# -- writes show at once ----------------------------------------------------------------------
def test_a_new_item_is_searchable_similar_and_recommended_at_once(client: TestClient) -> None:
    words = THEMES["space"]
    text = f"{words} {words.split()[1]} volume 1"  # the very text of space-1
    item = {"id": "space-new", "title": "Space story 1", "description": text}
    assert ok(client.post("/v1/items", json={"items": [item]})) == {"upserted": 1}
    assert "space-new" in ids(ok(client.get("/v1/search", params={"q": text, "k": 3})))
    assert ids(ok(client.get("/v1/items/space-1/similar", params={"k": 3})))[0] == "space-new"
    assert ids(ok(client.get("/v1/items/space-new/similar", params={"k": 3})))[0] == "space-1"
    assert "space-new" in ids(ok(client.get("/v1/recommend/u00", params={"k": 10})))


def test_a_deleted_item_is_gone_from_every_result_at_once(client: TestClient) -> None:
    target = "space-0"  # on top of trending, similar to space-*, found by space words
    words = THEMES["space"]

    def everywhere() -> set[str]:
        found: set[str] = set()
        found |= set(ids(ok(client.get("/v1/recommend/newcomer", params={"k": 40}))))
        found |= set(ids(ok(client.get("/v1/recommend/u10", params={"k": 40}))))
        found |= set(ids(ok(client.get("/v1/search", params={"q": words, "k": 40}))))
        found |= set(ids(ok(client.get("/v1/items/space-1/similar", params={"k": 40}))))
        found |= set(ids(ok(client.get("/v1/popular", params={"k": 40}))))
        found |= set(ids(ok(client.get("/v1/popular", params={"k": 40, "window": "3650d"}))))
        session = {"items": ["space-1"], "k": 40}
        found |= set(ids(ok(client.post("/v1/recommend/session", json=session))))
        return found

    assert target in everywhere()
    assert ok(client.delete(f"/v1/items/{target}")) == {"deleted": target}
    assert target not in everywhere()
    assert_error(client.get(f"/v1/items/{target}/similar"), 404, "not_found")


# -- auth -------------------------------------------------------------------------------------
def test_read_key_guards_recommendations(store: MemoryStore, tmp_path: Path) -> None:
    client = _client(store, tmp_path, ServerSettings(api_key="k", read_key="r"))
    assert_error(client.get("/v1/recommend/u10"), 401, "unauthorized")
    wrong = client.get("/v1/recommend/u10", headers={"X-API-Key": "nope"})
    assert_error(wrong, 401, "unauthorized")
    assert ok(client.get("/v1/recommend/u10", headers={"X-API-Key": "r"}))["items"]
    assert ok(client.get("/v1/recommend/u10", headers={"X-API-Key": "k"}))["items"]
    for path in ("/v1/items/music-3/similar", "/v1/search?q=song", "/v1/popular"):
        assert_error(client.get(path), 401, "unauthorized")
        assert ok(client.get(path, headers={"X-API-Key": "r"}))["items"]


def test_session_works_with_the_read_key(store: MemoryStore, tmp_path: Path) -> None:
    client = _client(store, tmp_path, ServerSettings(api_key="k", read_key="r"))
    body = {"items": ["garden-1"], "k": 3}
    assert_error(client.post("/v1/recommend/session", json=body), 401, "unauthorized")
    with_read = client.post("/v1/recommend/session", json=body, headers={"X-API-Key": "r"})
    assert len(ok(with_read)["items"]) == 3
    # the read key does not grant writes
    event = {"events": [{"user_id": "u10", "item_id": "garden-1", "type": "click"}]}
    denied = client.post("/v1/events", json=event, headers={"X-API-Key": "r"})
    assert_error(denied, 401, "unauthorized")
