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
from pulserec.engine.serving.blend import keep_allowed, monotone
from pulserec.engine.serving.pipeline import Served, allowed_items, answer
from pulserec.engine.serving.request import Request
from pulserec.engine.serving.results import RankedList
from pulserec.engine.serving.rules import reranked
from pulserec.engine.state.online_state import EMPTY, UnknownItem
from pulserec.models.base import Query
from pulserec.models.hybrid.candidates import rrf_weights

Int32s = npt.NDArray[np.int32]
Float32s = npt.NDArray[np.float32]
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
    hidden = context.hidden  # what the user hid never comes back, not even from a search
    request = Request(
        history, hidden, preferences, k, category=category, explain=explain, mask=mask
    )
    allowed = allowed_items(served, request)
    items, scores = nearest(served, query_vector, max(config.pool, 5 * k), allowed)
    items, scores = _creator_first(served, text, query_vector, items, scores, allowed)
    source = "search"
    taste = state.taste(history, preferences) if user is not None else None
    if taste is not None and items.size:
        personal = np.asarray(state.catalog.vectors()[items], dtype=np.float32) @ taste
        scores = scores + config.personal_weight * personal
        order = np.argsort(-scores, kind="stable")
        items, scores, source = items[order], scores[order], "search+taste"
    request = Request(history, EMPTY, preferences, k, explain=explain, query=text, user=user)
    return answer(served, items[:k], scores[:k], [source] * min(k, items.size), request)


CREATOR_BONUS = 1.0  # above any cosine: a creator's items lead a search for their name


def _creator_first(
    served: Served,
    text: str,
    query_vector: npt.NDArray[np.float32],
    items: Int32s,
    scores: npt.NDArray[np.float32],
    allowed: npt.NDArray[np.bool_],
) -> tuple[Int32s, npt.NDArray[np.float32]]:
    """A query that is a creator's name ("Björk", "bjork") puts that creator's items first,
    ranked among themselves by similarity; other items follow as found."""
    catalog = served.state.catalog
    named = catalog.creator_mask(text) & allowed[: catalog.size]
    if not named.any():
        return items, scores
    theirs = np.flatnonzero(named).astype(np.int32)
    rows = np.asarray(catalog.vectors()[theirs], dtype=np.float32)
    own = (rows @ query_vector).astype(np.float32) + CREATOR_BONUS
    rest = ~np.isin(items, theirs)
    merged = np.concatenate([theirs, items[rest]])
    merged_scores = np.concatenate([own, scores[rest]]).astype(np.float32)
    order = np.argsort(-merged_scores, kind="stable")
    return merged[order], merged_scores[order]


def similar(
    served: Served, item_id: str, k: int = 10, mask: npt.NDArray[np.bool_] | None = None
) -> RankedList:
    """Items nearest by text, or (for items without text) by the first served model."""
    state = served.state
    index = state.items.get(item_id)
    if index is None or not state.catalog.servable_or_hidden(index):
        raise UnknownItem(item_id)
    seed = np.array([index], np.int32)
    request = Request(seed, seed, None, k, mask=mask)
    allowed = allowed_items(served, request)
    vector = state.catalog.vector(index)
    depth = max(served.config.pool, 4 * (k + 1))
    engaged, engaged_scores, model = _similar_by_models(served, index, depth, allowed)
    if vector is None:
        items, scores, source = engaged, engaged_scores, model
    else:
        items, scores = nearest(served, vector, depth, allowed)
        source = "content"
        if engaged.size:  # co-engagement evidence: both views, fused by rank
            items, scores = _fused(served, items, engaged)
            source = f"content+{model}"
    has_text = state.catalog.has_vector()[items]
    if not has_text.all():  # placeholders never above an item with text
        lifted = np.argsort(~has_text, kind="stable")
        items, scores = items[lifted], monotone(scores[lifted])
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


def _fused(served: Served, by_text: Int32s, engaged: Int32s) -> tuple[Int32s, Float32s]:
    """Reciprocal-rank fusion of the text and co-engagement lists, where an item the models
    never saw (a cold item: no co-engagement can exist) counts its text rank for both."""
    bundle = served.bundle
    cold = bundle.model_index(by_text) < 0 if bundle is not None else np.ones(by_text.size, bool)
    items = np.concatenate([by_text, engaged])
    text_weights = rrf_weights(by_text.size) * np.where(cold, 2.0, 1.0)
    weights = np.concatenate([text_weights, rrf_weights(engaged.size)])
    unique, inverse = np.unique(items, return_inverse=True)
    fused = np.bincount(inverse, weights=weights).astype(np.float32)
    order = np.argsort(-fused, kind="stable")
    return unique[order].astype(np.int32), fused[order]


CO_ENGAGEMENT = ("itemknn", "ease", "transitions", "als", "bpr")  # asked first for similar items


def _similar_by_models(
    served: Served, index: int, k: int, allowed: npt.NDArray[np.bool_]
) -> tuple[Int32s, npt.NDArray[np.float32], str]:
    """Items engaged with alongside ``index``, from the bundle's first co-engagement model
    that knows it (none for an item the models never saw: a cold item is text alone)."""
    bundle = served.bundle
    mine = bundle.model_index(np.array([index], np.int32)) if bundle is not None else EMPTY
    if bundle is None or not bundle.models or mine.size == 0 or mine[0] < 0:
        return EMPTY, np.zeros(0, np.float32), "none"
    preferred = [n for n in CO_ENGAGEMENT if n in bundle.models]
    name = preferred[0] if preferred else next(iter(bundle.models))
    model = bundle.models[name]
    found = model.retrieve(Query(history=mine, exclude=mine), k + 10)
    live = bundle.live_index(found.items)
    items, scores = keep_allowed(live[live >= 0], found.scores[live >= 0], allowed)
    return items, scores, name


def popular(
    served: Served,
    k: int = 10,
    window: str | None = None,
    mask: npt.NDArray[np.bool_] | None = None,
    weights: npt.NDArray[np.float64] | None = None,
) -> RankedList:
    """Trending items over ``window`` (default ``24h`` before the newest event), topped up from
    longer horizons, all-time counts and then unseen items (:mod:`~.popularity`), so the list
    holds ``min(k, servable items)`` whatever the window caught. ``mask``: only those items
    (a per-category or per-attribute leaderboard)."""
    ranked = served.state.popularity(parse_window(window or DEFAULT_WINDOW))
    key = ranked.key
    if mask is not None:
        key = key.copy()
        n = min(key.shape[0], mask.shape[0])
        key[:n][~mask[:n]] = -np.inf
        key[n:] = -np.inf
    depth = k if weights is None else max(k, served.config.pool)
    items, values = top_k(key, depth)
    keep = np.isfinite(values)
    items, values = items[keep], values[keep]
    if weights is not None:  # boost and bury re-rank the whole depth (rules.py)
        order = reranked(items, weights)
        texted = served.state.catalog.has_vector()[items[order]]
        order = order[np.argsort(~texted, kind="stable")]
        items, values = items[order][:k], monotone(values[order][:k])
    request = Request(EMPTY, EMPTY, None, k)
    return answer(served, items, values, ["trending"] * len(items), request)
