"""Deleted users leave the published versions on disk in the background, retried until done.

Applying a ``delete_user`` log entry forgets the user in memory at once; taking them out of
every saved user map (:func:`pulserec.privacy.audit.scrub_user`) writes files, and a file
write can fail (a read-only mount, a full disk). That failure must never stop the log from
being applied: the scrub is tried at once and, when it fails, queued here and retried with a
growing pause; what waits and the last error are reported (``/v1/admin/stats``, ``artifact_scrub``).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from pulserec.artifacts import ArtifactStore

logger = logging.getLogger(__name__)
FIRST_RETRY_S = 0.5
LAST_RETRY_S = 60.0


class ArtifactScrubber:
    """A queue of user ids to take out of every published version, worked by one thread."""

    def __init__(self, artifacts: ArtifactStore) -> None:
        self.artifacts = artifacts
        self.scrubbed = 0
        self.last_error: str | None = None
        self._pending: dict[str, int | None] = {}  # user id -> the row they had, when known
        self._wake = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="pulserec-scrub", daemon=True)
        self._thread.start()

    def add(self, user_id: str, row: int | None = None) -> None:
        """Scrub ``user_id`` now; when that fails, queue it for the thread. Never raises: the
        caller is applying the log."""
        with self._wake:
            self._pending[user_id] = row
        if self._scrub({user_id: row}):
            with self._wake:
                self._wake.notify()

    def pending(self) -> int:
        with self._wake:
            return len(self._pending)

    def stats(self) -> dict[str, Any]:
        with self._wake:
            return {
                "pending": len(self._pending),
                "scrubbed": self.scrubbed,
                "last_error": self.last_error,
            }

    def wait_idle(self, timeout_s: float) -> bool:
        """Whether the queue empties within ``timeout_s`` (for tests and shutdown)."""
        deadline = time.monotonic() + timeout_s
        with self._wake:
            while self._pending and time.monotonic() < deadline:
                self._wake.wait(0.05)
            return not self._pending

    def close(self) -> None:
        with self._wake:
            self._stop = True
            self._wake.notify()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        pause = FIRST_RETRY_S
        while True:
            with self._wake:
                while not self._pending and not self._stop:
                    self._wake.wait()
                if self._stop:
                    return
                batch = dict(self._pending)
            failed = self._scrub(batch)
            with self._wake:
                self._wake.notify_all()
                if not failed:
                    pause = FIRST_RETRY_S
                    continue
                self._wake.wait(pause)  # a close or a new id wakes it early
                pause = min(pause * 2, LAST_RETRY_S)

    def _scrub(self, batch: dict[str, int | None]) -> bool:
        """Scrub each id of ``batch``; True when one failed (it stays queued)."""
        from pulserec.privacy.audit import scrub_user

        failed = False
        for user_id, row in batch.items():
            try:
                scrub_user(self.artifacts, user_id, row)
            except Exception as error:  # reported and retried; the log moves on
                failed = True
                with self._wake:
                    self.last_error = f"{type(error).__name__}: {error}"
                logger.warning("scrubbing deleted user from published versions failed: %s", error)
                continue
            with self._wake:
                if self._pending.get(user_id, row) == row:
                    self._pending.pop(user_id, None)
                self.scrubbed += 1
        return failed
