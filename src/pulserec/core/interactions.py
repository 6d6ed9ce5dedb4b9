"""Interactions: events as columns of dense indices, the input every model trains on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from pulserec.core import event_types
from pulserec.core.ids import IdMap
from pulserec.core.types import Event

TYPE_CODES: dict[str, int] = event_types.CODES  # built-ins first, a deployment's after


@dataclass(frozen=True)
class Interactions:
    """Columnar events over shared ``IdMap``s; row ``n`` of every column is one event.

    Search events without an item are dropped on the way in (they carry no item signal).
    ``value`` is NaN where the event had none. The maps may be shared with (and grown by) later
    batches, so ``n_users``/``n_items`` are read from the maps, not from the columns.
    """

    users: IdMap
    items: IdMap
    user_idx: npt.NDArray[np.int32]
    item_idx: npt.NDArray[np.int32]
    type_code: npt.NDArray[np.int8]
    value: npt.NDArray[np.float32]
    timestamp: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.user_idx.shape[0])

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    @classmethod
    def from_events(
        cls, events: Iterable[Event], users: IdMap | None = None, items: IdMap | None = None
    ) -> Interactions:
        """Map events to indices, growing ``users``/``items`` (new maps when not given)."""
        users = users if users is not None else IdMap()
        items = items if items is not None else IdMap()
        kept = [e for e in events if e.item_id is not None]
        return cls(
            users=users,
            items=items,
            user_idx=users.add_many(e.user_id for e in kept),
            item_idx=items.add_many(e.item_id for e in kept if e.item_id is not None),
            type_code=np.fromiter(
                (event_types.code_of(str(e.type)) for e in kept), dtype=np.int8, count=len(kept)
            ),
            value=np.fromiter(
                (np.nan if e.value is None else e.value for e in kept),
                dtype=np.float32,
                count=len(kept),
            ),
            timestamp=np.fromiter((e.timestamp for e in kept), dtype=np.float64, count=len(kept)),
        )

    @classmethod
    def from_known_events(cls, events: Iterable[Event], users: IdMap, items: IdMap) -> Interactions:
        """Map events through ``users``/``items`` without growing them: events naming an id
        the maps do not hold (a deleted item) are left out."""
        kept = [e for e in events if e.item_id is not None]
        user_idx = users.lookup([e.user_id for e in kept])
        item_idx = items.lookup([e.item_id for e in kept if e.item_id is not None])
        known = (user_idx >= 0) & (item_idx >= 0)
        mapped = cls.from_events([], users, items)
        if not known.any():
            return mapped
        rows = np.flatnonzero(known)
        return cls(
            users=users,
            items=items,
            user_idx=user_idx[rows],
            item_idx=item_idx[rows],
            type_code=np.fromiter(
                (event_types.code_of(str(kept[r].type)) for r in rows),
                dtype=np.int8,
                count=rows.size,
            ),
            value=np.fromiter(
                (np.nan if kept[r].value is None else kept[r].value for r in rows),
                dtype=np.float32,
                count=rows.size,
            ),
            timestamp=np.fromiter(
                (kept[r].timestamp for r in rows), dtype=np.float64, count=rows.size
            ),
        )

    @classmethod
    def concat(cls, parts: list[Interactions]) -> Interactions:
        """Stack batches that share the same maps."""
        first = parts[0]
        return cls(
            users=first.users,
            items=first.items,
            user_idx=np.concatenate([p.user_idx for p in parts]),
            item_idx=np.concatenate([p.item_idx for p in parts]),
            type_code=np.concatenate([p.type_code for p in parts]),
            value=np.concatenate([p.value for p in parts]),
            timestamp=np.concatenate([p.timestamp for p in parts]),
        )

    def select(self, rows: npt.NDArray[np.bool_] | npt.NDArray[np.integer]) -> Interactions:
        """The events at ``rows`` (a boolean mask or indices), over the same maps."""
        return Interactions(
            self.users,
            self.items,
            self.user_idx[rows],
            self.item_idx[rows],
            self.type_code[rows],
            self.value[rows],
            self.timestamp[rows],
        )

    def positive_mask(self) -> npt.NDArray[np.bool_]:
        """Events that signal interest: everything but negative feedback (dislikes, skips and a
        deployment's negative types)."""
        return ~np.isin(self.type_code, event_types.NEGATIVE_CODES)

    def matrix(self, binary: bool = True) -> sp.csr_matrix:
        """The user x item matrix of positive interactions (1.0 each if ``binary``, else counts)."""
        mask = self.positive_mask()
        data = np.ones(int(mask.sum()), dtype=np.float32)
        shape = (self.n_users, self.n_items)
        m = sp.csr_matrix((data, (self.user_idx[mask], self.item_idx[mask])), shape=shape)
        m.sum_duplicates()
        if binary:
            m.data[:] = 1.0
        return m
