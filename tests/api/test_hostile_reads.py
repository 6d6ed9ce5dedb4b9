"""Reads that used to answer 500 or cost without bound: each answers a clear 4xx or a bounded
body."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_a_window_of_400_digits_is_a_422_naming_the_longest(trained_client: TestClient) -> None:
    for window in ("9" * 400 + "m", "3651d", "1" * 5000 + "h"):
        response = trained_client.get("/v1/popular", params={"window": window})
        assert response.status_code == 422, window
        detail = response.json()["error"]["details"][0]
        assert detail["field"] == "window" and "3650d" in detail["message"]
    assert trained_client.get("/v1/popular", params={"window": "3650d"}).status_code == 200
    assert trained_client.get("/v1/popular", params={"window": "0" * 400 + "7d"}).status_code == 200
