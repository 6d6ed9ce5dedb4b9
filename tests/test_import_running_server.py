"""``pulserec import`` into a data dir a running server holds goes through that server (seen at
once), ``--url`` imports over HTTP explicitly, and an unreachable holder makes it refuse."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulserec.app.server_lock import SERVER_FILE, live_server
from pulserec.testing.server import ServerProcess, run_cli

pytestmark = pytest.mark.slow
LIGHT = {
    "PULSEREC_MODELS": "",
    "PULSEREC_ITEM_ENCODER": "hashing",
    "PULSEREC_QUERY_ENCODER": "hashing",
    "PULSEREC_ANSWER_CACHE": "0",
}


@pytest.fixture
def light_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI children inherit a light engine configuration and no API key."""
    for name, value in LIGHT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PULSEREC_API_KEY", raising=False)


@pytest.fixture
def server(tmp_path: Path, light_env: None) -> Iterator[ServerProcess]:
    data_dir = tmp_path / "d"
    seed = tmp_path / "seed.csv"
    seed.write_text("id,title\ns1,Garden hose\ns2,Kitchen knife\ns3,Desk lamp\n")
    assert run_cli("import", str(seed), "--data-dir", str(data_dir)).returncode == 0
    process = ServerProcess(data_dir, env=LIGHT)
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def test_import_into_held_data_dir_is_served_at_once(tmp_path: Path, server: ServerProcess) -> None:
    data_dir = tmp_path / "d"
    held = live_server(data_dir)
    assert held is not None and held.pid == server.proc.pid and held.port == server.port
    items = tmp_path / "items.csv"
    items.write_text("id,title,price\nz1,Zebra striped umbrella,14.99\nz2,,3\n")
    result = run_cli("import", str(items), "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert "importing through its API" in result.stderr and "1 rows rejected" in result.stderr
    hits = server.request("GET", "/v1/search?q=zebra%20striped%20umbrella&k=1")[1]["items"]
    assert [hit["id"] for hit in hits] == ["z1"]
    assert server.request("GET", "/v1/items/z1")[1]["attributes"] == {"price": 14.99}


def test_import_with_url_reports_rejected_rows(tmp_path: Path, server: ServerProcess) -> None:
    events = tmp_path / "events.jsonl"
    future = 4_000_000_000
    rows = [
        {"event_id": "e1", "user_id": "u1", "item_id": "s1", "type": "click"},
        {"event_id": "e2", "user_id": "u1", "item_id": "s2", "type": "rating", "value": 9},
        {"event_id": "e3", "user_id": "u1", "item_id": "s3", "type": "view", "timestamp": future},
    ]
    events.write_text("".join(json.dumps(row) + "\n" for row in rows))
    result = run_cli("import", str(events), "--url", server.base)
    assert result.returncode == 0, result.stderr
    assert "2 rows rejected" in result.stderr and "row 2: value" in result.stderr
    assert "row 3: timestamp" in result.stderr
    assert server.request("GET", "/v1/users/u1")[1]["events"] == 1
    again = run_cli("import", str(events), "--url", server.base)
    assert again.returncode != 0 and "nothing was imported" in again.stderr


def test_unreachable_holder_refuses_and_stale_record_is_ignored(
    tmp_path: Path, light_env: None
) -> None:
    data_dir = tmp_path / "d"
    data_dir.mkdir()
    items = tmp_path / "items.csv"
    items.write_text("id,title\n1,Hat\n")
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "pulserec"])
    try:
        record = {"pid": holder.pid, "host": "127.0.0.1", "port": 9, "started_at": 0.0}
        (data_dir / SERVER_FILE).write_text(json.dumps(record))
        refused = run_cli("import", str(items), "--data-dir", str(data_dir))
        assert refused.returncode != 0 and len(refused.stderr.strip().splitlines()) == 1
        assert f"held by a running server (pid {holder.pid}, http://127.0.0.1:9)" in refused.stderr
        assert "--url" in refused.stderr
    finally:
        holder.kill()
        holder.wait()
    stale = run_cli("import", str(items), "--data-dir", str(data_dir))
    assert stale.returncode == 0, stale.stderr


def test_server_record_removed_on_clean_exit(tmp_path: Path, light_env: None) -> None:
    data_dir = tmp_path / "d"
    process = ServerProcess(data_dir, env=LIGHT)
    try:
        process.wait_ready()
        assert (data_dir / SERVER_FILE).exists()
    finally:
        process.stop()
    assert process.proc.returncode in (0, -15)
    assert not (data_dir / SERVER_FILE).exists()
