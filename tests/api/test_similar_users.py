"""``GET /v1/users/{id}/similar``: users with the closest tastes, moved by an event at once,
404 for an unknown user, [] for one without a taste, behind the key as every /v1/users route."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import MakeClient
from tests.api.test_recommend import assert_error, ok


def _similar(client: TestClient, user: str, k: int = 5) -> list[str]:
    body = ok(client.get(f"/v1/users/{user}/similar", params={"k": k}))
    assert body["user_id"] == user
    scores = [u["score"] for u in body["users"]]
    assert scores == sorted(scores, reverse=True)
    return [u["id"] for u in body["users"]]


def test_fans_of_one_theme_are_each_others_neighbours(trained_client: TestClient) -> None:
    for theme in range(4):
        near = _similar(trained_client, f"u{theme}0")
        assert len(near) == 5 and f"u{theme}0" not in near
        assert all(user.startswith(f"u{theme}") for user in near), near


def test_an_event_moves_a_users_neighbours_at_once(trained_client: TestClient) -> None:
    assert ok(trained_client.post("/v1/users", json={"users": [{"id": "mover"}]}))
    assert _similar(trained_client, "mover") == []  # no taste yet
    events = [
        {"user_id": "mover", "item_id": f"garden-{n}", "type": "like", "event_id": f"m{n}"}
        for n in range(6)
    ]
    ok(trained_client.post("/v1/events", json={"events": events}))
    assert all(user.startswith("u2") for user in _similar(trained_client, "mover", 3))


def test_unknown_users_bad_k_and_the_key(make_client: MakeClient) -> None:
    client = make_client(api_key="secret")
    assert_error(client.get("/v1/users/nobody/similar"), 401, "unauthorized")
    keyed = {"X-API-Key": "secret"}
    assert_error(client.get("/v1/users/nobody/similar", headers=keyed), 404, "not_found")
    ok(client.post("/v1/users", json={"users": [{"id": "a"}]}, headers=keyed))
    assert client.get("/v1/users/a/similar?k=0", headers=keyed).status_code == 422
    assert ok(client.get("/v1/users/a/similar", headers=keyed))["users"] == []


def test_a_deleted_user_is_no_ones_neighbour(trained_client: TestClient) -> None:
    assert "u01" in _similar(trained_client, "u00", 5)
    ok(trained_client.delete("/v1/users/u01"))
    assert "u01" not in _similar(trained_client, "u00", 30)
    assert_error(trained_client.get("/v1/users/u01/similar"), 404, "not_found")
