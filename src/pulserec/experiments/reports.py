"""Experiment reports of one process, built once per state of the store.

A report is a pass over the experiment's impressions and its users' events (linear, one
attribution: :mod:`~.report`). It is kept with the change log's position it was built at and
served again until the log moves (any write: an impression flushed, an event, a deletion), so
a dashboard that polls an experiment nobody is in pays one read of the log's mark; readers of
one experiment that arrive while its report is being built wait for that build instead of
starting their own, so polling costs at most one build at a time per experiment. The last
``KEPT`` experiments' reports are kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

from pulserec.experiments import report
from pulserec.experiments.definition import Experiment
from pulserec.experiments.impressions import ImpressionLog
from pulserec.storage.base import ExperimentStore
from pulserec.storage.changelog import ChangeLog

KEPT = 32


class ReportStore(ExperimentStore, ChangeLog, Protocol):
    """What a report reads: the impressions and events, and the log's mark."""


@dataclass(frozen=True, slots=True)
class Built:
    mark: tuple[int, bool]  # the log's position and whether the experiment was running
    report: dict[str, Any]


class Reports:
    """Reports built from ``store`` after flushing ``log`` (what this process served)."""

    def __init__(self, store: ReportStore, log: ImpressionLog) -> None:
        self.store = store
        self.log = log
        self.builds = 0
        self._built: OrderedDict[str, Built] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def of(self, experiment: Experiment) -> dict[str, Any]:
        """The report of ``experiment`` as the store holds it now."""
        with self._lock:
            building = self._locks.setdefault(experiment.id, threading.Lock())
        with building:
            self.log.flush()
            mark = (self.store.high_water(), experiment.running)
            with self._lock:
                built = self._built.get(experiment.id)
            if built is None or built.mark != mark:
                since = experiment.started_at - report.PRE_PERIOD_S
                impressions = self.store.impressions(experiment.id)
                events = self.store.experiment_events(experiment.id, since)
                built = Built(mark, report.build(experiment, impressions, events))
                self.builds += 1
            with self._lock:
                self._built[experiment.id] = built
                self._built.move_to_end(experiment.id)
                while len(self._built) > KEPT:
                    gone, _ = self._built.popitem(last=False)
                    self._locks.pop(gone, None)
            return built.report
