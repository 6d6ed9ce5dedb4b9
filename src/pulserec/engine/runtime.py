"""A handle on one serving process's parts, built by :func:`pulserec.app.runtime.assemble`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pulserec.engine.facade import Engine
from pulserec.engine.lifecycle.scrubber import ArtifactScrubber
from pulserec.engine.lifecycle.training import Trainer
from pulserec.experiments.service import Experiments
from pulserec.storage.changelog import LogEntry
from pulserec.storage.ingest import Ingestor

if TYPE_CHECKING:
    from pulserec.engine.lifecycle.watcher import BundleWatcher

MODELS_DIR = "models"  # the published versions, under the artifacts dir


@dataclass(frozen=True)
class Runtime:
    """A handle on one serving process's parts, built by :func:`pulserec.app.runtime.assemble`:
    the engine facade, the write path (its updater follows the log), the trainer, the
    experiments, and the watcher of versions published elsewhere (when there is one)."""

    engine: Engine
    ingestor: Ingestor
    trainer: Trainer
    experiments: Experiments
    watcher: BundleWatcher | None = None
    scrubber: ArtifactScrubber | None = None

    def close(self) -> None:
        """Stop the background work that holds data (queued impressions are written)."""
        if self.watcher is not None:
            self.watcher.stop()
        self.trainer.stop()
        self.experiments.close()
        if self.scrubber is not None:
            self.scrubber.close()


def scrub_deleted(scrubber: ArtifactScrubber | None) -> Callable[[LogEntry], None]:
    """A ``delete_user`` listener: the user leaves the user maps of every published version
    on disk, in the background (:class:`~.lifecycle.scrubber.ArtifactScrubber`)."""

    def scrub(entry: LogEntry) -> None:
        if scrubber is not None and entry.payload["id"]:  # empty: hashed, long ago
            scrubber.add(str(entry.payload["id"]))

    return scrub
