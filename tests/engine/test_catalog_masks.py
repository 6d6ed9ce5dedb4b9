"""Masks cached per label are bounded: anonymous filters on every artist in turn, one after
another, keep at most ``KEPT_MASKS`` of them, and answers stay right."""

from __future__ import annotations

from pulserec.core.ids import IdMap
from pulserec.core.types import Item
from pulserec.engine.state.catalog import KEPT_MASKS, Catalog


def test_filters_on_every_value_hold_a_bounded_cache() -> None:
    catalog = Catalog(IdMap(), 4)
    items = [Item(f"i{n}", f"T{n}", attributes={"artist": f"A{n}"}) for n in range(KEPT_MASKS + 50)]
    catalog.upsert(items, None)
    for n in range(KEPT_MASKS + 50):
        mask = catalog.attribute_mask("artist", f"A{n}")
        assert mask.sum() == 1 and mask[n]
    assert len(catalog._strings._masks) <= KEPT_MASKS
    assert catalog.attribute_mask("artist", "A0")[0]  # dropped, then built again
