"""Taking a deleted user's id out of the change-log stream (:mod:`~.redis_bus`).

Stream entries cannot be edited, only deleted: after a ``delete_user`` entry is published, a
thread scans the stream and deletes (``XDEL``) every entry whose body names the id (an
``events`` entry carrying their events, a ``users`` entry), except the ``delete_user`` entry
itself, which followers apply by id. A follower that misses a deleted entry reads it from the
store, as it does for any entry the stream lacks. The ``delete_user`` entry, and anything a
scan missed, leaves the stream with everything else after ``LOG_ID_KEEP_S`` (every publication
trims the stream by age, ``XTRIM MINID``).
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

import orjson
import redis

from pulserec.storage.changelog import DELETE_USER

logger = logging.getLogger(__name__)
STREAM = "pulserec:log"
PAGE = 1000


def scrub_stream(client: redis.Redis, user_id: str) -> int:
    """Delete every stream entry naming ``user_id`` but its ``delete_user`` entry; returns how
    many went."""
    needle, after, removed = orjson.dumps(user_id), "-", 0
    while True:
        records: Any = client.xrange(STREAM, min=after, count=PAGE)
        if after != "-":
            records = [r for r in records if r[0].decode() != after]
        if not records:
            return removed
        after = records[-1][0].decode()
        doomed = [
            rid
            for rid, fields in records
            if needle in fields.get(b"e", b"") and orjson.loads(fields[b"e"])["k"] != DELETE_USER
        ]
        if doomed:
            removed += int(client.xdel(STREAM, *doomed))


class StreamScrubber:
    """A thread that runs :func:`scrub_stream` for each id handed to :meth:`add`."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self.removed = 0
        self._ids: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="bus-scrubber", daemon=True)
        self._thread.start()

    def add(self, user_id: str) -> None:
        self._ids.put(user_id)

    def _run(self) -> None:
        while (user_id := self._ids.get()) is not None:
            try:
                self.removed += scrub_stream(self.client, user_id)
            except redis.RedisError as exc:  # the age trim takes it out later
                logger.warning("could not scrub a deleted user from the bus stream: %s", exc)
            finally:
                self._ids.task_done()

    def join(self) -> None:
        """Wait until every id handed over was scanned for."""
        self._ids.join()

    def close(self) -> None:
        self._ids.put(None)
        self._thread.join(timeout=5)
