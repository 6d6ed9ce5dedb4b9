"""Items newer than the models, in a history: each stands in as its nearest known item by text.

A like on a track posted after the last training names an item no model has a row for; left
out, the user's next list would not move. Each such item (the latest few) is replaced, at its
place in the history, by the item nearest to it by text that the models know, so the event
shapes the next answer at once; the next training learns the item itself.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pulserec.engine.lifecycle.bundle import ModelBundle
from pulserec.engine.state.catalog import Catalog

Int32s = npt.NDArray[np.int32]
MAX_STAND_INS = 5  # the latest unknown items of a history that get one
SEARCH_DEPTH = 32  # neighbours read to find one the models know


def model_history(bundle: ModelBundle, catalog: Catalog, history: Int32s) -> Int32s:
    """``history`` (engine indices, oldest first) in the models' indices: items they know as
    themselves, the latest :data:`MAX_STAND_INS` unknown ones with text as their nearest
    known item, the rest left out."""
    mapped = bundle.model_index(history)
    unknown = np.flatnonzero(mapped < 0)[-MAX_STAND_INS:]
    if unknown.size and len(catalog.index):
        has_vector = catalog.has_vector()
        for position in unknown.tolist():
            live = int(history[position])
            if not (0 <= live < has_vector.shape[0] and has_vector[live]):
                continue
            keys, _ = catalog.index.search(
                catalog.vectors()[live][None, :].astype(np.float32), SEARCH_DEPTH, exclude=[live]
            )
            found = keys[0][keys[0] >= 0].astype(np.int32)
            known = bundle.model_index(found)
            known = known[known >= 0]
            if known.size:
                mapped[position] = known[0]
    return mapped[mapped >= 0]
