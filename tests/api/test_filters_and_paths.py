"""``category=`` of an unknown category is a 422 that says so; ids in a path obey the body's
rule (1-256 printable characters) on every ``/{id}`` route."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.api.test_recommend import assert_error, ids, ok
from tests.engine.conftest import THEMES


def _unknown_category(response: object) -> None:
    assert_error(response, 422, "validation_error", "category")
    message = response.json()["error"]["message"]  # type: ignore[attr-defined]
    assert "unknown category 'Opera'" in message and "Music" in message


def test_unknown_category_is_a_422_on_recommend_search_and_batch(
    trained_client: TestClient,
) -> None:
    _unknown_category(trained_client.get("/v1/recommend/u10", params={"category": "Opera"}))
    _unknown_category(trained_client.get("/v1/search", params={"q": "song", "category": "Opera"}))
    batch = {"users": ["u10"], "category": "Opera"}
    _unknown_category(trained_client.post("/v1/recommend/batch", json=batch))


def test_known_categories_any_case_and_blank_still_filter_as_before(
    trained_client: TestClient,
) -> None:
    lower = ok(trained_client.get("/v1/recommend/u10", params={"category": "music", "k": 5}))
    assert lower["items"] and all(i.startswith("music-") for i in ids(lower))
    blank = ok(trained_client.get("/v1/recommend/u10", params={"category": " ", "k": 5}))
    assert ids(blank) == ids(ok(trained_client.get("/v1/recommend/u10", params={"k": 5})))
    words = THEMES["cooking"]
    found = ok(trained_client.get("/v1/search", params={"q": words, "category": "GARDEN", "k": 3}))
    assert all(i.startswith("garden-") for i in ids(found))


def test_a_category_is_known_as_soon_as_an_item_has_it(trained_client: TestClient) -> None:
    _unknown_category(trained_client.get("/v1/recommend/u10", params={"category": "Opera"}))
    item = {"id": "aria", "title": "An aria", "categories": ["Opera"]}
    assert ok(trained_client.post("/v1/items", json={"items": [item]})) == {"upserted": 1}
    body = ok(trained_client.get("/v1/recommend/u10", params={"category": "Opera"}))
    assert ids(body) == ["aria"]


LONG = "x" * 257
ID_ROUTES = [
    ("GET", "/v1/recommend/{}", "user_id"),
    ("GET", "/v1/items/{}", "item_id"),
    ("DELETE", "/v1/items/{}", "item_id"),
    ("GET", "/v1/items/{}/similar", "item_id"),
    ("GET", "/v1/users/{}", "user_id"),
    ("DELETE", "/v1/users/{}", "user_id"),
    ("GET", "/v1/users/{}/events", "user_id"),
    ("GET", "/v1/users/{}/export", "user_id"),
]


@pytest.mark.parametrize(("method", "template", "field"), ID_ROUTES)
@pytest.mark.parametrize("bad", [LONG, "tab\there", "bell\x07"])
def test_path_ids_obey_the_256_printable_rule(
    trained_client: TestClient, method: str, template: str, field: str, bad: str
) -> None:
    response = trained_client.request(method, template.format(quote(bad, safe="")))
    assert_error(response, 422, "validation_error", field)


@pytest.mark.parametrize(("method", "template", "field"), ID_ROUTES)
def test_a_path_id_of_256_characters_is_fine(
    trained_client: TestClient, method: str, template: str, field: str
) -> None:
    response = trained_client.request(method, template.format("y" * 256))
    assert response.status_code in (200, 404), response.text
