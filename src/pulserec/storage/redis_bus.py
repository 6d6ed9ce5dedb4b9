"""The change log on Redis Streams (``--bus redis://host:port/db``): the fast path between
machines; the store stays the source of truth.

- **Publishing** (:class:`BusPublisher`, the store's commit hook): after a write commits, its
  entries (an event batch with its events) are added to the stream ``pulserec:log`` and the
  bus's high-water key is raised to their number, in one server-side script. If Redis cannot
  be reached the entries wait in a backlog that a thread retries; the write is committed
  either way, so nothing acknowledged depends on Redis.
- **Following** (:class:`BusFeed`, what a replica's engine reads instead of the store's log):
  ``high_water`` is the bus's key (one ``GET``), at least the store's (asked once a second, so
  a write whose publication never came is still seen, and on every call while the bus cannot
  answer); ``entries`` come from the stream in log
  order, and whatever the stream lacks (a publication late or lost, Redis restarted empty or
  down) is read from the store. Writers of several hosts publish in their own order, so
  stream order is not log order: entries wait in ``pending`` until the ones before arrive.
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
from pulserec.storage.changelog import BusUnavailable, LogEntry

logger = logging.getLogger(__name__)
STREAM, HIGH = "pulserec:log", "pulserec:log:high"
TRAINERS = "pulserec:trainers"  # the consumer group of `pulserec trainer --bus`
MAXLEN = 1_000_000  # stream entries kept (approximately); older ones are read from the store
RETRY_S = 0.5  # how often a backlog is retried, and how long a failure skips the bus
STORE_CHECK_S = 1.0  # how often a follower asks the store's own high-water mark
BACKLOG_LIMIT = 100_000  # unpublished entries kept; beyond, followers read them from the store
TIMEOUT_S = 1.0
PAGE = 1000

# KEYS: stream, high-water key. ARGV: maxlen, top seq, encoded entries...
_PUBLISH = """
for i = 3, #ARGV do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[i])
end
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

    def publish(self, entries: Sequence[LogEntry]) -> None:
        """Add ``entries`` to the stream and raise the high-water key (raises RedisError)."""
        if entries:
            top = max(e.seq for e in entries)
            self._publish(keys=[STREAM, HIGH], args=[MAXLEN, top, *map(encode, entries)])

    def high_water(self) -> int | None:
        """The highest entry published (None: the key is gone, e.g. Redis restarted empty)."""
        value: Any = self.client.get(HIGH)
        return int(value) if value is not None else None

    def tail_id(self) -> str:
        """The stream id of the newest entry ("0-0" when empty)."""
        newest: Any = self.client.xrevrange(STREAM, count=1)
        return str(newest[0][0].decode()) if newest else "0-0"

    def read(self, after_id: str, count: int = PAGE) -> tuple[str, list[LogEntry]]:
        """Entries published after stream id ``after_id``, and the id of the last one read."""
        records: Any = self.client.xrange(STREAM, min=f"({after_id}", count=count)
        return _read_records(after_id, records)

    def poll(self, after_id: str) -> tuple[int | None, str, list[LogEntry]]:
        """The high-water key and the entries after ``after_id``, in one round trip."""
        pipeline = self.client.pipeline(transaction=False)
        pipeline.get(HIGH)
        pipeline.xrange(STREAM, min=f"({after_id}", count=PAGE)
        value, records = pipeline.execute()
        last_id, entries = _read_records(after_id, records)
        return (int(value) if value is not None else None), last_id, entries

    def close(self) -> None:
        self.client.close()


def _read_records(after_id: str, records: Any) -> tuple[str, list[LogEntry]]:
    if not records:
        return after_id, []
    return str(records[-1][0].decode()), [decode(fields[b"e"]) for _, fields in records]


class BusPublisher:
    """The store's commit hook: publishes each write's entries, keeping what Redis refused in
    a backlog retried every ``RETRY_S`` (by the next write or by a thread)."""

    def __init__(self, bus: RedisBus) -> None:
        self.bus = bus
        self.backlog: list[LogEntry] = []
        self._lock = threading.Lock()
        self._failed_at = float("-inf")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._retry, name="bus-publisher", daemon=True)
        self._thread.start()

    def __call__(self, entries: list[LogEntry]) -> None:
        with self._lock:
            self.backlog.extend(entries)
            if len(self.backlog) > BACKLOG_LIMIT:
                del self.backlog[: len(self.backlog) - BACKLOG_LIMIT]
            if time.monotonic() - self._failed_at >= RETRY_S:
                self._flush()

    def _flush(self) -> None:
        """Publish the backlog, ``PAGE`` entries a script call (a long outage's backlog must
        not become one huge call that blocks Redis)."""
        try:
            while self.backlog:
                self.bus.publish(self.backlog[:PAGE])
                del self.backlog[:PAGE]
        except redis.RedisError as exc:
            if self._failed_at == float("-inf") or time.monotonic() - self._failed_at > 60:
                waiting = len(self.backlog)
                logger.warning(
                    "bus %s unreachable (%s): %d entries wait", self.bus.url, exc, waiting
                )
            self._failed_at = time.monotonic()
            return
        if self._failed_at != float("-inf"):
            logger.info("bus %s reachable again", self.bus.url)
        self._failed_at = float("-inf")

    def _retry(self) -> None:
        while not self._stop.wait(RETRY_S):
            with self._lock:
                if self.backlog:
                    self._flush()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        with self._lock:
            if self.backlog:
                self._flush()


class BusFeed:
    """The change log a follower reads: the bus first, the store for anything it lacks."""

    def __init__(self, store: Store, bus: RedisBus) -> None:
        self.store = store
        self.bus = bus
        self._lock = threading.Lock()
        self._pending: dict[int, LogEntry] = {}
        self._bus_down_until = 0.0
        self._down_logged = float("-inf")
        self._store_checked = 0.0
        self._store_high = self._polled = self._offered = 0
        self.from_bus = self.from_store = 0  # entries served by each, for the stats
        self._after_id = self._call(bus.tail_id) or "0-0"  # taken before the caller's cut

    def _call(self, request: Any) -> Any:
        """``request()`` unless the bus failed in the last ``RETRY_S``; None when it fails."""
        if time.monotonic() < self._bus_down_until:
            return None
        try:
            return request()
        except redis.RedisError as exc:
            now = time.monotonic()
            if now - self._down_logged > 60:
                self._down_logged = now
                logger.warning("bus %s unreachable (%s): following the store", self.bus.url, exc)
            self._bus_down_until = now + RETRY_S
            return None

    def offer(self, entries: list[LogEntry]) -> None:
        """The entries this process just committed (a commit hook): followed without a read."""
        with self._lock:
            self._pending.update((e.seq, e) for e in entries)
            self._offered = max(self._offered, entries[-1].seq)

    def known_high_water(self) -> int:
        """The newest entry known here without asking anyone (this process's own writes)."""
        return max(self._offered, self._polled, self._store_high)

    def high_water(self) -> int:
        """The newest entry known to be committed: the bus's key, read in one round trip with
        the entries published since the last read; the store's when the bus cannot say (down,
        restarted empty), and once a second anyway."""
        polled = self._call(lambda: self.bus.poll(self._after_id))
        if polled is not None:
            published, last_id, entries = polled
            with self._lock:
                self._after_id = last_id
                self._pending.update((e.seq, e) for e in entries)
            if published is not None:
                self._polled = max(self._polled, published)
        now = time.monotonic()
        if polled is None or polled[0] is None or now - self._store_checked >= STORE_CHECK_S:
            self._store_checked = now
            with contextlib.suppress(StoreUnavailable):  # serve what is known
                self._store_high = self.store.high_water()
        return self.known_high_water()

    def entries(self, after: int, limit: int = PAGE) -> list[LogEntry]:
        """Entries after ``after`` in log order: from what the stream (or this process) gave
        while it has the next one, else from the store."""
        with self._lock:
            for seq in [s for s in self._pending if s <= after]:
                del self._pending[seq]
            if after + 1 not in self._pending:
                self._drain()
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

    def _drain(self) -> None:
        """Move what the stream holds past the last id read into ``pending``."""
        while True:
            read = self._call(lambda: self.bus.read(self._after_id))
            if read is None:
                break
            self._after_id, entries = read
            self._pending.update((e.seq, e) for e in entries)
            if len(entries) < PAGE:
                break


class TrainerFeed:
    """The trainers' consumer group (``pulserec:trainers``) on the log stream: each published
    entry is delivered to one trainer of the group, which acknowledges it once a version
    trained on it is published. A trainer that dies holding entries leaves them pending in the
    group; another one claims them after ``claim_after_s`` and trains in its place, so every
    batch of events reaches a published version even when trainers come and go."""

    def __init__(self, bus: RedisBus, consumer: str, claim_after_s: float = 60.0) -> None:
        self.bus = bus
        self.consumer = consumer
        self.claim_after_ms = int(claim_after_s * 1000)
        try:
            bus.client.xgroup_create(STREAM, TRAINERS, id="$", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def take(self, block_s: float) -> list[tuple[str, LogEntry]]:
        """Entries for this trainer: its own still pending (from before a restart), those idle
        too long with a trainer that went away, then new ones (waiting up to ``block_s``)."""
        try:
            return self._take(block_s)
        except redis.RedisError as exc:
            raise BusUnavailable(f"bus {self.bus.url} unreachable: {exc}") from exc

    def _take(self, block_s: float) -> list[tuple[str, LogEntry]]:
        client, out = self.bus.client, []
        mine: Any = client.xreadgroup(TRAINERS, self.consumer, {STREAM: "0"}, count=PAGE)
        out += _group_records(mine)
        claimed: Any = client.xautoclaim(
            STREAM, TRAINERS, self.consumer, self.claim_after_ms, "0-0", count=PAGE
        )
        out += [(rid.decode(), decode(f[b"e"])) for rid, f in claimed[1] if f]
        if not out:
            fresh: Any = client.xreadgroup(
                TRAINERS, self.consumer, {STREAM: ">"}, count=PAGE, block=int(block_s * 1000)
            )
            out += _group_records(fresh)
        return list(dict(out).items())

    def ack(self, ids: Sequence[str]) -> None:
        if ids:
            self.bus.client.xack(STREAM, TRAINERS, *ids)


def _group_records(reply: Any) -> list[tuple[str, LogEntry]]:
    records = reply[0][1] if reply else []
    return [(rid.decode(), decode(fields[b"e"])) for rid, fields in records if fields]
