"""Retraining over HTTP: wait or not, job states, conflicts, and the stats it leaves."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pulserec.api.app import create_app
from pulserec.core.config import ServerSettings
from pulserec.engine.lifecycle.bundle import ModelBundle
from pulserec.engine.runtime import Runtime
from pulserec.storage import MemoryStore
from tests.engine.conftest import build, filled_store

POLL_LIMIT_S = 60.0


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    store = filled_store()
    yield build(store, tmp_path, ("itemknn",))
    store.close()


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    store = runtime.engine.store
    assert isinstance(store, MemoryStore)
    return TestClient(create_app(store, ServerSettings(), runtime=runtime))


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def poll(client: TestClient, job: str, until: set[str]) -> dict[str, Any]:
    """The job's state once it is one of ``until``; fails after POLL_LIMIT_S."""
    deadline = time.monotonic() + POLL_LIMIT_S
    while True:
        state = ok(client.get(f"/v1/admin/train/{job}"))
        if state["state"] in until:
            return state
        assert time.monotonic() < deadline, f"job {job} still {state['state']}"
        time.sleep(0.02)


class Gate:
    """Holds every training (before it snapshots anything) until ``release`` is set."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()


@pytest.fixture
def gate(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    held_at = Gate()
    original = runtime.trainer._train

    def held() -> ModelBundle:
        held_at.entered.set()
        assert held_at.release.wait(POLL_LIMIT_S), "the test never released the training"
        return original()

    monkeypatch.setattr(runtime.trainer, "_train", held)
    yield held_at
    held_at.release.set()  # never leave a worker thread waiting, whatever the test did


def finished(runtime: Runtime, job: str) -> None:
    """Wait until the trainer has let go of ``job`` (its state reads done a moment earlier)."""
    assert runtime.trainer.jobs[job].done.wait(POLL_LIMIT_S)


def test_train_waits_and_serves_the_new_version(client: TestClient) -> None:
    before = ok(client.get("/v1/recommend/u10"))["model_version"]
    assert before != "none"
    body = ok(client.post("/v1/admin/train"))
    after = body["model_version"]
    assert isinstance(after, str) and after not in ("none", before)
    assert isinstance(body["job"], str)
    assert ok(client.get("/v1/recommend/u10"))["model_version"] == after
    session = ok(client.post("/v1/recommend/session", json={"items": ["garden-1"]}))
    assert session["model_version"] == after
    job = ok(client.get(f"/v1/admin/train/{body['job']}"))
    assert job["state"] == "done" and job["model_version"] == after and job["error"] is None
    assert job["finished_at"] >= job["started_at"]


def test_train_without_waiting_gives_a_job_to_poll(client: TestClient) -> None:
    before = ok(client.get("/v1/recommend/u10"))["model_version"]
    accepted = ok(client.post("/v1/admin/train", params={"wait": "false"}), 202)
    assert set(accepted) == {"job"}
    job = poll(client, accepted["job"], {"done", "failed"})
    assert job["state"] == "done", job
    assert job["job"] == accepted["job"]
    assert job["model_version"] not in (None, before)
    assert ok(client.get("/v1/recommend/u10"))["model_version"] == job["model_version"]


def test_unknown_job_is_404(client: TestClient) -> None:
    response = client.get("/v1/admin/train/no-such-job")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_second_training_while_one_runs_is_409(
    client: TestClient, runtime: Runtime, gate: Gate
) -> None:
    before = ok(client.get("/v1/recommend/u10"))["model_version"]
    job = ok(client.post("/v1/admin/train", params={"wait": "false"}), 202)["job"]
    assert gate.entered.wait(POLL_LIMIT_S)
    assert ok(client.get(f"/v1/admin/train/{job}"))["state"] == "running"
    for params in ({"wait": "false"}, {}):
        response = client.post("/v1/admin/train", params=params)
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["code"] == "conflict" and job in error["message"]
    stats = ok(client.get("/v1/admin/stats"))
    assert stats["training"] is True
    # the old models keep serving meanwhile
    listed = ok(client.get("/v1/recommend/u10"))
    assert listed["model_version"] == before and listed["items"]
    gate.release.set()
    assert poll(client, job, {"done", "failed"})["state"] == "done"
    finished(runtime, job)
    assert ok(client.get("/v1/admin/stats"))["training"] is False
    again = ok(client.post("/v1/admin/train"))  # free again once the first one is done
    assert again["model_version"] not in (before, None)


def test_stats_report_the_version_and_the_last_training(client: TestClient) -> None:
    stats = ok(client.get("/v1/admin/stats"))
    assert stats["items"] == 40 and stats["users"] > 0 and stats["events"] > 0
    assert stats["models"] == ["itemknn"]
    trained = ok(client.post("/v1/admin/train"))
    stats = ok(client.get("/v1/admin/stats"))
    assert stats["model_version"] == trained["model_version"]
    last = stats["last_training"]
    assert last["model_version"] == trained["model_version"]
    assert last["n_events"] == stats["events"]
    assert last["replayed_events"] == 0
    assert set(last["fit_seconds"]) == {"itemknn"}
    assert stats["training"] is False


def test_train_needs_the_api_key(runtime: Runtime) -> None:
    store = runtime.engine.store
    assert isinstance(store, MemoryStore)
    client = TestClient(create_app(store, ServerSettings(api_key="k", read_key="r"), runtime))
    assert client.post("/v1/admin/train").status_code == 401
    assert client.post("/v1/admin/train", headers={"X-API-Key": "r"}).status_code == 401
    body = ok(client.post("/v1/admin/train", headers={"X-API-Key": "k"}))
    job = f"/v1/admin/train/{body['job']}"
    assert client.get(job, headers={"X-API-Key": "r"}).status_code == 401  # operations: the API key
    assert ok(client.get(job, headers={"X-API-Key": "k"}))["state"] == "done"


def test_a_training_that_can_fit_nothing_says_why(tmp_path: Path) -> None:
    from pulserec.core.types import Event, EventType

    store = MemoryStore()
    store.append_events(
        [Event("u", f"p{n}", EventType.CLICK, 1_700_000_000.0 + n) for n in range(5)]
    )
    runtime = build(store, tmp_path, ("content",))  # needs item text; only placeholders exist
    client = TestClient(create_app(store, ServerSettings(), runtime=runtime))
    body = ok(client.post("/v1/admin/train"))
    assert body["models"] == []
    assert "text vectors" in body["skipped"]["content"]
    assert "no model could be trained" in body["message"]
    job = ok(client.get(f"/v1/admin/train/{body['job']}"))
    assert job["skipped"] == body["skipped"]
    store.close()


def test_the_served_configuration_is_reported_where_an_operator_looks(tmp_path: Path) -> None:
    """The training reply, admin stats and every result name what the held-out events chose."""
    from pulserec.app.runtime import assemble
    from pulserec.encoders import load_encoder
    from pulserec.engine.config import EngineConfig

    store = filled_store()
    encoder = load_encoder("hashing")
    config = EngineConfig(
        models=("hybrid",),
        model_params={"hybrid": {"without": ("sequence",)}},
        item_encoder="hashing",
        query_encoder="hashing",
    )
    runtime = assemble(store, config, tmp_path, encoder, encoder, progress=False)
    client = TestClient(create_app(store, ServerSettings(), runtime=runtime))
    body = ok(client.post("/v1/admin/train"))
    served = body["served"]["hybrid"]
    assert served["holdout"] == "last"
    figures = served["validation_ndcg@10"]
    assert {"ease", "transitions", "blend", "lightgbm"} <= set(figures)
    sources = {name: figures[name] for name in served["sources"] if name in figures}
    assert served["served_ndcg@10"] >= max(sources.values())
    assert ok(client.get("/v1/admin/stats"))["served"]["hybrid"] == served
    assert ok(client.get(f"/v1/admin/train/{body['job']}"))["served"]["hybrid"] == served
    items = ok(client.get("/v1/recommend/u10", params={"k": 5}))["items"]
    placed = [item["source"] for item in items if item["source"] not in ("content", "trending")]
    assert placed and set(placed) == {served["served_by"]}
    assert served["served_by"] == "hybrid" or served["ranker"] is None
    store.close()
