"""The Retriever contract and the request-side types it speaks.

``fit`` resets and learns (returns self); ``update`` folds new interactions in cheaply;
``score`` gives dense scores for a batch of known users (what offline full-ranking evaluation
needs); ``retrieve`` is a pure read for one request and never mutates state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Self

import numpy as np
import numpy.typing as npt

from pulserec.core.interactions import Interactions
from pulserec.core.topk import top_k

Int32s = npt.NDArray[np.int32]
Float32s = npt.NDArray[np.float32]
_EMPTY = np.zeros(0, dtype=np.int32)


@dataclass(frozen=True, slots=True)
class Query:
    """One request's context, built once: the user, their recent items, what to leave out, and
    optionally ``text``: stated preferences (or a search phrase) encoded into the item text
    space, which text-aware sources blend into the user's taste. ``owner``: whose history this
    is in the serving engine (-1: nobody's), which sources may key per-user caches on; it never
    changes a score."""

    user: int = -1
    history: Int32s = field(default_factory=lambda: _EMPTY)
    exclude: Int32s = field(default_factory=lambda: _EMPTY)
    text: Float32s | None = None
    owner: int = -1


@dataclass(frozen=True, slots=True)
class Candidates:
    """Items (dense indices) with scores, best first, from one source."""

    items: Int32s
    scores: Float32s
    source: str

    def __len__(self) -> int:
        return int(self.items.shape[0])


class Retriever(Protocol):
    """What every candidate source provides."""

    name: str

    def fit(self, data: Interactions) -> Self: ...
    def update(self, data: Interactions) -> None: ...
    def score(self, users: Int32s) -> Float32s: ...
    def retrieve(self, query: Query, k: int) -> Candidates: ...


def candidates_from_scores(scores: Float32s, query: Query, k: int, source: str) -> Candidates:
    """Top ``k`` of a dense score row, leaving out ``query.exclude``."""
    items, values = top_k(scores, k, query.exclude)
    return Candidates(items, values, source)
