"""A body over the limit gets its 413 even from a client that writes the whole body first."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
import uvicorn

from pulserec.api.app import create_app
from pulserec.app.runtime import assemble
from pulserec.core.config import ServerSettings
from pulserec.engine.config import EngineConfig
from pulserec.storage import MemoryStore
from pulserec.testing.server import free_port

LIMIT = 1 << 20
EVENT = b'{"user_id":"u","item_id":"i","type":"view"},'


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """A real uvicorn server (httptools, as ``pulserec serve`` runs it) in a thread."""
    store = MemoryStore()
    config = EngineConfig(models=(), item_encoder="hashing", query_encoder="hashing")
    runtime = assemble(store, config, progress=False)
    app = create_app(store, ServerSettings(max_body_bytes=LIMIT), runtime)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", http="httptools")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)
    runtime.trainer.stop()


def _body(size: int) -> bytes:
    return b'{"events": [' + EVENT * (size // len(EVENT)) + EVENT[:-1] + b"]}"


def _post(url: str, data: bytes | Iterator[bytes], headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        assert b"payload_too_large" in error.read()
        assert error.headers.get("connection") == "close"
        return error.code


@pytest.mark.parametrize("size", [2 * LIMIT, 20 * LIMIT])
def test_urllib_reads_413_for_declared_length(base_url: str, size: int) -> None:
    headers = {"content-type": "application/json"}
    for _ in range(3):
        assert _post(f"{base_url}/v1/events", _body(size), headers) == 413


def test_urllib_reads_413_for_chunked_body(base_url: str) -> None:
    body = _body(4 * LIMIT)
    chunks = iter([body[i : i + 65536] for i in range(0, len(body), 65536)])
    headers = {"content-type": "application/json", "transfer-encoding": "chunked"}
    assert _post(f"{base_url}/v1/events", chunks, headers) == 413


def test_body_under_the_limit_still_served(base_url: str) -> None:
    headers = {"content-type": "application/json"}
    assert _post(f"{base_url}/v1/events", _body(LIMIT // 2), headers) == 200
