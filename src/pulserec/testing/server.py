"""A real ``pulserec serve`` child process on loopback, for tests and benchmarks."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

# a server that starts in seconds: one light model, the hashing encoders, one thread
LIGHT_ENV = {
    "PULSEREC_MODELS": "itemknn",
    "PULSEREC_ITEM_ENCODER": "hashing",
    "PULSEREC_QUERY_ENCODER": "hashing",
    "OMP_NUM_THREADS": "1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """Starts the CLI server in a child process and talks JSON to it."""

    def __init__(self, data_dir: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable,
            "-m",
            "pulserec",
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            str(self.port),
            *extra,
        ]
        self.log_path = data_dir.parent / f"server-{self.port}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            command, env={**os.environ, **(env or {})}, stdout=self._log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                output = self.log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"server exited with {self.proc.returncode}: {output}")
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError("server did not become ready")

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.base + path, data=data, method=method, headers={"content-type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no flush, as a crash would."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


def call(port: int, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """One JSON request to 127.0.0.1:``port`` on a fresh connection (with several worker
    processes on the port, the kernel picks the one that answers)."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = json.dumps(body) if body is not None else None
        connection.request(method, path, payload, {"content-type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def run_cli(*args: str, timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
    """Run ``python -m pulserec ARGS`` and capture its output (never raises on failure)."""
    return subprocess.run(
        [sys.executable, "-m", "pulserec", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
