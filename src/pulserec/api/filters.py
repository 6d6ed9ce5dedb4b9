"""The ``category=`` filter: blank means none, a name no item has is a 422 that says so."""

from __future__ import annotations

from pulserec.api.errors import ApiError
from pulserec.engine.facade import Engine

SHOWN_NAMES = 20


def category_filter(engine: Engine, raw: str | None) -> str | None:
    """``raw`` as a category the catalog knows (case-insensitive), None when blank; 422 with
    field ``category`` for a name no item carries."""
    if raw is None or not raw.strip():
        return None
    catalog = engine.catalog_view()
    if catalog.has_category(raw):
        return raw
    names = catalog.category_names()
    shown = ", ".join(names[:SHOWN_NAMES]) + (", ..." if len(names) > SHOWN_NAMES else "")
    message = f"unknown category {raw!r}" + (f" (known: {shown})" if names else " (none yet)")
    raise ApiError(422, message, [{"index": None, "field": "category", "message": message}])
