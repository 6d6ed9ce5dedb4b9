"""Maximal marginal relevance: trade a little relevance for less repetitive lists.

``diversity`` in [0, 1]: 0 keeps the relevance order, 1 picks each next item as far as possible
from those already picked. Relevance is min-max scaled within the pool so that the trade-off
means the same for every source's score range.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import numpy.typing as npt

from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.models.base import Candidates, Float32s, Int32s, Query
from pulserec.models.persistable import Inputs, Model, State, persistable, required

Floats = npt.NDArray[np.float32]


def mmr(items: Int32s, scores: Floats, vectors: Floats, k: int, diversity: float) -> Int32s:
    """Re-order the best-first pool ``items`` and keep ``k``; ``vectors`` are unit rows."""
    if not 0.0 <= diversity <= 1.0:
        raise ValueError("diversity must be in [0, 1]")
    k = min(k, items.shape[0])
    if diversity == 0.0 or k <= 1:
        return items[:k]
    span = float(scores.max() - scores.min()) or 1.0
    relevance = (scores - scores.min()) / span
    pool = vectors[items]  # (m, C)
    similarity = pool @ pool.T  # (m, m)
    chosen = [0]
    closest = similarity[0].copy()
    for _ in range(k - 1):
        gain = (1 - diversity) * relevance - diversity * closest
        gain[chosen] = -np.inf
        best = int(np.argmax(gain))
        chosen.append(best)
        np.maximum(closest, similarity[best], out=closest)
    picked: Int32s = items[np.array(chosen)]
    return picked


@persistable("mmr")
class Diversified:
    """Any retriever, its lists re-ordered by MMR over item text vectors."""

    def __init__(
        self,
        base: Model,
        vectors: ItemVectors,
        diversity: float = 0.3,
        pool: int = 50,
        k: int = 10,
    ) -> None:
        self.base, self.vectors, self.diversity, self.pool, self.k = (
            base,
            vectors,
            diversity,
            pool,
            k,
        )
        self.name = f"{base.name}+mmr"

    def fit(self, data: Interactions) -> Self:
        self.base.fit(data)
        self.text_, _ = self.vectors.aligned(data.items)
        return self

    def update(self, data: Interactions) -> None:
        self.base.update(data)
        self.text_, _ = self.vectors.aligned(data.items)

    def score(self, users: Int32s) -> Float32s:
        """The base scores, with the MMR top ``k`` lifted above everything else in order."""
        scores = np.array(self.base.score(users), dtype=np.float32)
        for row in scores:
            finite = np.flatnonzero(np.isfinite(row))
            if finite.size == 0:
                continue
            pool = finite[np.argsort(-row[finite], kind="stable")[: self.pool]].astype(np.int32)
            picked = mmr(pool, row[pool], self.text_, self.k, self.diversity)
            row[picked] = row.max() + 1.0 + np.arange(len(picked), 0, -1, dtype=np.float32)
        return scores

    def retrieve(self, query: Query, k: int) -> Candidates:
        found = self.base.retrieve(query, max(k, self.pool))
        picked = mmr(found.items, found.scores, self.text_, k, self.diversity)
        order = {int(item): rank for rank, item in enumerate(found.items)}
        return Candidates(picked, found.scores[[order[int(i)] for i in picked]], self.name)

    def init_params(self) -> dict[str, Any]:
        """The constructor's keyword arguments but ``base`` and ``vectors``."""
        return {"diversity": self.diversity, "pool": self.pool, "k": self.k}

    def state(self) -> State:
        """Nothing of its own: the text rows are rebuilt from the vectors on load."""
        return {}

    def children(self) -> dict[str, Model]:
        return {"base": self.base}

    def inputs(self) -> Inputs:
        return Inputs(self.vectors)

    @classmethod
    def from_state(
        cls,
        params: dict[str, Any],
        state: State,
        children: dict[str, Model],
        *,
        vectors: ItemVectors | None = None,
        users: IdMap | None = None,
        items: IdMap | None = None,
    ) -> Self:
        """The wrapper around ``children["base"]`` (already restored), text aligned to
        ``items``."""
        model = cls(children["base"], required("vectors", vectors, cls), **params)
        model.text_, _ = model.vectors.aligned(required("items", items, cls))
        return model
