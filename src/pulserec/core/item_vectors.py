"""Text vectors of catalog items, by external id, aligned to a model's IdMap on demand."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pulserec.core.ids import IdMap


@dataclass(frozen=True)
class ItemVectors:
    """Unit vectors (one row per id); items without text simply have no row."""

    ids: list[str]
    vectors: npt.NDArray[np.float32]

    def __post_init__(self) -> None:
        if len(self.ids) != self.vectors.shape[0]:
            raise ValueError("ids and vectors must have the same length")

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def aligned(self, items: IdMap) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
        """A (len(items), dim) matrix in the map's index order and a mask of rows that have text."""
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        has = np.zeros(len(items), dtype=bool)
        rows = items.lookup(self.ids)
        known = rows >= 0
        out[rows[known]] = self.vectors[known]
        has[rows[known]] = True
        return out, has
