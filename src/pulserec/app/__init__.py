"""The composition root: settings read once (:mod:`.settings`), wiring (:mod:`.runtime`)."""
