"""``include=item``: each result of a ranked list carries the item's display fields.

One place does it for every route that returns items (recommend, session, similar, search,
popular, chat, batch), so a client needs no ``GET /v1/items/{id}`` per result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from starlette.datastructures import QueryParams

from pulserec.api.errors import ApiError
from pulserec.core.types import Item
from pulserec.storage.base import CatalogStore

Include = Literal["item"]
INCLUDE_VALUES = ("item",)
INCLUDE_DESCRIPTION = "Comma-separated extras per result: `item` adds title, categories, tags"


def wants_item(params: QueryParams, body: Iterable[str] = ()) -> bool:
    """Whether ``include`` (query, comma-separated or repeated; or a POST body's list) asks for
    ``item``; 422 on ``include`` for any other value."""
    asked = [part.strip() for raw in params.getlist("include") for part in raw.split(",")]
    asked = [part for part in [*asked, *body] if part]
    if unknown := [part for part in asked if part not in INCLUDE_VALUES]:
        message = f"unknown include {unknown[0]!r} (known: {', '.join(INCLUDE_VALUES)})"
        raise ApiError(422, message, [{"index": None, "field": "include", "message": message}])
    return "item" in asked


def item_fields(item: Item | None) -> dict[str, Any]:
    """What ``include=item`` adds; an item deleted since it was ranked has empty fields."""
    if item is None:
        return {"title": None, "categories": [], "tags": [], "attributes": {}}
    return {
        "title": item.title,
        "categories": list(item.categories),
        "tags": list(item.tags),
        "attributes": item.attributes,
    }


def with_items(results: Sequence[dict[str, Any]], store: CatalogStore) -> list[dict[str, Any]]:
    """``results`` (``{"id", ...}`` each) with ``"item"`` added from the store (one read for
    the whole list)."""
    items = store.get_items([result["id"] for result in results])
    return [{**result, "item": item_fields(items.get(result["id"]))} for result in results]
