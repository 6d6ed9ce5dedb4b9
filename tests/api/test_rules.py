"""``boost=`` and ``bury=`` re-rank a list after retrieval: boosted items rise, buried ones go
last (never dropped), every page is cut from the same re-ranked list, and bad rules are 422s
naming their parameter."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_recommend import assert_error, ids, ok


def _recommend(client: TestClient, **params: Any) -> list[str]:
    return ids(ok(client.get("/v1/recommend/u00", params={"k": 20, **params})))


def test_bury_moves_an_attribute_last_and_boost_lifts_one(trained_client: TestClient) -> None:
    plain = _recommend(trained_client, k=40)
    assert plain[0].startswith("space-")
    buried = _recommend(trained_client, k=40, bury="category:Space")
    assert sorted(buried) == sorted(plain)  # nothing dropped
    spaces = [n for n, item in enumerate(buried) if item.startswith("space-")]
    assert spaces and min(spaces) > max(
        n for n, i in enumerate(buried) if not i.startswith("space-")
    )
    boosted = _recommend(trained_client, boost="tag:garden:50")
    assert boosted[0].startswith("garden-")
    assert sum(i.startswith("garden-") for i in boosted[:5]) > sum(
        i.startswith("garden-") for i in plain[:5]
    )


@pytest.mark.parametrize("params", [{"bury": "category:Space"}, {"boost": "tag:music:3"}])
def test_pages_of_a_ruled_list_concatenate(
    trained_client: TestClient, params: dict[str, str]
) -> None:
    full = _recommend(trained_client, **params)
    pages = [
        item
        for offset in range(0, 20, 6)
        for item in ids(
            ok(trained_client.get("/v1/recommend/u00", params={"k": 6, "offset": offset, **params}))
        )
    ]
    assert pages[:20] == full


def test_rules_on_popular_batch_and_session(trained_client: TestClient) -> None:
    top = ids(ok(trained_client.get("/v1/popular", params={"k": 10, "bury": "category:Space"})))
    assert not top[0].startswith("space-")
    body = {"users": ["u00"], "k": 20, "bury": ["category:Space"]}
    batch = ok(trained_client.post("/v1/recommend/batch", json=body))["results"][0]
    assert ids(batch) == _recommend(trained_client, bury="category:Space")
    session = {"items": ["garden-1"], "k": 10, "boost": ["tag:music:100"]}
    assert ids(ok(trained_client.post("/v1/recommend/session", json=session)))[0].startswith(
        "music-"
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"boost": "category:Space"}, "boost"),
        ({"boost": "category:Space:0"}, "boost"),
        ({"boost": "category:Space:1000"}, "boost"),
        ({"boost": "label:x:2"}, "boost"),
        ({"bury": "label:x"}, "bury"),
        ({"bury": "year:1..3"}, "bury"),
        ({"bury": "!category:Space"}, "bury"),
    ],
)
def test_bad_rules_are_422_naming_the_parameter(
    trained_client: TestClient, params: dict[str, str], field: str
) -> None:
    for route in ("/v1/recommend/u00", "/v1/popular"):
        assert_error(trained_client.get(route, params=params), 422, "validation_error", field)
