"""Who may call what (issue 26, items 6, 8 and 13): personal data and operations need a key
whenever one is set, cross-site and non-JSON writes are refused, an odd key is a 401."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import MakeClient

PERSONAL = (
    "/v1/users",
    "/v1/users/u1",
    "/v1/users/u1/events",
    "/v1/users/u1/export",
    "/v1/admin/stats",
    "/v1/experiments",
)
EVENT = {"events": [{"user_id": "u1", "item_id": "i1", "type": "click"}]}


def _jobs(client: TestClient) -> int:
    app: Any = client.app
    return len(app.state.services.runtime.trainer.jobs)


def _status(client: TestClient, path: str, key: str | None = None) -> int:
    headers = {"X-API-Key": key} if key is not None else {}
    return client.get(path, headers=headers).status_code


def test_personal_data_needs_the_api_key_when_only_it_is_set(make_client: MakeClient) -> None:
    client = make_client(api_key="k")
    assert client.post("/v1/events", json=EVENT, headers={"X-API-Key": "k"}).status_code == 200
    for path in PERSONAL:
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "unauthorized"
        assert "personal data" in response.json()["error"]["message"]
        assert _status(client, path, "wrong") == 401, path
        assert _status(client, path, "k") == 200, path
    for path in ("/v1/items", "/v1/popular", "/v1/recommend/u1"):  # other reads stay open
        assert _status(client, path) == 200, path


def test_the_read_key_does_not_open_personal_data_when_an_api_key_is_set(
    make_client: MakeClient,
) -> None:
    client = make_client(api_key="k", read_key="r")
    client.post("/v1/events", json=EVENT, headers={"X-API-Key": "k"})
    for path in PERSONAL:
        assert _status(client, path, "r") == 401, path
        assert _status(client, path, "k") == 200, path
    assert _status(client, "/v1/items", "r") == 200
    assert _status(client, "/v1/sdk.js") != 401  # the browser snippet is always open


def test_with_only_a_read_key_personal_routes_need_it_writes_included(
    make_client: MakeClient,
) -> None:
    client = make_client(read_key="r")
    assert client.post("/v1/events", json=EVENT).status_code == 200  # writes stay open
    assert client.delete("/v1/users/u1").status_code == 401
    assert client.post("/v1/admin/train", params={"wait": "false"}).status_code == 401
    assert client.get("/v1/users/u1", headers={"X-API-Key": "r"}).status_code == 200
    assert client.delete("/v1/users/u1", headers={"X-API-Key": "r"}).status_code == 200


def test_a_non_ascii_key_is_a_401_not_a_500(make_client: MakeClient) -> None:
    client = make_client(api_key="k", read_key="r")
    for given in ("clé".encode(), "ключ".encode(), b"\xff\xfe", "k\u00e9".encode("latin-1")):
        headers = {b"X-API-Key": given}
        assert client.get("/v1/items", headers=headers).status_code == 401, given
        assert client.post("/v1/events", json=EVENT, headers=headers).status_code == 401, given
    accented = make_client(api_key="clé")
    good = {b"X-API-Key": "clé".encode()}
    assert accented.post("/v1/events", json=EVENT, headers=good).status_code == 200


def test_cross_site_writes_are_refused(make_client: MakeClient) -> None:
    client = make_client()
    foreign = [
        {"Origin": "https://attacker.example"},
        {"Origin": "http://testserver.attacker.example"},
        {"Origin": "http://testserver:8080"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://testserver", "Sec-Fetch-Site": "cross-site"},
    ]
    for headers in foreign:
        for method, path in (("POST", "/v1/admin/train?wait=false"), ("DELETE", "/v1/users/u1")):
            response = client.request(method, path, headers=headers)
            assert response.status_code == 403, (headers, method)
            error = response.json()["error"]
            assert error["code"] == "forbidden" and "cross-site" in error["message"]
        assert client.post("/v1/events", json=EVENT, headers=headers).status_code == 403
    assert client.get("/v1/users").json()["total"] == 0  # nothing was written
    assert _jobs(client) == 0  # no training was started
    same = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    assert client.post("/v1/events", json=EVENT, headers=same).status_code == 200
    # a cross-site read is not a write: reads stay open to any page
    assert client.get("/v1/popular", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200


def test_writes_must_be_json(make_client: MakeClient) -> None:
    client = make_client()
    form = {"content-type": "application/x-www-form-urlencoded"}
    assert client.post("/v1/admin/train?wait=false", content=b"a=1", headers=form).status_code == (
        415
    )
    for content_type in ("application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                         "text/plain", "text/plain;charset=UTF-8"):  # fmt: skip
        headers = {"content-type": content_type}
        response = client.post("/v1/events", content=b'{"events": []}', headers=headers)
        assert response.status_code == 415, content_type
        error = response.json()["error"]
        assert error["code"] == "unsupported_media_type" and "application/json" in error["message"]
    assert client.post("/v1/events", content=b'{"events": []}').status_code == 415  # untyped
    for content_type in ("application/json", "application/json; charset=utf-8", "Application/JSON"):
        response = client.post("/v1/events", content=b"[1", headers={"content-type": content_type})
        assert response.status_code == 400, content_type  # JSON, if malformed: 400 as before
    assert client.post("/v1/admin/train?wait=false").status_code == 202  # no body: nothing to type
