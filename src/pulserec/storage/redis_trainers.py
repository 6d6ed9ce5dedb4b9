"""The trainers' consumer group on the change-log stream of :mod:`~.redis_bus`: each published
entry reaches one ``pulserec trainer --bus`` of the group."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis

from pulserec.storage.changelog import BusUnavailable, LogEntry
from pulserec.storage.redis_bus import PAGE, RedisBus, decode
from pulserec.storage.redis_scrub import STREAM

TRAINERS = "pulserec:trainers"  # the consumer group of `pulserec trainer --bus`


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
