"""A user's stated preferences read in the catalog's own vocabulary, as the chat reads a
request: named categories, tags and attribute values are liked, those after "no", "not",
"hate"... up to the next punctuation are ruled out ("I love jazz; please no metal", "no explicit
lyrics please, k-pop and latin"). The engine asks this reader through
:data:`pulserec.engine.serving.tastes.TastesReader`; the composition root builds it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from pulserec.llm.catalog_reads import CatalogReads
from pulserec.llm.chat_mask import excluded, wanted
from pulserec.llm.constraints import ConstraintExtractor, Constraints
from pulserec.llm.engine_vocabulary import catalog_vocabulary

Bools = npt.NDArray[np.bool_]
KEPT_READINGS = 1024  # distinct texts whose readings are kept per vocabulary
Reading = tuple[Bools | None, Bools]  # liked (None: nothing named), ruled out


class StatedTastesReader:
    """Preferences text -> (liked, ruled out) masks over the live catalog. The vocabulary is
    rebuilt when the catalog changed, at most every ``refresh_s`` seconds, and each text's
    reading kept with it; the masks are computed on every call, so an item posted a moment
    ago in a ruled-out category is already left out."""

    def __init__(self, catalog: CatalogReads, refresh_s: float = 2.0) -> None:
        self.catalog = catalog
        self.refresh_s = refresh_s
        self._lock = threading.Lock()
        self._extractor: ConstraintExtractor | None = None
        self._version = -1
        self._built_at = float("-inf")
        self._read: OrderedDict[str, Constraints] = OrderedDict()

    def _current(self) -> ConstraintExtractor:
        catalog = self.catalog
        due = time.monotonic() - self._built_at >= self.refresh_s
        if self._extractor is None or (self._version != catalog.version and due):
            self._extractor = ConstraintExtractor(catalog_vocabulary(catalog))
            self._version, self._built_at = catalog.version, time.monotonic()
            self._read.clear()
        return self._extractor

    def __call__(self, text: str) -> Reading:
        with self._lock:
            extractor = self._current()
            constraints = self._read.get(text)
            if constraints is None:
                constraints = self._read[text] = extractor.extract(text)
                if len(self._read) > KEPT_READINGS:
                    self._read.popitem(last=False)
            else:
                self._read.move_to_end(text)
        # a wanted yes/no attribute ("clean versions only": explicit false) is a requirement:
        # the other value is ruled out; named categories, tags and values are liked
        flags = [(n, v) for n, v in constraints.attributes if v.lower() in ("true", "false")]
        liking = replace(
            constraints, attributes=tuple(a for a in constraints.attributes if a not in flags)
        )
        conditions = wanted(self.catalog, liking)
        liked = np.logical_or.reduce([c.mask for c in conditions]) if conditions else None
        ruled_out = ~excluded(self.catalog, constraints)
        for name, value in flags:
            ruled_out |= self.catalog.attribute_mask(
                name, "false" if value.lower() == "true" else "true"
            )
        return liked, ruled_out
