"""Events that arrive while a training runs, replayed onto the new models before the swap."""

from __future__ import annotations

import threading

from pulserec.types import Event


class PendingEvents:
    """Records accepted events between ``start`` and ``drain`` (only while recording)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[Event] | None = None

    def start(self) -> None:
        with self._lock:
            self._events = []

    def record(self, events: list[Event]) -> None:
        with self._lock:
            if self._events is not None:
                self._events.extend(events)

    def drain(self) -> list[Event]:
        """What was recorded since ``start``; recording stops."""
        with self._lock:
            events, self._events = self._events or [], None
            return events
