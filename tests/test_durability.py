"""A real server process: restart reloads everything; SIGKILL loses no acknowledged event."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from pulserec.storage import DB_FILENAME
from pulserec.testing.server import ServerProcess

pytestmark = pytest.mark.slow


def test_restart_reloads_everything(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path)
    try:
        server.wait_ready()
        server.request("POST", "/v1/items", {"items": [{"id": "a", "title": "Alpha"}]})
        server.request("POST", "/v1/users", {"users": [{"id": "u", "preferences": "jazz"}]})
        server.request(
            "POST",
            "/v1/events",
            {"events": [{"event_id": "e1", "user_id": "u", "item_id": "a", "type": "like"}]},
        )
    finally:
        server.stop()
    again = ServerProcess(tmp_path)
    try:
        again.wait_ready()
        assert again.request("GET", "/v1/items/a")[1]["title"] == "Alpha"
        assert again.request("GET", "/v1/users/u")[1]["events"] == 1
        retry = {"events": [{"event_id": "e1", "user_id": "u", "item_id": "a", "type": "like"}]}
        assert again.request("POST", "/v1/events", retry)[1] == {"accepted": 0, "duplicates": 1}
    finally:
        again.stop()


def _hammer(server: ServerProcess, worker: int, acked: list[str], stop: threading.Event) -> None:
    """Post batches until the server dies; remember the ids of every acknowledged batch."""
    batch_no = 0
    while not stop.is_set():
        ids = [f"w{worker}-b{batch_no}-{n}" for n in range(50)]
        body = {
            "events": [
                {"event_id": i, "user_id": f"u{worker}", "item_id": f"i{n}", "type": "click"}
                for n, i in enumerate(ids)
            ]
        }
        try:
            status, reply = server.request("POST", "/v1/events", body)
        except OSError:
            return
        if status == 200 and reply["accepted"] == len(ids):
            acked.extend(ids)
        batch_no += 1


def test_sigkill_mid_ingestion_keeps_every_acknowledged_event(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path)
    server.wait_ready()
    acked: list[str] = []
    stop = threading.Event()
    workers = [threading.Thread(target=_hammer, args=(server, w, acked, stop)) for w in range(3)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 60
    while len(acked) < 3_000 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()
    stop.set()
    for worker in workers:
        worker.join(timeout=60)
    assert len(acked) >= 3_000, "the server should have acknowledged batches before the kill"

    restarted = ServerProcess(tmp_path)
    try:
        restarted.wait_ready()
        stored_total = restarted.request("GET", "/v1/admin/stats")[1]["events"]
        with sqlite3.connect(tmp_path / DB_FILENAME) as conn:
            stored = {row[0] for row in conn.execute("SELECT event_id FROM events")}
        missing = set(acked) - stored
        assert not missing, f"{len(missing)} acknowledged events lost"
        assert stored_total == len(stored) >= len(acked)
    finally:
        restarted.stop()
