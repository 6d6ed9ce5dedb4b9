"""``redis://host:port/db?stream=NAME&group=NAME``: where ``pulserec consume`` reads."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class StreamSource:
    """A Redis stream and the consumer group pulserec reads it as."""

    url: str  # the server, without the query
    stream: str
    group: str
    consumer: str

    @property
    def dead_letters(self) -> str:
        """Where a message that cannot be an event is set aside, with its reason."""
        return f"{self.stream}:dead"


def parse_source(url: str, consumer: str | None = None) -> StreamSource:
    """The source of ``url``; ValueError (one line) for a URL that is not one."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ValueError(f"{url!r} is not redis://host:port/db?stream=NAME&group=NAME")
    query = parse_qs(parts.query)
    stream, group = query.get("stream", [""])[0], query.get("group", [""])[0]
    if not stream or not group:
        raise ValueError(f"{url!r} needs ?stream=NAME&group=NAME")
    server = parts._replace(query="", fragment="").geturl()
    return StreamSource(server, stream, group, consumer or f"pulserec-{socket.gethostname()}")
