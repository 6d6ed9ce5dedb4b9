"""Every worker serves the newest published model version, wherever it was trained.

A trainer in any process publishes a bundle and moves the artifacts' ``CURRENT`` pointer;
each worker polls that pointer (one small file read a second), loads a new version off the
request path, translates its id maps to the worker's own and swaps it in after folding in the
events that arrived since the training's cut (:func:`pulserec.engine.lifecycle.training.swap_in`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from pulserec.artifacts import ArtifactStore
from pulserec.engine.facade import Engine
from pulserec.engine.lifecycle.bundle import ModelBundle
from pulserec.engine.lifecycle.training import swap_in

logger = logging.getLogger(__name__)
POLL_S = 1.0


class BundleWatcher:
    """Polls ``artifacts`` and hot-swaps each new version into ``engine``."""

    def __init__(
        self,
        engine: Engine,
        artifacts: ArtifactStore,
        every_s: float = POLL_S,
        busy: Callable[[], bool] = lambda: False,
    ) -> None:
        self.engine = engine
        self.artifacts = artifacts
        self.every_s = every_s
        self.busy = busy  # True while this process's own trainer runs (it swaps its own)
        self._stop = threading.Event()

    def check(self) -> bool:
        """Swap in the published version if this engine does not serve it yet."""
        if self.busy():
            return False
        latest = self.artifacts.latest()
        if latest is None or latest == self.engine.model_version:
            return False
        loaded = self.artifacts.load_bundle(latest)
        bundle = ModelBundle.from_artifact(loaded, own_users=True)
        with self.engine.write_lock:  # the live map must not grow while it is translated
            aligned = bundle.aligned(loaded.items, self.engine.state.items)
        cut = int(loaded.meta.get("cut_event_seq", 0))
        replayed = swap_in(self.engine, aligned, cut, (loaded.users, loaded.items))
        logger.info("now serving %s (published elsewhere; %d events folded in)", latest, replayed)
        return True

    def start(self) -> None:
        """Poll in a daemon thread until :meth:`stop`."""

        def loop() -> None:
            while not self._stop.wait(self.every_s):
                try:
                    self.check()
                except Exception:  # a half-written or broken bundle: keep serving the old one
                    logger.exception("could not load the published model version")

        threading.Thread(target=loop, name="pulserec-bundle-watch", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
