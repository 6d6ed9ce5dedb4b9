"""IdMap: external string ids to dense int32 indices, growing as data arrives."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt


class IdMap:
    """A bijection between external ids and dense indices ``0..len-1``.

    Indices are assigned in order of first sight and never reused, so arrays indexed by them
    (factor matrices, counters) stay valid while the map grows. ``remove`` forgets an id and
    leaves a hole at its index; a re-added id gets a fresh index.
    """

    __slots__ = ("_ids", "_index")

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._index: dict[str, int] = {}
        self._ids: list[str | None] = []
        for external_id in ids:
            self.add(external_id)

    def __len__(self) -> int:
        """The number of indices handed out (holes included): the size arrays must have."""
        return len(self._ids)

    def __contains__(self, external_id: object) -> bool:
        return external_id in self._index

    def held(self) -> list[str]:
        """Every id the map holds now (holes left out), in index order."""
        return [i for i in self._ids if i is not None]

    def add(self, external_id: str) -> int:
        """The index of ``external_id``, assigning the next one if it is new."""
        index = self._index.get(external_id)
        if index is None:
            index = len(self._ids)
            self._index[external_id] = index
            self._ids.append(external_id)
        return index

    def add_many(self, external_ids: Iterable[str]) -> npt.NDArray[np.int32]:
        """Indices of many ids at once, assigning new ones as needed."""
        return np.fromiter((self.add(i) for i in external_ids), dtype=np.int32)

    def get(self, external_id: str) -> int | None:
        """The index of a known id, or None."""
        return self._index.get(external_id)

    def lookup(self, external_ids: Sequence[str]) -> npt.NDArray[np.int32]:
        """Indices of known ids; unknown ones map to -1."""
        index = self._index
        return np.fromiter((index.get(i, -1) for i in external_ids), dtype=np.int32)

    def id_of(self, index: int) -> str:
        """The external id at ``index``; KeyError for a hole or an index never handed out."""
        external_id = self._ids[index] if 0 <= index < len(self._ids) else None
        if external_id is None:
            raise KeyError(index)
        return external_id

    def id_of_or_none(self, index: int) -> str | None:
        """The external id at ``index``, or None for a hole or an index never handed out."""
        return self._ids[index] if 0 <= index < len(self._ids) else None

    def ids_of(self, indices: npt.ArrayLike) -> list[str]:
        """External ids for an array of indices (holes raise KeyError)."""
        return [self.id_of(int(i)) for i in np.asarray(indices).ravel()]

    def live_ids(self, indices: npt.ArrayLike) -> tuple[list[str], npt.NDArray[np.bool_]]:
        """External ids of the indices that still have one (an id removed meanwhile, e.g. by a
        concurrent delete, is left out), and the mask of those kept."""
        found = [self.id_of_or_none(i) for i in np.asarray(indices).ravel().tolist()]
        kept = np.fromiter((i is not None for i in found), dtype=bool, count=len(found))
        return [i for i in found if i is not None], kept

    def remove(self, external_id: str) -> int | None:
        """Forget an id; its index becomes a hole. Returns the freed index, or None if unknown."""
        index = self._index.pop(external_id, None)
        if index is not None:
            self._ids[index] = None
        return index
