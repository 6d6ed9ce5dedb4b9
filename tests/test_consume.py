"""``pulserec consume`` against a real redis-server and a real data dir: every event of the
stream stored exactly once although the consumer is killed mid-stream and started again, a
message that is no event set aside with its reason, SIGTERM ends it with 0, metrics served."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import orjson
import pytest
import redis

from pulserec.core.types import Item, User
from pulserec.storage import DB_FILENAME, SqliteStore
from pulserec.storage.ingest import Ingestor
from pulserec.testing.engines import Redis
from pulserec.testing.server import free_port

pytestmark = pytest.mark.slow
EVENTS = 12_000
FAST = {"PULSEREC_ITEM_ENCODER": "hashing", "PULSEREC_QUERY_ENCODER": "hashing"}


def _stored(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / DB_FILENAME) as db:
        return int(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])


def _consumer(source: str, data_dir: Path, *extra: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "pulserec", "consume", source, "--data-dir", str(data_dir)]
    return subprocess.Popen([*command, *extra], env={**os.environ, **FAST}, stderr=subprocess.PIPE)


def _wait(condition: object, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_killed_mid_stream_it_loses_and_repeats_nothing(
    redis_server: Redis, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    store = SqliteStore(data_dir / DB_FILENAME)
    ingestor = Ingestor(store)
    ingestor.add_items([Item(f"i{n}", f"Item {n}") for n in range(50)])
    ingestor.add_users([User("gone")])
    ingestor.delete_user("gone")
    store.close()
    client = redis.Redis.from_url(redis_server.url)
    stream = f"events-{free_port()}"
    pipe = client.pipeline()
    for n in range(EVENTS):
        event = {"user_id": f"u{n % 97}", "item_id": f"i{n % 50}", "type": "click",
                 "timestamp": 1_700_000_000 + n}  # fmt: skip
        if n % 2:  # half carry their own ids; the others take the entry's
            event["event_id"] = f"e{n}"
        pipe.xadd(stream, {"event": orjson.dumps(event)})
    pipe.xadd(stream, {"event": b"{not json"})
    pipe.xadd(stream, {"event": orjson.dumps({"user_id": "u1", "item_id": "i1", "type": "zap"})})
    pipe.xadd(stream, {"event": orjson.dumps({"user_id": "gone", "item_id": "i1", "type": "like"})})
    pipe.execute()
    source = f"{redis_server.url}?stream={stream}&group=pulserec"

    first = _consumer(source, data_dir, "--consumer", "c1")
    _wait(lambda: _stored(data_dir) >= 2_000)
    first.send_signal(signal.SIGKILL)  # mid-stream: a batch may be stored, not acknowledged
    first.communicate(timeout=30)
    assert _stored(data_dir) < EVENTS

    port = free_port()
    again = _consumer(source, data_dir, "--consumer", "c1", "--metrics-port", str(port))
    _wait(lambda: _stored(data_dir) >= EVENTS and client.xlen(f"{stream}:dead") >= 3)
    _wait(lambda: b"pulserec_consumer_lag 0.0" in urllib.request.urlopen(
        f"http://127.0.0.1:{port}/metrics", timeout=5).read())  # fmt: skip
    time.sleep(0.5)
    again.send_signal(signal.SIGTERM)
    _, err = again.communicate(timeout=60)
    assert again.returncode == 0, err.decode()[-2000:]
    assert _stored(data_dir) == EVENTS  # every event once: none lost, none repeated
    dead = [fields for _, fields in client.xrange(f"{stream}:dead")]
    reasons = sorted(fields[b"reason"].decode() for fields in dead)
    assert len(reasons) == 3
    assert any("not JSON" in r for r in reasons) and any("zap" in r for r in reasons)
    assert any("deleted" in r or "forgotten" in r for r in reasons), reasons
    pending = client.xpending(stream, "pulserec")
    assert pending["pending"] == 0
    client.close()


def test_a_bad_source_fails_with_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pulserec", "consume", "redis://127.0.0.1:1/0", "--data-dir",
         str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0 and "stream=NAME&group=NAME" in done.stderr
