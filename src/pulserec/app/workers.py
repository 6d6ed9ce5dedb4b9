"""``serve --workers N``: N serving processes on one port, balanced by the kernel.

Each worker binds its own listening socket with ``SO_REUSEPORT``, so the kernel spreads new
connections over the workers by a hash of their addresses. (A single socket shared by every
worker, as uvicorn's own supervisor does, lets whichever worker wakes first take the whole
burst of keep-alive connections a client opens at once, and one worker ends up doing most of
the work.) The parent restarts a worker that dies and stops them all on SIGINT or SIGTERM.
"""

from __future__ import annotations

import logging
import multiprocessing
import socket
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn

logger = logging.getLogger(__name__)
BACKLOG = 2048
MAX_RESTARTS = 5  # a worker that cannot start stops the server instead of looping


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` that other processes may bind too (``SO_REUSEPORT``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    return sock


def serve_one(app_factory: Callable[[], Any], host: str, port: int) -> None:
    """One worker: build the app, then serve it on a socket of its own."""
    app = app_factory()
    sock = listening_socket(host, port)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        http="httptools",
        loop="uvloop",
    )
    uvicorn.Server(config).run(sockets=[sock])


def run_workers(count: int, app_factory: Callable[[], Any], host: str, port: int) -> None:
    """Start ``count`` workers and keep them running until this process is told to stop."""
    context = multiprocessing.get_context("spawn")
    listening_socket(host, port).close()  # a port in use fails here, in one clear line

    def start() -> BaseProcess:
        process = context.Process(
            target=serve_one, args=(app_factory, host, port), name="pulserec-worker"
        )
        process.start()
        return process

    workers = [start() for _ in range(count)]
    restarts = 0
    try:
        while True:
            time.sleep(0.5)
            for n, process in enumerate(workers):
                if process.is_alive():
                    continue
                restarts += 1
                if restarts > MAX_RESTARTS:
                    raise RuntimeError(f"workers keep exiting (last status {process.exitcode})")
                logger.warning(
                    "worker %s exited (%s); starting another", process.pid, process.exitcode
                )
                workers[n] = start()
    finally:
        for process in workers:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes what it serves and stops
        for process in workers:
            process.join(30)
