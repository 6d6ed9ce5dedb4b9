"""A consumer group on a Redis stream of events, into a store or a server.

Each stream entry holds one event in a field ``event`` (JSON shaped as in ``POST /v1/events``).
At least once: entries are acknowledged only after the batch they are in is stored, and a
consumer first reads again what it was handed and never acknowledged (its pending entries),
so a consumer killed mid-batch loses nothing when it (or one with its name) starts again.
Exactly once in effect: an event without an ``event_id`` is given ``<stream>:<entry id>``, so a
redelivered entry is a duplicate, not a second event. An entry that cannot be an event (not
JSON, a bad field, a deleted user's) is set aside in ``<stream>:dead`` with its reason and
acknowledged; nothing else stops the stream.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from pulserec.core.schemas import EventIn
from pulserec.data.import_report import ImportReport
from pulserec.data.importers import Sink, shape_event
from pulserec.stream.source import StreamSource

logger = logging.getLogger(__name__)
BATCH = 500
BLOCK_MS = 500
CLAIM_IDLE_MS = 60_000  # another consumer's entries unacknowledged this long are taken over


@dataclass
class ConsumerStats:
    """What a consumer did since it started."""

    stored: int = 0
    duplicates: int = 0
    dead: int = 0
    batches: int = 0
    started: float = field(default_factory=time.monotonic)

    def rate(self) -> float:
        """Events stored per second since the start."""
        return self.stored / max(1e-9, time.monotonic() - self.started)


class _Collecting(ImportReport):
    """A report that also keeps which rows the sink refused and why."""

    def __init__(self) -> None:
        super().__init__(Path("stream"), "events")
        self.refused: dict[int, str] = {}

    def reject(self, number: int, reason: str) -> None:
        super().reject(number, reason)
        self.refused[number] = reason


class StreamConsumer:
    """Reads ``source`` with a Redis client and stores its events through ``sink``."""

    def __init__(self, redis: Any, source: StreamSource, sink: Sink, batch: int = BATCH) -> None:
        self.redis, self.source, self.sink, self.batch = redis, source, sink, batch
        self.stats = ConsumerStats()
        self._pending_done = False

    def ensure_group(self) -> None:
        """Create the group (from the stream's first entry, the stream too) unless it exists."""
        try:
            self.redis.xgroup_create(self.source.stream, self.source.group, id="0", mkstream=True)
        except Exception as error:  # redis.ResponseError BUSYGROUP: it exists
            if "BUSYGROUP" not in str(error):
                raise

    def lag(self) -> int | None:
        """Entries of the stream not yet delivered to the group (Redis 7's XINFO GROUPS)."""
        for group in self.redis.xinfo_groups(self.source.stream):
            name = group.get("name")
            if name in (self.source.group, self.source.group.encode()):
                lag = group.get("lag")
                return int(lag) if lag is not None else None
        return None

    def step(self) -> int:
        """Read one batch (this consumer's pending entries first, then entries idle too long
        at another consumer, then new ones), store it, acknowledge it; the entries handled."""
        if not self._pending_done:
            entries = self._read("0")
            if not entries:
                self._pending_done = True
        else:
            entries = self._claimed() or self._read(">")
        if entries:
            self._handle(entries)
        return len(entries)

    def _read(self, start: str) -> list[tuple[bytes, dict[bytes, bytes]]]:
        source = self.source
        block = None if start == "0" else BLOCK_MS
        found = self.redis.xreadgroup(
            source.group, source.consumer, {source.stream: start}, count=self.batch, block=block
        )
        return [(i, f) for _, entries in found or [] for i, f in entries if f is not None]

    def _claimed(self) -> list[tuple[bytes, dict[bytes, bytes]]]:
        source = self.source
        answer = self.redis.xautoclaim(
            source.stream, source.group, source.consumer, CLAIM_IDLE_MS, "0-0", count=self.batch
        )
        return [(i, f) for i, f in answer[1] if f is not None]

    def _handle(self, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
        rows: list[tuple[int, EventIn]] = []
        dead: list[tuple[bytes, bytes, str]] = []
        for number, (entry_id, fields) in enumerate(entries):
            raw = fields.get(b"event", b"")
            try:
                event = self._event(entry_id, raw)
            except ValueError as error:
                dead.append((entry_id, raw, str(error)))
                continue
            rows.append((number, event))
        report = _Collecting()
        self.sink.store("events", list(rows), report)
        dead += [
            (entries[n][0], entries[n][1].get(b"event", b""), r) for n, r in report.refused.items()
        ]
        pipe = self.redis.pipeline(transaction=True)
        for entry_id, raw, reason in dead:
            pipe.xadd(self.source.dead_letters, {"event": raw, "reason": reason, "id": entry_id})
        pipe.xack(self.source.stream, self.source.group, *[i for i, _ in entries])
        pipe.execute()
        self.stats.stored += report.stored
        self.stats.duplicates += report.duplicates
        self.stats.dead += len(dead)
        self.stats.batches += 1

    def _event(self, entry_id: bytes, raw: bytes) -> EventIn:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ValueError("the field 'event' is not JSON") from None
        if not isinstance(data, dict):
            raise ValueError("the field 'event' is not a JSON object")
        data.setdefault("event_id", f"{self.source.stream}:{entry_id.decode()}")
        try:
            return EventIn.model_validate(shape_event(data))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "event"
            raise ValueError(f"{where}: {first['msg']}") from None

    def run(self, stop: threading.Event, seconds: float | None = None) -> ConsumerStats:
        """Consume until ``stop`` is set (the batch in hand is finished and acknowledged) or
        ``seconds`` have passed."""
        self.ensure_group()
        deadline = time.monotonic() + seconds if seconds is not None else None
        while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
            self.step()
        return self.stats
