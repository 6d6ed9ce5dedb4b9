"""The change log on Redis Streams (``--bus redis://host:port/db``): the fast path between
machines; the store stays the source of truth. Nothing a request does waits on Redis.

- **Publishing** (:class:`BusPublisher`, the store's commit hook): a write's entries (an event
  batch with its events) join a backlog that a thread adds to the stream ``pulserec:log``
  (raising the bus's high-water key in the same server-side script), outside every lock. The
  commit waits for its publication at most ``PUBLISH_WAIT_S`` while the bus answers, and not at
  all while it is failing; what Redis refused is retried with a growing pause. The write is
  committed either way, so nothing acknowledged depends on Redis.
- **Following** (:class:`BusFeed`, what a replica's engine reads instead of the store's log): a
  thread reads the stream with a blocking ``XREAD`` (so another replica's write arrives within
  a millisecond or so of its publication) and asks the store's own high-water mark once a
  second (every ``STORE_CHECK_DOWN_S`` while the bus fails), so a write whose publication never
  came is still seen. ``high_water`` and ``entries`` read memory only; whatever the stream
  lacks (a publication late or lost, Redis restarted empty or down) is read from the store.
  Writers of several hosts publish in their own order, so stream order is not log order:
  entries wait in ``pending`` until the ones before arrive.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import orjson
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from pulserec.storage import rows as convert
from pulserec.storage.base import Store, StoreUnavailable
from pulserec.storage.changelog import DELETE_USER, LogEntry
from pulserec.storage.redis_scrub import STREAM, StreamScrubber
from pulserec.storage.tombstones import LOG_ID_KEEP_S

logger = logging.getLogger(__name__)
HIGH = "pulserec:log:high"
MAXLEN = 1_000_000  # stream entries kept (approximately); older ones are read from the store
# entries older than LOG_ID_KEEP_S leave the stream too (a deleted user's id with them)
RETRY_S = 0.5  # how often a backlog is retried, and how long a failure skips the bus
STORE_CHECK_S = 1.0  # how often a follower asks the store's own high-water mark
STORE_CHECK_DOWN_S = 0.05  # ... while the bus cannot be read
BLOCK_S = 0.5  # how long one blocking read of the stream waits for new entries
RETRY_MAX_S = 5.0  # the longest pause between two tries of a failing bus
PUBLISH_WAIT_S = 0.05  # how long a commit waits for its publication while the bus answers
BACKLOG_LIMIT = 100_000  # unpublished entries kept; beyond, followers read them from the store
TIMEOUT_S = 1.0
PAGE = 1000

# KEYS: stream, high-water key. ARGV: maxlen, top seq, oldest id kept, encoded entries...
_PUBLISH = """
for i = 4, #ARGV do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[i])
end
redis.call('XTRIM', KEYS[1], 'MINID', ARGV[3])
local high = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[2]) > high then redis.call('SET', KEYS[2], ARGV[2]) end
return high
"""


def encode(entry: LogEntry) -> bytes:
    body: dict[str, Any] = {"s": entry.seq, "k": entry.kind, "p": entry.payload}
    if entry.events:
        body["e"] = [convert.event_row(e) for e in entry.events]
    return orjson.dumps(body)


def decode(blob: bytes) -> LogEntry:
    body = orjson.loads(blob)
    events = tuple(convert.event_from_row(tuple(r)) for r in body.get("e", ()))
    return LogEntry(int(body["s"]), body["k"], body["p"], events)


class RedisBus:
    """The stream and its high-water key on one Redis server."""

    def __init__(self, url: str) -> None:
        self.url = url
        # one immediate retry on a fresh connection: after a Redis restart every pooled
        # connection is dead, and the first command on each would fail
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=TIMEOUT_S,
            socket_connect_timeout=TIMEOUT_S,
            retry=Retry(NoBackoff(), 1),
        )
        self._publish = self.client.register_script(_PUBLISH)
        # blocking reads on a client of their own, whose timeout outlasts the block
        self.reader = redis.Redis.from_url(
            url, socket_timeout=BLOCK_S + TIMEOUT_S, socket_connect_timeout=TIMEOUT_S
        )

    def publish(self, entries: Sequence[LogEntry]) -> None:
        """Add ``entries`` to the stream and raise the high-water key (raises RedisError)."""
        if entries:
            top = max(e.seq for e in entries)
            oldest = f"{int((time.time() - LOG_ID_KEEP_S) * 1000)}-0"  # stream ids are ms
            self._publish(keys=[STREAM, HIGH], args=[MAXLEN, top, oldest, *map(encode, entries)])

    def high_water(self) -> int | None:
        """The highest entry published (None: the key is gone, e.g. Redis restarted empty)."""
        value: Any = self.client.get(HIGH)
        return int(value) if value is not None else None

    def tail_id(self) -> str:
        """The stream id of the newest entry ("0-0" when empty)."""
        newest: Any = self.client.xrevrange(STREAM, count=1)
        return str(newest[0][0].decode()) if newest else "0-0"

    def wait_read(self, after_id: str, block_s: float = BLOCK_S) -> tuple[str, list[LogEntry]]:
        """Entries published after ``after_id``, waiting up to ``block_s`` for the first."""
        reply: Any = self.reader.xread({STREAM: after_id}, count=PAGE, block=int(block_s * 1000))
        return _read_records(after_id, reply[0][1] if reply else [])

    def close(self) -> None:
        self.client.close()
        self.reader.close()


def _read_records(after_id: str, records: Any) -> tuple[str, list[LogEntry]]:
    if not records:
        return after_id, []
    return str(records[-1][0].decode()), [decode(fields[b"e"]) for _, fields in records]


class BusPublisher:
    """The store's commit hook: hands each write's entries to a thread that publishes them,
    keeping what Redis refused in a backlog retried with a growing pause."""

    def __init__(self, bus: RedisBus) -> None:
        self.bus = bus
        self.backlog: list[LogEntry] = []
        self.published_upto = 0
        self._queued_upto = 0
        self._failing = False
        self._failed_logged = float("-inf")
        self._cond = threading.Condition()
        self._stop = False
        self._stopping = threading.Event()
        self.scrubber = StreamScrubber(bus.client)  # a deleted user's id out of the stream
        self._thread = threading.Thread(target=self._run, name="bus-publisher", daemon=True)
        self._thread.start()

    def __call__(self, entries: list[LogEntry]) -> None:
        if not entries:
            return
        top = max(e.seq for e in entries)
        with self._cond:
            self.backlog.extend(entries)
            if len(self.backlog) > BACKLOG_LIMIT:
                del self.backlog[: len(self.backlog) - BACKLOG_LIMIT]
            self._queued_upto = max(self._queued_upto, top)
            self._cond.notify_all()
            # followers see it before the writer answers, as a rule; while the bus is slow or
            # stalled, no commit waits until it answers again
            published = lambda: self.published_upto >= top  # noqa: E731
            if not self._failing and not self._cond.wait_for(published, PUBLISH_WAIT_S):
                self._failing = True

    def _run(self) -> None:
        pause = RETRY_S
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stop or bool(self.backlog))
                if self._stop and not self.backlog:
                    return
                batch = self.backlog[:PAGE]
            try:
                self.bus.publish(batch)  # outside the lock: commits never wait on Redis here
            except redis.RedisError as exc:
                self._failed(exc)
                if self._stopping.wait(pause):  # commits do not wake it: a pause, then a try
                    return
                pause = min(pause * 2, RETRY_MAX_S)
                continue
            pause = RETRY_S
            for entry in batch:
                if entry.kind == DELETE_USER and entry.payload.get("id"):
                    self.scrubber.add(str(entry.payload["id"]))
            top = max(e.seq for e in batch)
            with self._cond:
                self.backlog = [e for e in self.backlog if e.seq > top]
                self.published_upto = max(self.published_upto, top)
                if self._failing:
                    logger.info("bus %s reachable again", self.bus.url)
                self._failing = False
                self._cond.notify_all()

    def _failed(self, exc: Exception) -> None:
        with self._cond:
            self._failing = True
            self._cond.notify_all()  # a commit waiting for its publication stops waiting
            now = time.monotonic()
            if now - self._failed_logged > 60:
                self._failed_logged = now
                logger.warning(
                    "bus %s unreachable (%s): %d entries wait", self.bus.url, exc, len(self.backlog)
                )

    def flush(self, timeout_s: float) -> bool:
        """Whether everything queued is published within ``timeout_s``."""
        with self._cond:
            return self._cond.wait_for(lambda: not self.backlog, timeout_s)

    def close(self) -> None:
        """Stop the thread, then publish what still waits (one try)."""
        self.flush(0.5 if not self._failing else 0.0)
        self._stopping.set()
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._thread.join(timeout=2 * TIMEOUT_S + 1)
        self.scrubber.close()
        with self._cond:
            waiting = list(self.backlog)
        try:
            for start in range(0, len(waiting), PAGE):
                self.bus.publish(waiting[start : start + PAGE])
        except redis.RedisError as exc:
            logger.warning(
                "bus %s: %d entries left unpublished (%s)", self.bus.url, len(waiting), exc
            )
            return
        with self._cond:
            self.backlog = [
                e for e in self.backlog if e.seq > max((e.seq for e in waiting), default=0)
            ]


class BusFeed:
    """The change log a follower reads: what a thread brought from the bus, the store for
    anything it lacks. Reads never wait on Redis."""

    def __init__(self, store: Store, bus: RedisBus) -> None:
        self.store = store
        self.bus = bus
        self._lock = threading.Lock()
        self._pending: dict[int, LogEntry] = {}
        self._down_logged = float("-inf")
        self._store_high = self._polled = self._offered = 0
        self.bus_up = True
        self.from_bus = self.from_store = 0  # entries served by each, for the stats
        self._after_id = "0-0"
        with contextlib.suppress(redis.RedisError):  # taken before the caller's cut
            self._after_id = bus.tail_id()
        with contextlib.suppress(StoreUnavailable):
            self._store_high = store.high_water()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="bus-follower", daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        """Read the stream as it grows; ask the store's mark once a second (often while the
        bus fails); after a failure, pause (growing) before the next try."""
        store_checked, pause, retry_at = 0.0, RETRY_S, 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= retry_at:
                try:
                    after_id, entries = self.bus.wait_read(self._after_id)
                    self._took(after_id, entries)
                    self.bus_up, pause = True, RETRY_S
                except redis.RedisError as exc:
                    self._down(exc)
                    retry_at, pause = time.monotonic() + pause, min(pause * 2, RETRY_MAX_S)
            now = time.monotonic()
            every = STORE_CHECK_S if self.bus_up else STORE_CHECK_DOWN_S
            if now - store_checked >= every:
                store_checked = now
                with contextlib.suppress(StoreUnavailable):  # serve what is known
                    self._store_high = max(self._store_high, self.store.high_water())
            if not self.bus_up:
                self._stop.wait(STORE_CHECK_DOWN_S)

    def _took(self, after_id: str, entries: list[LogEntry]) -> None:
        with self._lock:
            self._after_id = after_id
            self._pending.update((e.seq, e) for e in entries)
            if entries:
                self._polled = max(self._polled, max(e.seq for e in entries))

    def _down(self, exc: Exception) -> None:
        self.bus_up = False
        now = time.monotonic()
        if now - self._down_logged > 60:
            self._down_logged = now
            logger.warning("bus %s unreachable (%s): following the store", self.bus.url, exc)

    def offer(self, entries: list[LogEntry]) -> None:
        """The entries this process just committed (a commit hook): followed without a read."""
        with self._lock:
            self._pending.update((e.seq, e) for e in entries)
            self._offered = max(self._offered, entries[-1].seq)

    @property
    def bus_high_water(self) -> int:
        """The newest entry read from the stream."""
        return self._polled

    def known_high_water(self) -> int:
        """The newest entry known here: this process's writes, the stream, the store's mark."""
        return max(self._offered, self._polled, self._store_high)

    def high_water(self) -> int:
        """The newest entry known to be committed, from memory (see :meth:`_follow`)."""
        return self.known_high_water()

    def wait_for(self, seq: int, timeout_s: float) -> bool:
        """Whether this follower learns of entry ``seq`` within ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while self.known_high_water() < seq:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.001)
        return True

    def entries(self, after: int, limit: int = PAGE) -> list[LogEntry]:
        """Entries after ``after`` in log order: from what the stream (or this process) gave
        while it has the next one, else from the store."""
        with self._lock:
            for seq in [s for s in self._pending if s <= after]:
                del self._pending[seq]
            out: list[LogEntry] = []
            while len(out) < limit and (entry := self._pending.pop(after + 1, None)):
                out.append(entry)
                after += 1
            if out:
                self.from_bus += len(out)
                return out
        found = self.store.entries(after, limit)
        self.from_store += len(found)
        return found

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=BLOCK_S + TIMEOUT_S + 1)
