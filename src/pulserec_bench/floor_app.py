"""The floor of Python HTTP on this machine: a bare Starlette route on uvicorn.

One route returns a fixed 10-item JSON body (encoded by orjson on every request), served with the
same uvicorn settings as ``pulserec serve`` (httptools, uvloop, log level warning, no access log).
"""

from __future__ import annotations

import argparse
import http.client
import subprocess
import sys
import time
from types import TracebackType

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pulserec.testing.server import free_port

PATH = "/floor"
_BODY = {
    "user_id": "1",
    "items": [{"id": str(n), "score": 1.0 - n / 10, "sources": ["floor"]} for n in range(10)],
    "model_version": "floor",
    "took_ms": 0.0,
}


async def _floor(request: Request) -> Response:
    return Response(orjson.dumps(_BODY), media_type="application/json")


def create_floor_app() -> Starlette:
    """A Starlette app with the single route ``GET /floor``."""
    return Starlette(routes=[Route(PATH, _floor)])


def serve_floor(host: str, port: int) -> None:
    """Serve the floor app until interrupted."""
    uvicorn.run(
        create_floor_app(),
        host=host,
        port=port,
        http="httptools",
        loop="uvloop",
        log_level="warning",
        access_log=False,
    )


class FloorServer:
    """The floor app in a child process on a free loopback port (a context manager)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, free_port()
        command = [sys.executable, "-m", "pulserec_bench.floor_app", "--port", str(self.port)]
        self.proc = subprocess.Popen([*command, "--host", host])

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until ``GET /floor`` answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"floor app exited with {self.proc.returncode}")
            conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
            try:
                conn.request("GET", PATH)
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.05)
            finally:
                conn.close()
        raise TimeoutError("floor app did not become ready")

    def stop(self) -> None:
        """Terminate the child (kill it if it lingers)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> FloorServer:
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """``python -m pulserec_bench.floor_app [--host H] [--port P]``: serve the floor app."""
    parser = argparse.ArgumentParser(prog="python -m pulserec_bench.floor_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)
    serve_floor(args.host, args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
