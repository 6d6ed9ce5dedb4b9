"""Search, similar items, trending and nearest-to-a-vector: the reads behind the
:class:`~pulserec.engine.facade.Engine` facade that are not a user's list, as plain functions over
one request's :class:`~pulserec.engine.serving.pipeline.Served` view (the facade catches up with the
log and encodes the query first)."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from pulserec.core.topk import top_k
from pulserec.engine.serving.blend import keep_allowed
from pulserec.engine.serving.pipeline import Served, allowed_items, answer
from pulserec.engine.serving.request import Request
from pulserec.engine.serving.results import RankedList
from pulserec.engine.state.online_state import EMPTY, UnknownItem
from pulserec.models.base import Query

Int32s = npt.NDArray[np.int32]
_WINDOW = re.compile(r"^\s*([0-9]+)\s*([mhd])\s*$")
_UNIT_SECONDS = {"m": 60.0, "h": 3600.0, "d": 86_400.0}
LONGEST_WINDOW_DAYS = 3650  # the event log keeps at most this span (event_log.RETENTION_S)
EXACT_LIMIT = 20_000
DEFAULT_WINDOW = "24h"


def parse_window(window: str) -> float:
    """``<int>m|h|d`` to seconds, from 1m up to ``LONGEST_WINDOW_DAYS``; ValueError otherwise
    (the number is bounded before any arithmetic: 400 digits never reach a float)."""
    match = _WINDOW.match(window)
    digits = match.group(1).lstrip("0") if match else ""
    if not match or not digits:
        raise ValueError("window must look like 30m, 24h or 7d")
    unit = match.group(2)
    longest = LONGEST_WINDOW_DAYS * 86_400.0
    if len(digits) > 12 or int(digits) * _UNIT_SECONDS[unit] > longest:
        raise ValueError(f"window must be at most {LONGEST_WINDOW_DAYS}d (10 years)")
    return int(digits) * _UNIT_SECONDS[unit]


def search(
    served: Served,
    text: str,
    query_vector: npt.NDArray[np.float32],
    user_id: str | None = None,
    k: int = 10,
    category: str | None = None,
    explain: bool = False,
    mask: npt.NDArray[np.bool_] | None = None,
) -> RankedList:
    """Semantic search over item text; with a known user, blended with their taste.
    ``mask`` restricts the answer further (True: may be served)."""
    state, config = served.state, served.config
    context = state.context(user_id)
    user, history, preferences = context.user, context.history, context.preferences
    request = Request(history, EMPTY, preferences, k, category=category, explain=explain, mask=mask)
    allowed = allowed_items(served, request)
    items, scores = nearest(served, query_vector, max(config.pool, 5 * k), allowed)
    source = "search"
    taste = state.taste(history, preferences) if user is not None else None
    if taste is not None and items.size:
        personal = np.asarray(state.catalog.vectors()[items], dtype=np.float32) @ taste
        scores = scores + config.personal_weight * personal
        order = np.argsort(-scores, kind="stable")
        items, scores, source = items[order], scores[order], "search+taste"
    request = Request(history, EMPTY, preferences, k, explain=explain, query=text, user=user)
    return answer(served, items[:k], scores[:k], [source] * min(k, items.size), request)


def similar(served: Served, item_id: str, k: int = 10) -> RankedList:
    """Items nearest by text, or (for items without text) by the first served model."""
    state = served.state
    index = state.items.get(item_id)
    if index is None or not state.catalog.servable_or_hidden(index):
        raise UnknownItem(item_id)
    request = Request(np.array([index], np.int32), np.array([index], np.int32), None, k)
    allowed = allowed_items(served, request)
    vector = state.catalog.vector(index)
    if vector is not None:
        items, scores = nearest(served, vector, max(served.config.pool, 4 * (k + 1)), allowed)
        source = "content"
    else:
        items, scores, source = _similar_by_models(served, index, k, allowed)
    return answer(served, items[:k], scores[:k], [source] * min(k, items.size), request)


def nearest(
    served: Served, vector: npt.NDArray[np.float32], pool: int, allowed: npt.NDArray[np.bool_]
) -> tuple[Int32s, npt.NDArray[np.float32]]:
    """Allowed items nearest to ``vector``, best first. When few items are allowed (a category,
    a small catalog) they are scored exactly, so a filter never empties the answer; otherwise
    the index is over-fetched and filtered."""
    catalog = served.state.catalog
    candidates = np.flatnonzero(allowed & catalog.has_vector())
    if candidates.size <= EXACT_LIMIT:
        rows = np.asarray(catalog.vectors()[candidates], dtype=np.float32)
        best, values = top_k(np.asarray(rows @ vector, dtype=np.float32), pool)
        return candidates[best].astype(np.int32), values
    keys, sims = catalog.index.search(vector, pool)
    live = keys[0] >= 0
    return keep_allowed(keys[0][live].astype(np.int32), sims[0][live], allowed)


def near(
    served: Served,
    vector: npt.NDArray[np.float32],
    k: int,
    user_id: str | None = None,
    mask: npt.NDArray[np.bool_] | None = None,
    exclude_ids: Sequence[str] = (),
) -> RankedList:
    """Items nearest to ``vector`` within ``mask`` (never ``exclude_ids``, nor, for a known
    user, what they saw), explained as ``similar`` against the user's history."""
    state = served.state
    context = state.context(user_id)
    request = Request(
        context.history,
        context.seen,
        context.preferences,
        k,
        explain=True,
        mask=mask,
        user=context.user,
    )
    allowed = allowed_items(served, request)
    named = [i for i in (state.items.get(x) for x in exclude_ids) if i is not None]
    allowed[np.array([i for i in named if i < allowed.shape[0]], np.int64)] = False
    items, scores = nearest(served, vector, max(served.config.pool, 2 * k), allowed)
    n = min(k, items.size)
    return answer(served, items[:n], scores[:n], ["similar"] * n, request)


def _similar_by_models(
    served: Served, index: int, k: int, allowed: npt.NDArray[np.bool_]
) -> tuple[Int32s, npt.NDArray[np.float32], str]:
    bundle = served.bundle
    mine = bundle.model_index(np.array([index], np.int32)) if bundle is not None else EMPTY
    if bundle is None or not bundle.models or mine.size == 0 or mine[0] < 0:
        return EMPTY, np.zeros(0, np.float32), "none"
    name, model = next(iter(bundle.models.items()))
    found = model.retrieve(Query(history=mine, exclude=mine), k + 10)
    live = bundle.live_index(found.items)
    items, scores = keep_allowed(live[live >= 0], found.scores[live >= 0], allowed)
    return items, scores, name


def popular(served: Served, k: int = 10, window: str | None = None) -> RankedList:
    """Trending items over ``window`` (default ``24h`` before the newest event), topped up from
    longer horizons, all-time counts and then unseen items (:mod:`~.popularity`), so the list
    holds ``min(k, servable items)`` whatever the window caught."""
    ranked = served.state.popularity(parse_window(window or DEFAULT_WINDOW))
    items, values = top_k(ranked.key, k)
    request = Request(EMPTY, EMPTY, None, k)
    return answer(served, items, values, ["trending"] * len(items), request)
