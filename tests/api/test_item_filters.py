"""``filter=`` on every route that returns items: equality on attributes, booleans, lists and
creators (accents folded), negation, numeric ranges; a name no item has is a 422 naming it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_recommend import assert_error, ids, ok

TRACKS: list[dict[str, Any]] = [
    {"id": "bj1", "title": "Hyperballad", "artist": "Björk", "genre": "Electronic", "year": 1995,
     "explicit": False, "moods": ["dreamy", "calm"]},
    {"id": "bj2", "title": "Joga", "artist": "Björk", "genre": "Electronic", "year": 1997,
     "explicit": False, "moods": ["dreamy"]},
    {"id": "bj3", "title": "Army of Me", "artist": "Björk", "genre": "Electronic", "year": 1995,
     "explicit": False, "moods": ["angry"]},
    {"id": "mh1", "title": "Ace of Spades", "artist": "Motörhead", "genre": "Metal", "year": 1980,
     "explicit": True, "moods": ["angry", "loud"]},
    {"id": "mh2", "title": "Overkill", "artist": "Motörhead", "genre": "Metal", "year": 1979,
     "explicit": True, "moods": ["loud"]},
    {"id": "md1", "title": "So What", "artist": "Miles Davis", "genre": "Jazz", "year": 1959,
     "explicit": False, "moods": ["calm"]},
    {"id": "md2", "title": "Blue in Green", "artist": "Miles Davis", "genre": "Jazz",
     "year": 1959, "explicit": False, "moods": ["calm", "sad"]},
    {"id": "hh1", "title": "Street Rhymes", "artist": "MC Verse", "genre": "Hip-Hop",
     "year": 1994, "explicit": True, "moods": ["loud"]},
    {"id": "hh2", "title": "Clean Lines", "artist": "MC Verse", "genre": "Hip-Hop", "year": 1996,
     "explicit": False, "moods": ["happy"]},
    {"id": "hh3", "title": "Block Party", "artist": "MC Verse", "genre": "Hip-Hop", "year": 2004,
     "explicit": True, "moods": ["happy"]},
]  # fmt: skip
ALL = {t["id"] for t in TRACKS}
ROUTES = ("recommend", "session", "batch", "search", "similar", "popular", "chat")


def _item(track: dict[str, Any]) -> dict[str, Any]:
    attributes = {k: track[k] for k in ("artist", "year", "explicit", "moods")}
    return {
        "id": track["id"],
        "title": track["title"],
        "categories": [track["genre"]],
        "tags": list(track["moods"]),
        "attributes": attributes,
    }


@pytest.fixture
def music(client: TestClient) -> TestClient:
    ok(client.post("/v1/items", json={"items": [_item(t) for t in TRACKS]}))
    events = [
        {"user_id": "u1", "item_id": item, "type": "click", "event_id": f"e{n}"}
        for n, item in enumerate(["bj1", "md1", "hh1", "mh1", "bj1", "hh3"])
    ]
    ok(client.post("/v1/events", json={"events": events}))
    return client


def _listed(client: TestClient, route: str, filters: list[str]) -> set[str]:
    """Every id ``route`` returns with ``filters`` (k as large as the catalog)."""
    params: dict[str, Any] = {"filter": filters, "k": 50}
    if route == "recommend":
        body = client.get("/v1/recommend/u2", params=params)
    elif route == "session":
        body = client.post("/v1/recommend/session", json={"items": ["bj1"], "filter": filters})
    elif route == "batch":
        body = client.post(
            "/v1/recommend/batch", json={"users": ["u2"], "k": 50, "filter": filters}
        )
        return set(ids(ok(body)["results"][0]))
    elif route == "search":
        body = client.get("/v1/search", params={**params, "q": "music"})
    elif route == "similar":
        body = client.get("/v1/items/bj2/similar", params=params)
    elif route == "popular":
        body = client.get("/v1/popular", params=params)
    else:
        body = client.post("/v1/chat", json={"message": "some music", "filter": filters, "k": 50})
    return set(ids(ok(body)))


def _expected(route: str, keep: set[str]) -> set[str]:
    if route == "similar":
        return keep - {"bj2"}
    if route == "session":
        return keep - {"bj1"}
    return keep


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_returns_exactly_the_items_the_filters_keep(
    music: TestClient, route: str
) -> None:
    clean = {t["id"] for t in TRACKS if not t["explicit"]}
    assert _listed(music, route, ["explicit:false"]) == _expected(route, clean)
    nineties = {t["id"] for t in TRACKS if 1990 <= t["year"] <= 1999}
    assert _listed(music, route, ["year:1990..1999"]) == _expected(route, nineties)
    both = {t["id"] for t in TRACKS if 1990 <= t["year"] <= 1999 and not t["explicit"]}
    listed = _listed(music, route, ["!explicit:true", "year:1990..1999"])
    assert listed == _expected(route, both)


def test_equality_negation_ranges_lists_and_creators(music: TestClient) -> None:
    def popular(*filters: str) -> set[str]:
        return _listed(music, "popular", list(filters))

    assert popular("creator:bjork") == {"bj1", "bj2", "bj3"}  # accents and case folded
    assert popular("creator:MOTORHEAD") == {"mh1", "mh2"}
    assert popular("artist:Miles Davis") == {"md1", "md2"}
    assert popular("!creator:Björk", "!category:hip-hop") == {"mh1", "mh2", "md1", "md2"}
    assert popular("moods:calm") == {"bj1", "md1", "md2"}  # an element of a list
    assert popular("tag:loud") == {"mh1", "mh2", "hh1"}
    assert popular("year:2000..") == {"hh3"}
    assert popular("year:..1959") == {"md1", "md2"}
    assert popular("year:1995") == {"bj1", "bj3"}
    assert popular("year:1990..1999", "!year:1995") == {"bj2", "hh1", "hh2"}
    assert popular("artist:Nobody") == set()  # a known name with a value none has: empty


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ("label:Sony", "'label'"),
        ("creator:x", None),
        ("title:1..3", "'title'"),
        ("explicit", None),
        ("year:1999..1990", None),
        ("year:a..b", None),
        ("year:..", None),
    ],
)
def test_a_filter_that_cannot_hold_is_a_422_naming_it(
    client: TestClient, music: TestClient, raw: str, named: str | None
) -> None:
    if raw == "creator:x":  # a catalog without creators
        ok(client.post("/v1/items", json={"items": [{"id": "plain", "title": "Plain"}]}))
        for track in TRACKS:
            ok(client.post("/v1/items", json={"items": [{"id": track["id"], "title": "t"}]}))
    routes = ("/v1/recommend/u1", "/v1/popular", "/v1/search", "/v1/items/bj1/similar")
    for route in routes:
        response = client.get(route, params={"filter": raw, "q": "jazz"})
        assert_error(response, 422, "validation_error", "filter")
        if named is not None:
            assert named in response.json()["error"]["message"]
    response = client.post("/v1/recommend/session", json={"items": ["bj1"], "filter": [raw]})
    assert_error(response, 422, "validation_error", "filter")
    response = client.post("/v1/chat", json={"message": "jazz", "filter": [raw]})
    assert_error(response, 422, "validation_error", "filter")


def test_too_many_filters_is_a_422(music: TestClient) -> None:
    response = music.get("/v1/popular", params={"filter": ["explicit:false"] * 21})
    assert response.status_code == 422


def test_filters_reach_the_chat_constraints_and_an_experiment_arm(music: TestClient) -> None:
    body = ok(music.post("/v1/chat", json={"message": "jazz", "filter": ["year:..1960"]}))
    assert "year:..1960" in body["constraints"]["filters"]
    assert set(ids(body)) <= {"md1", "md2"}
    listed = ok(music.get("/v1/recommend/u1", params={"filter": "explicit:false", "k": 50}))
    assert set(ids(listed)) <= {t["id"] for t in TRACKS if not t["explicit"]}
    assert ALL


def test_a_creators_name_finds_their_items_first_accents_folded(music: TestClient) -> None:
    bjork, motorhead, davis = {"bj1", "bj2", "bj3"}, {"mh1", "mh2"}, {"md1", "md2"}
    cases = (("Björk", bjork), ("bjork", bjork), ("Motorhead", motorhead), ("miles davis", davis))
    for query, theirs in cases:
        found = ids(ok(music.get("/v1/search", params={"q": query, "k": 5})))
        assert set(found[: len(theirs)]) == theirs, (query, found)
