"""`pulserec serve --workers 2` for real: two processes on one port read each other's writes,
and a version published by `pulserec train` in a third process is served by both."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulserec.storage import open_store
from pulserec.storage.ingest import Ingestor
from pulserec.testing.server import LIGHT_ENV, ServerProcess
from pulserec.testing.server import call as _call
from tests.engine.conftest import catalog, events

pytestmark = pytest.mark.slow
LIGHT = LIGHT_ENV


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    data_dir = tmp_path / "data"
    store = open_store(data_dir)
    ingestor = Ingestor(store)
    ingestor.add_items(catalog())
    ingestor.add_events(events())
    store.close()
    process = ServerProcess(data_dir, "--workers", "2", env=LIGHT)
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def _pids(port: int, want: int = 2, within_s: float = 60.0) -> set[int]:
    """Worker pids seen answering (the second worker may still be loading at first)."""
    seen: set[int] = set()
    deadline = time.monotonic() + within_s
    while len(seen) < want and time.monotonic() < deadline:
        seen.add(_call(port, "GET", "/v1/admin/stats")[1]["worker_pid"])
    return seen


def test_two_workers_read_each_others_writes(server: ServerProcess) -> None:
    assert len(_pids(server.port)) == 2, "both workers answer"
    stale = 0
    for n in range(25):  # 40 items, about 7 already seen by u10
        shown = _call(server.port, "GET", "/v1/recommend/u10?k=5")[1]["items"]
        clicked = shown[0]["id"]
        event = {"user_id": "u10", "item_id": clicked, "type": "click", "event_id": f"w{n}"}
        assert _call(server.port, "POST", "/v1/events", {"events": [event]})[0] == 200
        after = _call(server.port, "GET", "/v1/recommend/u10?k=5")[1]["items"]
        stale += clicked in [item["id"] for item in after]
    assert stale == 0


def test_a_version_trained_elsewhere_is_served_by_every_worker(
    server: ServerProcess, tmp_path: Path
) -> None:
    assert len(_pids(server.port)) == 2
    before = {_call(server.port, "GET", "/v1/recommend/u10")[1]["model_version"] for _ in range(10)}
    trained = subprocess.run(
        [sys.executable, "-m", "pulserec", "train", "--data-dir", str(tmp_path / "data")],
        env={**os.environ, **LIGHT},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    line = next(x for x in trained.stdout.splitlines() if x.startswith("trained model version"))
    version = line.split()[-1]
    assert version not in before
    deadline = time.monotonic() + 10
    seen: dict[int, str] = {}
    while time.monotonic() < deadline:
        stats = _call(server.port, "GET", "/v1/admin/stats")[1]
        seen[stats["worker_pid"]] = stats["model_version"]
        if len(seen) == 2 and set(seen.values()) == {version}:
            break
        time.sleep(0.1)
    assert set(seen.values()) == {version} and len(seen) == 2, seen
