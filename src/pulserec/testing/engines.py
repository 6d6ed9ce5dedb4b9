"""Real PostgreSQL and Redis servers started from this machine's binaries, on loopback ports,
for the test suite and the benchmarks (``pulserec bench replicas``).

PostgreSQL refuses to run as root, so when this process is root the cluster is created and run
as the ``postgres`` system user (Debian's package creates it) in a directory it owns.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from pulserec.testing.server import free_port

PG_USER = "postgres"


def pg_bindir() -> Path:
    """Where ``initdb`` and ``pg_ctl`` are (``pg_config --bindir``, else Debian's layout)."""
    candidates = []
    config = shutil.which("pg_config")
    if config:
        candidates.append(Path(subprocess.check_output([config, "--bindir"], text=True).strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").exists():
            return candidate
    raise RuntimeError("PostgreSQL's initdb not found: apt-get install postgresql")


class Postgres:
    """A throw-away PostgreSQL cluster on 127.0.0.1:``port``."""

    def __init__(self, port: int | None = None, fsync: bool = True) -> None:
        self.port = port or free_port()
        self.bindir = pg_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="pulserec-pg-"))
        self.data = self.root / "data"
        self._as_root = os.geteuid() == 0
        self.user = PG_USER if self._as_root else pwd.getpwuid(os.geteuid()).pw_name
        if self._as_root:
            entry = pwd.getpwnam(PG_USER)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", self.user, "--no-sync")
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "fsync": "on" if fsync else "off",
            "max_connections": "200",
            "shared_buffers": "128MB",
        }
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{k} = {v}\n" for k, v in settings.items())
        self.start()
        self._databases = 0

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def database(self, name: str | None = None) -> str:
        """A new empty database (``name``, else the next of ``db1``, ``db2``...); its URL."""
        if name is None:
            self._databases += 1
            name = f"db{self._databases}"
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"'.encode())
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{name}"

    def start(self) -> None:
        log = self.root / "server.log"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        user = self.user if self._as_root else None
        subprocess.run(command, check=True, capture_output=True, user=user, cwd=self.root)


class Redis:
    """A redis-server on 127.0.0.1:``port`` with no persistence (a restart starts empty)."""

    def __init__(self, port: int | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server not found: apt-get install redis-server")
        self.binary = binary
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        options = {"port": str(self.port), "bind": "127.0.0.1", "save": "", "appendonly": "no",
                   "protected-mode": "no", "loglevel": "warning"}  # fmt: skip
        command = [self.binary, *(part for k, v in options.items() for part in (f"--{k}", v))]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        """``kill -9``: what Redis held in memory is gone."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def close(self) -> None:
        self.kill()
