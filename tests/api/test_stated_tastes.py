"""Stated tastes on a new user's list: liked names lead it, ruled-out ones never appear, and
"fits the tastes you described" is said only of items that do; events take the list over."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_recommend import ids, ok

GENRES = {
    "Jazz": "smooth saxophone trumpet swing improvisation",
    "Metal": "heavy distorted guitars double bass drums scream",
    "K-Pop": "korean idol group catchy dance chorus",
    "Latin": "reggaeton salsa spanish rhythm percussion",
    "Hip-Hop": "rap verses beats rhymes turntables",
}


def _tracks() -> list[dict[str, Any]]:
    out = []
    for genre, words in GENRES.items():
        for n in range(8):
            out.append(
                {
                    "id": f"{genre.lower()}-{n}",
                    "title": f"{genre} track {n}",
                    "description": f"{words} number {n}",
                    "categories": [genre],
                    "attributes": {"explicit": n % 2 == 1, "artist": f"{genre} Band {n % 3}"},
                }
            )
    return out


TRACKS = {t["id"]: t for t in _tracks()}


@pytest.fixture
def music(client: TestClient) -> TestClient:
    ok(client.post("/v1/items", json={"items": list(TRACKS.values())}))
    clicks = [  # a popular metal track, so trending alone would show it
        {"user_id": f"fan{n}", "item_id": "metal-1", "type": "click"} for n in range(5)
    ]
    ok(client.post("/v1/events", json={"events": clicks}))
    return client


def _genre(item_id: str) -> str:
    return str(TRACKS[item_id]["categories"][0])


def _listed(client: TestClient, user: str, preferences: str, k: int = 10) -> dict[str, Any]:
    ok(client.post("/v1/users", json={"users": [{"id": user, "preferences": preferences}]}))
    return ok(client.get(f"/v1/recommend/{user}", params={"k": k, "explain": "true"}))


def test_liked_names_lead_and_ruled_out_ones_never_appear(music: TestClient) -> None:
    body = _listed(music, "new1", "I love jazz; please no metal")
    genres = [_genre(i) for i in ids(body)]
    assert len(genres) == 10
    assert genres.count("Jazz") >= 8 and "Metal" not in genres
    for item in body["items"]:
        fits = any(r["kind"] == "preferences" for r in item["reasons"])
        assert fits == (_genre(item["id"]) == "Jazz"), item
        assert ("tastes you described" in item["explanation"]) == fits
    longer = _listed(music, "new1", "I love jazz; please no metal", k=40)
    assert "Metal" not in {_genre(i) for i in ids(longer)}  # not even to fill a long list


def test_a_negated_flag_and_several_liked_names(music: TestClient) -> None:
    body = _listed(music, "new2", "no explicit lyrics please, k-pop and latin")
    listed = ids(body)
    assert len(listed) == 10
    assert not any(TRACKS[i]["attributes"]["explicit"] for i in listed)
    assert sum(_genre(i) in ("K-Pop", "Latin") for i in listed) >= 8


def test_events_take_the_list_over_and_exclusions_hold(music: TestClient) -> None:
    _listed(music, "new3", "jazz please, nothing with metal")
    clicked = [f"hip-hop-{n}" for n in range(4)] + [f"latin-{n}" for n in range(6)]
    events = [{"user_id": "new3", "item_id": item, "type": "click"} for item in clicked]
    ok(music.post("/v1/events", json={"events": events}))
    body = ok(music.get("/v1/recommend/new3", params={"k": 10, "explain": "true"}))
    genres = [_genre(i) for i in ids(body)]
    assert "Metal" not in genres
    assert genres.count("Hip-Hop") + genres.count("Latin") >= 4  # the history speaks now
    assert genres.count("Jazz") < 8


def test_a_wanted_yes_no_attribute_is_a_requirement_and_hate_rules_out(music: TestClient) -> None:
    listed = ids(_listed(music, "new4", "k-pop and hip hop, clean versions only"))
    assert listed and not any(TRACKS[i]["attributes"]["explicit"] for i in listed)
    assert all(_genre(i) in ("K-Pop", "Hip-Hop") for i in listed[:8])
    hated = ids(_listed(music, "new5", "I listen to jazz. I hate metal and can't stand latin."))
    assert not {"Metal", "Latin"} & {_genre(i) for i in hated}
