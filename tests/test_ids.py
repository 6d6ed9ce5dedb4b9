"""IdMap: dense, stable, never-reused indices."""

from __future__ import annotations

import numpy as np
import pytest

from pulserec.core.ids import IdMap


def test_indices_are_dense_in_order_of_first_sight() -> None:
    ids = IdMap(["b", "a", "b"])
    assert len(ids) == 2 and ids.get("b") == 0 and ids.get("a") == 1
    assert ids.add("c") == 2 and ids.add("a") == 1
    assert ids.add_many(["c", "d"]).tolist() == [2, 3]
    assert ids.add_many(["x"]).dtype == np.int32


def test_lookup_maps_unknown_to_minus_one() -> None:
    ids = IdMap(["a", "b"])
    assert ids.lookup(["b", "zzz", "a"]).tolist() == [1, -1, 0]
    assert ids.ids_of(np.array([1, 0])) == ["b", "a"]
    assert "a" in ids and "zzz" not in ids


def test_removed_ids_leave_holes_and_are_not_reused() -> None:
    ids = IdMap(["a", "b", "c"])
    assert ids.remove("b") == 1 and ids.remove("b") is None
    assert ids.get("b") is None and len(ids) == 3
    with pytest.raises(KeyError):
        ids.id_of(1)
    with pytest.raises(KeyError):
        ids.id_of(99)
    assert ids.add("b") == 3
