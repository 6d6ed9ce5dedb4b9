"""The ``category=`` and ``filter=`` parameters: blank means none, a name no item has is a 422
that says so."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from pulserec.api.errors import ApiError
from pulserec.engine.facade import MAX_FILTERS, Engine, FilterError

FILTER_DESCRIPTION = (
    "Repeatable, ANDed: name:value (an attribute, category, tag or creator), !name:value "
    "(not), name:lo..hi (a numeric range, either end open). A name no item has is a 422."
)

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


def item_filter(engine: Engine, raws: Sequence[str]) -> npt.NDArray[np.bool_] | None:
    """The items ``filter=`` keeps (None without a filter); 422 with field ``filter`` for one
    that cannot be read or names what no item has."""
    if len(raws) > MAX_FILTERS:
        message = f"at most {MAX_FILTERS} filters in one request"
        detail = {"index": None, "field": "filter", "message": message}
        raise ApiError(422, message, [detail])
    try:
        return engine.filter_mask(raws)
    except FilterError as error:
        message = str(error)
        detail = {"index": None, "field": "filter", "message": message}
        raise ApiError(422, message, [detail]) from None


RULES_DESCRIPTION = (
    "Re-rank after retrieval (repeatable): boost=name:value:factor weighs matching items "
    "factor times more (0 < factor <= 100), bury=name:value puts them after every other; name "
    "as in filter. Pages stay stable."
)


def item_rules(
    engine: Engine, boosts: Sequence[str], buries: Sequence[str]
) -> npt.NDArray[np.float64] | None:
    """Each item's factor under the ``boost``/``bury`` rules (None without any); 422 with
    field ``boost`` or ``bury`` for one that cannot be read or names what no item has."""
    try:
        return engine.rule_weights(boosts, buries)
    except FilterError as error:
        message = str(error)
        detail = {"index": None, "field": error.field, "message": message}
        raise ApiError(422, message, [detail]) from None
