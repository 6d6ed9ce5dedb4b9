"""A real ``pulserec serve`` on loopback answers only loopback host names and those of
``PULSEREC_ALLOWED_HOSTS`` (DNS rebinding, issue 26 item 7), and refuses cross-site writes
with the Host and Origin a browser really sends (item 8)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pulserec.api.browser_guards import answered_hosts
from pulserec.app.settings import Settings
from pulserec.core.config import ServerSettings
from pulserec.testing.server import LIGHT_ENV, ServerProcess

EVENT = {"events": [{"user_id": "u1", "item_id": "i1", "type": "click"}]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {**LIGHT_ENV, "PULSEREC_ALLOWED_HOSTS": "recs.example.test, [fd00::7]"}
    process = ServerProcess(tmp_path_factory.mktemp("host") / "data", env=env)
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def _call(
    server: ServerProcess, method: str, path: str, host: str, **headers: str
) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        body = json.dumps(EVENT) if method == "POST" else None
        sent = {"Host": host, "Content-Type": "application/json", **headers}
        connection.request(method, path, body, sent)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_a_foreign_host_name_is_refused(server: ServerProcess) -> None:
    port = server.port
    for host in ("attacker.example", f"attacker.example:{port}", f"127.0.0.1.nip.io:{port}",
                 f"localhost.attacker.example:{port}", "10.0.0.1", "[fd00::8]"):  # fmt: skip
        for path in ("/v1/users", "/v1/items", "/healthz", "/"):
            status, body = _call(server, "GET", path, host)
            assert status == 400, (host, path)
            assert body["error"]["code"] == "bad_host"
            assert "PULSEREC_ALLOWED_HOSTS" in body["error"]["message"]
        assert _call(server, "POST", "/v1/events", host)[0] == 400
    assert server.request("GET", "/v1/users")[1]["total"] == 0


def test_loopback_and_allowed_names_are_answered(server: ServerProcess) -> None:
    port = server.port
    for host in ("localhost", f"localhost:{port}", f"LocalHost:{port}", f"127.0.0.1:{port}",
                 "127.0.0.1", f"[::1]:{port}", "[::1]", f"recs.example.test:{port}",
                 "RECS.example.test", "[fd00::7]:80"):  # fmt: skip
        status, body = _call(server, "GET", "/v1/items", host)
        assert status == 200, (host, body)


def test_cross_site_writes_are_refused_by_the_real_server(server: ServerProcess) -> None:
    host = f"localhost:{server.port}"
    for origin in ("http://attacker.example", f"http://127.0.0.1:{server.port}", "null"):
        status, body = _call(server, "POST", "/v1/events", host, Origin=origin)
        assert status == 403 and body["error"]["code"] == "forbidden", origin
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert _call(server, "POST", "/v1/events", host, **form)[0] == 415
    same = {"Origin": f"http://localhost:{server.port}", "Sec-Fetch-Site": "same-origin"}
    assert _call(server, "POST", "/v1/events", host, **same)[0] == 200
    behind_a_proxy = {"Origin": "https://recs.example.test"}  # an allowed name is our own
    assert _call(server, "POST", "/v1/events", host, **behind_a_proxy)[0] == 200


def test_the_check_is_on_only_when_bound_to_loopback() -> None:
    assert answered_hosts(ServerSettings()) is None  # an app built in-process: no bind known
    assert answered_hosts(ServerSettings(host="0.0.0.0")) is None
    assert answered_hosts(ServerSettings(host="192.0.2.4", allowed_hosts=("a.test",))) is None
    names = answered_hosts(ServerSettings(host="127.0.0.1", allowed_hosts=("A.test:8000",)))
    assert names == frozenset({"localhost", "127.0.0.1", "::1", "a.test"})
    assert answered_hosts(ServerSettings(host="::1")) == frozenset(
        {"localhost", "127.0.0.1", "::1"}
    )
    assert answered_hosts(ServerSettings(host="localhost", allowed_hosts=("*",))) is None


def test_served_by_the_settings_of_the_serve_command(tmp_path: Path) -> None:
    settings = Settings.load({}, env={"PULSEREC_ALLOWED_HOSTS": "a.test,b.test"})
    assert settings.server.host == "127.0.0.1"
    assert settings.server.allowed_hosts == ("a.test", "b.test")
    file = tmp_path / "pulserec.toml"
    file.write_text('host = "0.0.0.0"\nallowed_hosts = ["c.test"]\n')
    from_file = Settings.load({"config": file}, env={})
    assert from_file.server.host == "0.0.0.0" and from_file.server.allowed_hosts == ("c.test",)
