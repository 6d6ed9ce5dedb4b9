"""``POST /v1/users/{id}/hidden``: those items never reach that user again (recommend with or
without seen items, batch, search, chat), kept when the profile is upserted, listed by GET and
in the export, gone with the user."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.test_recommend import assert_error, ids, ok
from tests.engine.conftest import THEMES


def _everything_for(client: TestClient, user: str) -> set[str]:
    found: set[str] = set()
    for exclude_seen in ("true", "false"):
        params = {"k": 40, "exclude_seen": exclude_seen}
        found |= set(ids(ok(client.get(f"/v1/recommend/{user}", params=params))))
    batch = ok(client.post("/v1/recommend/batch", json={"users": [user], "k": 40}))
    found |= set(ids(batch["results"][0]))
    search = {"q": THEMES["space"], "user_id": user, "k": 40}
    found |= set(ids(ok(client.get("/v1/search", params=search))))
    chat = {"message": "space stories", "user_id": user, "k": 40}
    found |= set(ids(ok(client.post("/v1/chat", json=chat))))
    return found


def test_hidden_items_never_reach_the_user_again(trained_client: TestClient) -> None:
    assert {"space-1", "space-3"} <= _everything_for(trained_client, "u00")
    body = ok(trained_client.post("/v1/users/u00/hidden", json={"items": ["space-1"]}))
    assert body == {"user_id": "u00", "items": ["space-1"]}
    more = ok(trained_client.post("/v1/users/u00/hidden", json={"items": ["space-3", "space-1"]}))
    assert more["items"] == ["space-1", "space-3"]
    assert not {"space-1", "space-3"} & _everything_for(trained_client, "u00")
    assert "space-1" in _everything_for(trained_client, "u01")  # only that user's
    ok(trained_client.post("/v1/users", json={"users": [{"id": "u00", "preferences": "jazz"}]}))
    listed = ok(trained_client.get("/v1/users/u00/hidden"))
    assert listed == {"user_id": "u00", "items": ["space-1", "space-3"]}  # kept by an upsert
    assert ok(trained_client.get("/v1/users/u00/export"))["hidden"] == ["space-1", "space-3"]
    assert not {"space-1", "space-3"} & _everything_for(trained_client, "u00")


def test_unknown_users_bad_bodies_and_deleted_users(trained_client: TestClient) -> None:
    assert_error(trained_client.get("/v1/users/nobody/hidden"), 404, "not_found")
    fresh = ok(trained_client.post("/v1/users/newbie/hidden", json={"items": ["space-0"]}))
    assert fresh["items"] == ["space-0"]
    assert "space-0" not in ids(ok(trained_client.get("/v1/recommend/newbie", params={"k": 40})))
    for body in ({"items": []}, {"items": "space-0"}, {"items": ["x"], "more": 1}, {}):
        response = trained_client.post("/v1/users/newbie/hidden", json=body)
        assert_error(response, 422, "validation_error")
    ok(trained_client.delete("/v1/users/newbie"))
    assert_error(trained_client.get("/v1/users/newbie/hidden"), 404, "not_found")
    again = trained_client.post("/v1/users/newbie/hidden", json={"items": ["space-0"]})
    assert again.status_code == 422  # a deleted user stays forgotten
    assert again.json()["error"]["details"][0]["code"] == "forgotten"
