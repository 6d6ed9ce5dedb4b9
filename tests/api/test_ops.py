"""Health, metrics, docs, auth, body limits and the error format."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import MakeClient

EVENT = {"events": [{"user_id": "u", "item_id": "i", "type": "view"}]}


def test_health_docs_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/items", "/v1/users", "/v1/events", "/healthz"} <= set(paths)


def test_metrics_count_routes_events_and_errors(client: TestClient) -> None:
    client.post("/v1/events", json=EVENT)
    client.get("/v1/items/missing")
    text = client.get("/metrics").text
    assert 'pulserec_request_duration_seconds_count{method="POST",route="/v1/events"} 1.0' in text
    assert "pulserec_events_ingested_total 1.0" in text
    assert 'pulserec_errors_total{route="/v1/items/{item_id:path}",status="404"} 1.0' in text
    assert 'pulserec_store_records{kind="events"} 1.0' in text


def test_unknown_route_uses_the_error_format(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert set(response.json()["error"]) == {"code", "message", "details"}


def test_oversized_body_is_413(make_client: MakeClient) -> None:
    client = make_client(max_body_bytes=1000)
    big = {"events": [{"user_id": "u", "item_id": f"i{n}", "type": "view"} for n in range(100)]}
    response = client.post("/v1/events", json=big)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert client.get("/v1/admin/stats").json()["events"] == 0
    assert client.post("/v1/events", json=EVENT).status_code == 200


def test_oversized_chunked_body_is_413(make_client: MakeClient) -> None:
    client = make_client(max_body_bytes=1000)

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b" " * 100

    response = client.post(
        "/v1/events", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_api_key_guards_writes_and_grants_reads(make_client: MakeClient) -> None:
    client = make_client(api_key="write-secret")
    assert client.post("/v1/events", json=EVENT).status_code == 401
    wrong = client.post("/v1/events", json=EVENT, headers={"X-API-Key": "nope"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "unauthorized"
    assert (
        client.post("/v1/events", json=EVENT, headers={"X-API-Key": "write-secret"}).status_code
        == 200
    )
    assert client.delete("/v1/users/u").status_code == 401
    assert client.get("/v1/items").status_code == 200, "reads stay open without a read key"
    assert client.get("/v1/users/u").status_code == 401, "but not personal data (issue 26)"
    assert client.get("/healthz").status_code == 200 and client.get("/metrics").status_code == 200


def test_read_key_guards_reads(make_client: MakeClient) -> None:
    client = make_client(api_key="w", read_key="r")
    assert client.get("/v1/items").status_code == 401
    assert client.get("/v1/items", headers={"X-API-Key": "r"}).status_code == 200
    assert client.get("/v1/items", headers={"X-API-Key": "w"}).status_code == 200
    assert client.post("/v1/events", json=EVENT, headers={"X-API-Key": "r"}).status_code == 401
    for open_path in ("/healthz", "/metrics", "/docs", "/openapi.json"):
        assert client.get(open_path).status_code == 200, open_path
