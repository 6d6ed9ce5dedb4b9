"""Error bodies carry no driver message (host, user), no absolute path: a generic sentence,
the details in the server log."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pulserec.engine.runtime import Runtime
from pulserec.storage import MemoryStore
from pulserec.storage.base import StoreUnavailable

DRIVER = (
    'connection to server at "db.internal" (10.1.2.3), port 5432 failed: FATAL: password '
    'authentication failed for user "pulserec_admin"; see /var/lib/pulserec/secret.log'
)
LEAKS = ("db.internal", "10.1.2.3", "pulserec_admin", "/var/lib")


def _assert_clean(body: str) -> None:
    assert not [leak for leak in LEAKS if leak in body], body


def test_an_unreachable_store_answers_a_generic_503(
    trained_client: TestClient,
    trained_store: MemoryStore,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise StoreUnavailable(DRIVER)

    monkeypatch.setattr(trained_store, "upsert_items", down)
    with caplog.at_level(logging.WARNING):
        response = trained_client.post("/v1/items", json={"items": [{"id": "x", "title": "X"}]})
    assert response.status_code == 503 and response.json()["error"]["code"] == "unavailable"
    _assert_clean(response.text)
    assert "db.internal" in caplog.text  # the operator still gets the details


def test_a_failed_training_reports_no_driver_detail(
    trained_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime: Runtime = trained_client.app.state.services.runtime  # type: ignore[attr-defined]

    def broken() -> Any:
        raise PermissionError(13, "Permission denied", "/var/lib/pulserec/models/v1")

    monkeypatch.setattr(runtime.trainer, "_train", broken)
    response = trained_client.post("/v1/admin/train")
    assert response.status_code == 500
    _assert_clean(response.text)
    job = trained_client.get(f"/v1/admin/train/{list(runtime.trainer.jobs)[-1]}").json()
    assert job["state"] == "failed" and "PermissionError" in job["error"]
    _assert_clean(str(job))
