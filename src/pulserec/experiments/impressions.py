"""Impressions leave the request path in batches: ``record`` appends to a list (no I/O), and a
background thread writes what gathered to the store every ``FLUSH_EVERY_S`` in one
transaction (one log entry). A report flushes first, so it counts what this process served.

What a crash can lose is the last quarter second of impressions, never an event; a store that
cannot be reached keeps them queued (up to ``MAX_QUEUED``, the oldest dropped after that and
counted in ``dropped``) and they are written when it is back. A deleted user's queued
impressions are dropped (:meth:`ImpressionLog.forget`, on the ``delete_user`` log entry); one
already on its way to the store is refused there (the user's tombstone).
"""

from __future__ import annotations

import logging
import threading

from pulserec.core.types import Impression
from pulserec.storage import StoreUnavailable
from pulserec.storage.base import ExperimentStore

logger = logging.getLogger(__name__)
FLUSH_EVERY_S = 0.25
MAX_QUEUED = 200_000


class ImpressionLog:
    """A write-behind queue of impressions in front of the store."""

    def __init__(self, store: ExperimentStore, every_s: float = FLUSH_EVERY_S) -> None:
        self.store = store
        self.every_s = every_s
        self.dropped = 0
        self.written = 0
        self._queued: list[Impression] = []
        self._lock = threading.Lock()  # the queue
        self._flushing = threading.Lock()  # one writer at a time, in order
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def record(self, impression: Impression) -> None:
        """Queue one impression (a list append; the writer thread starts on the first)."""
        with self._lock:
            self._queued.append(impression)
            if len(self._queued) > MAX_QUEUED:
                del self._queued[0]
                self.dropped += 1
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None or self._closed.is_set():
                return
            self._thread = threading.Thread(
                target=self._loop, name="pulserec-impressions", daemon=True
            )
            self._thread.start()

    def _loop(self) -> None:
        while not self._closed.wait(self.every_s):
            try:
                self.flush()
            except Exception as exc:  # the batch stays queued; the writer keeps going
                logger.warning("impressions wait for the store: %s", exc)

    def flush(self) -> int:
        """Write everything queued now; returns how many were written."""
        with self._flushing:
            with self._lock:
                batch, self._queued = self._queued, []
            if not batch:
                return 0
            try:
                self.store.append_impressions(batch)
            except BaseException:
                with self._lock:  # back in front, in order
                    self._queued[:0] = batch
                raise
            self.written += len(batch)
            return len(batch)

    def forget(self, user_id: str) -> int:
        """Drop the queued impressions shown to ``user_id``; returns how many."""
        with self._lock:
            kept = [i for i in self._queued if i.user_id != user_id]
            dropped, self._queued = len(self._queued) - len(kept), kept
        return dropped

    @property
    def queued(self) -> int:
        return len(self._queued)

    def close(self) -> None:
        """Stop the writer and write what is left (when the store answers)."""
        self._closed.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.flush()
        except StoreUnavailable as exc:
            logger.warning("%d impressions not written: %s", self.queued, exc)
