"""The change log as the writing process follows it: the entries it has just committed travel
with their events (a commit hook hands them over), so applying its own writes reads nothing
back; entries written by other processes come from the store."""

from __future__ import annotations

import threading

from pulserec.storage.base import LogStore
from pulserec.storage.changelog import LogEntry

KEEP = 4096  # own entries held until applied; older ones are read from the store instead


class LocalFeed:
    """A :class:`~pulserec.storage.changelog.ChangeLog` over ``store`` that serves this
    process's own commits from memory (register :meth:`offer` with ``store.after_commit``)."""

    def __init__(self, store: LogStore, keep: int = KEEP) -> None:
        self.store = store
        self.keep = keep
        self._lock = threading.Lock()
        self._pending: dict[int, LogEntry] = {}
        self._offered = 0
        self.from_memory = self.from_store = 0  # entries served by each, for the stats

    def offer(self, entries: list[LogEntry]) -> None:
        """The entries this process just committed (a commit hook)."""
        if not entries:
            return
        with self._lock:
            self._pending.update((e.seq, e) for e in entries)
            self._offered = max(self._offered, entries[-1].seq)
            if len(self._pending) > self.keep:  # nobody applies them: keep the newest
                for seq in sorted(self._pending)[: len(self._pending) - self.keep]:
                    del self._pending[seq]

    def high_water(self) -> int:
        return self.store.high_water()

    def known_high_water(self) -> int:
        return max(self._offered, self.store.known_high_water())

    def entries(self, after: int, limit: int = 1000) -> list[LogEntry]:
        """Entries after ``after`` in log order: this process's own while it has the next one,
        else the store's."""
        with self._lock:
            for seq in [s for s in self._pending if s <= after]:
                del self._pending[seq]
            out: list[LogEntry] = []
            while len(out) < limit and (entry := self._pending.pop(after + 1, None)):
                out.append(entry)
                after += 1
            if out:
                self.from_memory += len(out)
                return out
        found = self.store.entries(after, limit)
        self.from_store += len(found)
        return found
