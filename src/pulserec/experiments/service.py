"""The experiments of one process: definitions from the store, assignment per request, and
the impressions it served.

Definitions live in the store and travel on the change log (an ``experiment`` entry on create
and stop), so every worker and replica reloads them when the entry arrives and assigns the
same users the same way. Assignment is a dictionary-free walk over the running experiments
(usually one or two): one BLAKE2b hash for the traffic point, one more for the variant.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from pulserec.core.types import ExperimentRecord
from pulserec.experiments.definition import (
    Experiment,
    ExperimentConflict,
    Variant,
    place,
    traffic_point,
)
from pulserec.experiments.impressions import ImpressionLog
from pulserec.storage.base import ExperimentStore
from pulserec.storage.changelog import LogEntry

Placed = tuple[Experiment, Variant]


class Experiments:
    """Create, stop, list and assign; ``log`` keeps the impressions served here."""

    def __init__(self, store: ExperimentStore, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        self.log = ImpressionLog(store)
        self._lock = threading.Lock()
        self._all: dict[str, Experiment] = {}
        self._running: tuple[Experiment, ...] = ()
        self.reload()

    def reload(self) -> None:
        """Read the definitions from the store (at start and on every ``experiment`` entry)."""
        found = {r.id: Experiment.from_record(r) for r in self.store.experiments()}
        with self._lock:
            self._all = found
            self._running = tuple(e for e in found.values() if e.running)

    def on_entry(self, entry: LogEntry) -> None:
        """The updater's hook for ``experiment`` entries."""
        self.reload()

    # -- definitions ------------------------------------------------------------------------
    def create(self, definition: dict[str, Any]) -> Experiment:
        """Store and start an experiment (``definition`` already validated);
        ExperimentConflict when its id exists or its traffic is not free."""
        started = self.clock()
        asked = Experiment.from_record(ExperimentRecord(definition["id"], definition, started))

        def admit(stored: list[ExperimentRecord]) -> ExperimentRecord:
            return place(asked, stored).record()

        record = self.store.create_experiment(asked.record(), admit)
        if record is None:
            raise ExperimentConflict(f"an experiment with id {asked.id!r} exists already")
        self.reload()
        return Experiment.from_record(record)

    def stop(self, experiment_id: str) -> Experiment | None:
        """Stop it (None: unknown); stopping a stopped one changes nothing."""
        record = self.store.stop_experiment(experiment_id, self.clock())
        self.reload()
        return Experiment.from_record(record) if record is not None else None

    def get(self, experiment_id: str) -> Experiment | None:
        return self._all.get(experiment_id)

    def all(self) -> list[Experiment]:
        return list(self._all.values())

    def models(self) -> set[str]:
        """Models the running experiments name (the trainer fits them too)."""
        return {m for e in self._running for m in e.models()}

    # -- requests ---------------------------------------------------------------------------
    def assign(self, user_key: str) -> Placed | None:
        """The running experiment and variant ``user_key`` is in, or None."""
        running = self._running
        if not running:
            return None
        point = traffic_point(user_key)
        for experiment in running:
            if experiment.covers(point):
                return experiment, experiment.variant_of(user_key)
        return None

    def stats(self) -> dict[str, Any]:
        """What ``GET /v1/admin/stats`` shows: running experiments and this process's
        impression queue."""
        return {
            "running": [e.id for e in self._running],
            "impressions_written": self.log.written,
            "impressions_queued": self.log.queued,
            "impressions_dropped": self.log.dropped,
        }

    def close(self) -> None:
        self.log.close()


def running_models(store: ExperimentStore) -> set[str]:
    """Models the store's running experiments name (for a trainer in any process)."""
    return {
        m for r in store.experiments() if r.stopped_at is None
        for m in Experiment.from_record(r).models()
    }  # fmt: skip


__all__ = ["ExperimentConflict", "Experiments", "Placed", "running_models"]
