"""The wheel: built from this tree, installed into a fresh virtual environment, ``pulserec``
runs from it with no clone (the web page, the models' code and the CLI found in the package):
``--help``, then a short serve whose page and API answer.

The fresh environment borrows the dependencies (torch, numpy...) of the test's own
environment through ``PYTHONPATH`` (no ``.pth`` is read there, so the editable install of this
tree stays out) and gets pulserec itself only from the wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

from pulserec.testing.server import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
FAST = {
    "PULSEREC_ITEM_ENCODER": "hashing",
    "PULSEREC_QUERY_ENCODER": "hashing",
    "PULSEREC_MODELS": "itemknn",
}


def _run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def test_the_wheel_installs_and_serves_without_the_source_tree(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", dist, ROOT, cwd=tmp_path)  # fmt: skip
    wheels = list(dist.glob("pulserec-*.whl"))
    assert len(wheels) == 1
    fresh = tmp_path / "fresh"
    _run(sys.executable, "-m", "venv", "--without-pip", fresh, cwd=tmp_path)
    python = fresh / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps",
         wheels[0], cwd=tmp_path)  # fmt: skip
    env = {**os.environ, **FAST, "PYTHONPATH": sysconfig.get_paths()["purelib"]}
    env.pop("VIRTUAL_ENV", None)
    where = _run(python, "-c", "import pulserec; print(pulserec.__file__)", cwd=tmp_path, env=env)
    assert where.strip().startswith(str(fresh)), where
    assert "serve" in _run(fresh / "bin" / "pulserec", "--help", cwd=tmp_path, env=env)

    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [fresh / "bin" / "pulserec", "serve", "--data-dir", tmp_path / "data", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if _get(base + "/healthz")[0] == 200:
                    break
            except OSError:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
                assert time.monotonic() < deadline, "the server from the wheel did not start"
                time.sleep(0.2)
        status, page = _get(base + "/")
        assert status == 200 and b"pulserec" in page
        assert _get(base + "/static/try.js")[0] == 200
        assert _get(base + "/v1/popular?k=3")[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
