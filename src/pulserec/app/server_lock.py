"""Which server holds a data dir: ``server.json`` with pid, host, port and start time.

``pulserec serve`` writes it before it opens the store and removes it on a clean exit; a record
whose process is gone (a crash, SIGKILL) is stale and ignored. ``pulserec import`` reads it to
send its rows through that server instead of writing behind its back.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

SERVER_FILE = "server.json"


@dataclass(frozen=True, slots=True)
class ServerRecord:
    """A server that holds a data dir."""

    pid: int
    host: str
    port: int
    started_at: float

    @property
    def url(self) -> str:
        """Where a client on this machine reaches it (a wildcard host means loopback)."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"


def claim(data_dir: Path, host: str, port: int) -> ServerRecord:
    """Record this process as the server of ``data_dir`` (written atomically); ValueError
    when a live server already holds it (its record stays)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / f".{SERVER_FILE}.lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # two servers starting at once: one claims
        holder = live_server(data_dir)
        if holder is not None:
            raise ValueError(
                f"{data_dir} is already served by process {holder.pid} on {holder.url}; "
                "stop it first, or serve another --data-dir"
            )
        return _write(data_dir, host, port)


def _write(data_dir: Path, host: str, port: int) -> ServerRecord:
    record = ServerRecord(pid=os.getpid(), host=host, port=port, started_at=time.time())
    partial = data_dir / f".{SERVER_FILE}.{record.pid}"
    partial.write_text(json.dumps(asdict(record)))
    partial.replace(data_dir / SERVER_FILE)
    return record


def release(data_dir: Path) -> None:
    """Remove the record if it is this process's (another server may have taken over)."""
    record = read_record(data_dir)
    if record is not None and record.pid == os.getpid():
        (data_dir / SERVER_FILE).unlink(missing_ok=True)


def read_record(data_dir: Path) -> ServerRecord | None:
    """The record as written, live or not; None when absent or unreadable."""
    try:
        raw = json.loads((data_dir / SERVER_FILE).read_text())
        return ServerRecord(
            pid=int(raw["pid"]),
            host=str(raw["host"]),
            port=int(raw["port"]),
            started_at=float(raw["started_at"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def live_server(data_dir: Path) -> ServerRecord | None:
    """The server that holds ``data_dir`` now, or None (no record, or its process is gone)."""
    record = read_record(data_dir)
    if record is None or record.pid == os.getpid() or not _is_pulserec(record.pid):
        return None
    return record


def _is_pulserec(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if sys.platform.startswith("linux"):  # a reused pid that runs something else is stale
        try:
            return b"pulserec" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False
    return True
