"""The catalog's category and tag masks."""

from __future__ import annotations

from pulserec.engine.runtime import Runtime


def test_asking_for_unknown_categories_caches_nothing(runtime: Runtime) -> None:
    catalog = runtime.engine.state.catalog
    for n in range(50):
        assert not catalog.category_mask(f"no-such-{n}").any()
        assert not catalog.tag_mask(f"no-such-{n}").any()
    assert not catalog.has_category("no-such-1") and catalog.has_category("space")
    assert not [k for k in catalog._masks if k.startswith("no-such")]
