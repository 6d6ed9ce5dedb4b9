"""The request path as plain functions over one :class:`Served` view: what is allowed, the
models' candidates, items newer than the models, the trending fill, diversity, and the answer
with its explanations. The :class:`~pulserec.engine.facade.Engine` facade builds the view once
per request (the state, the bundle it serves now, the settings) and calls these.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.core.topk import top_k
from pulserec.core.types import Item
from pulserec.engine.config import EngineConfig
from pulserec.engine.lifecycle.bundle import ModelBundle
from pulserec.engine.serving.blend import (
    depth_for,
    diversify,
    insert_fresh,
    keep_allowed,
    monotone,
    rrf,
)
from pulserec.engine.serving.explain import Evidence, Explainer
from pulserec.engine.serving.request import Request
from pulserec.engine.serving.results import Ranked, RankedList
from pulserec.engine.serving.rules import reranked
from pulserec.engine.serving.stand_ins import model_history
from pulserec.engine.serving.tastes import (
    StatedTastes,
    TastesReader,
    cold_share,
    fitting,
    interleave,
    liked_items,
)
from pulserec.engine.state.online_state import EMPTY, OnlineState
from pulserec.models.base import Query

Int32s = npt.NDArray[np.int32]
Float32s = npt.NDArray[np.float32]
Bools = npt.NDArray[np.bool_]
Listed = tuple[Int32s, Float32s, list[str]]  # items, scores, what proposed each
FILL_STEP = 1e-3  # between the scores of consecutive items placed by the popularity fill
Rewrite = Callable[[str, str, list[dict[str, Any]]], str]


class FreshCheck:
    """Whether some servable item with text is newer than a bundle, computed once per catalog
    version and bundle (the check scans the catalog)."""

    def __init__(self) -> None:
        self._cached: tuple[tuple[str, int, int], bool] | None = None

    def __call__(self, state: OnlineState, bundle: ModelBundle) -> bool:
        catalog = state.catalog
        key = (bundle.version, id(bundle), catalog.version)
        cached = self._cached
        if cached is None or cached[0] != key:
            n = catalog.servable().shape[0]
            candidates = catalog.servable() & catalog.has_vector()[:n]
            unknown = bundle.model_index(np.arange(n, dtype=np.int32)) < 0
            cached = self._cached = (key, bool((candidates & unknown).any()))
        return cached[1]


@dataclass(frozen=True, slots=True)
class Served:
    """What one request reads: the online state, the bundle served when it arrived, the
    engine's settings, and the explanation side (explainer, stored items, rewriter)."""

    state: OnlineState
    bundle: ModelBundle | None
    config: EngineConfig
    explainer: Explainer
    stored_items: Callable[[Sequence[str]], dict[str, Item]]
    rewrite: Rewrite | None
    has_fresh: FreshCheck
    tastes: TastesReader | None = None

    def stated(self, request: Request) -> StatedTastes | None:
        """What the request's user stated, read over the catalog (None: nothing stated)."""
        if self.tastes is None or not request.stated or request.preferences is None:
            return None
        liked, ruled_out = self.tastes(request.stated)
        size = self.state.catalog.size  # the masks are as wide as the catalog was
        return StatedTastes(
            None if liked is None else _widened(liked, size), _widened(ruled_out, size)
        )


def _widened(mask: Bools, size: int) -> Bools:
    """``mask`` cut or padded (False) to ``size`` items."""
    if mask.shape[0] >= size:
        return mask[:size]
    out = np.zeros(size, dtype=bool)
    out[: mask.shape[0]] = mask
    return out


def rank(served: Served, request: Request) -> RankedList:
    """A list for ``request``: candidates, fresh items, stated tastes, the fill, diversity,
    the answer."""
    tastes = served.stated(request)
    allowed = allowed_items(served, request)
    if tastes is not None:  # what the user ruled out never appears
        n = min(allowed.shape[0], tastes.excluded.shape[0])
        allowed[:n] &= ~tastes.excluded[:n]
    # no list is longer than the catalog: a huge offset costs what the catalog's end costs
    need = min(request.offset + request.k, max(len(allowed), 1))
    if request.offset >= need:
        return RankedList([], served.bundle.version if served.bundle is not None else "none")
    pool = depth_for(need, served.config.pool)
    listed = primary(served, request, allowed, pool)
    listed = with_fresh(served, listed, request, allowed, pool)
    listed = with_tastes(served, listed, request, allowed, pool, tastes)
    if request.weights is None:
        items, scores, sources = text_first(served, listed, allowed, need)
    else:  # rules re-rank the whole depth, so every page is cut from the same list
        items, scores, sources = text_first(served, listed, allowed, max(need, pool))
        ruled = reranked(items, request.weights)
        texted = served.state.catalog.has_vector()[items[ruled]]
        ruled = ruled[np.argsort(~texted, kind="stable")]  # a boost lifts no placeholder
        items, scores, sources = items[ruled], scores[ruled], [sources[i] for i in ruled]
    if request.diversity > 0:
        vectors = served.state.catalog.vectors()[items]
        order = diversify(scores, vectors, need, request.diversity)
        items, scores, sources = items[order], scores[order], [sources[i] for i in order]
        has_text = served.state.catalog.has_vector()[items]
        lifted = np.argsort(~has_text, kind="stable")  # MMR may lift a row without text
        items, scores, sources = items[lifted], scores[lifted], [sources[i] for i in lifted]
    scores = monotone(scores)
    window = slice(request.offset, need)
    return answer(served, items[window], scores[window], sources[window], request, tastes)


def allowed_items(served: Served, request: Request) -> Bools:
    """What may be served: servable items in the category and mask, minus the excluded."""
    catalog = served.state.catalog
    allowed = catalog.servable().copy()
    if request.category:
        allowed &= catalog.category_mask(request.category)
    if request.mask is not None:
        n = min(allowed.shape[0], request.mask.shape[0])
        allowed[:n] &= request.mask[:n]
        allowed[n:] = False
    exclude = request.exclude[request.exclude < allowed.shape[0]]
    allowed[exclude] = False
    return allowed


def primary(served: Served, request: Request, allowed: Bools, pool: int) -> Listed:
    """Candidates from the bundle's models (fused by rank when there are several)."""
    bundle = served.bundle
    if bundle is None or not bundle.models:
        return EMPTY, np.zeros(0, np.float32), []
    if request.history.size == 0 and request.preferences is None:
        return EMPTY, np.zeros(0, np.float32), []  # nothing to personalise: trending fills
    query = Query(
        user=-1,
        history=model_history(bundle, served.state.catalog, request.history),
        exclude=np.flatnonzero(~bundle.known_mask(allowed)).astype(np.int32),
        text=request.preferences,
        owner=request.user if request.user is not None else -1,
    )
    lists, names = [], []
    for name in serving(served, bundle, request.models):
        found = bundle.models[name].retrieve(query, pool)
        live = bundle.live_index(found.items)
        lists.append(keep_allowed(live[live >= 0], found.scores[live >= 0], allowed))
        names.append(found.source or name)  # what really answered (a fallback's name)
    items, scores = rrf(lists)
    label = names[0] if len(names) == 1 else "+".join(names)
    return items, scores.astype(np.float32), [label] * len(items)


def serving(served: Served, bundle: ModelBundle, asked: tuple[str, ...] | None) -> list[str]:
    """The bundle's models that answer: those asked (an experiment's variant), else the
    configured ones, else (a bundle trained under another configuration) all of them."""
    for names in (asked or (), served.config.models):
        chosen = [n for n in names if n in bundle.models]
        if chosen:
            return chosen
    return list(bundle.models)


def with_fresh(
    served: Served, listed: Listed, request: Request, allowed: Bools, pool: int
) -> Listed:
    """Text-similar items: all of them when no model answered, else only items newer than
    the models, inserted where their similarity to the taste ranks among the model's."""
    items, scores, sources = listed
    state, bundle = served.state, served.bundle
    if len(state.catalog.index) == 0:
        return listed
    if items.size and bundle is not None and not served.has_fresh(state, bundle):
        return listed  # every servable item is the models' already
    taste = state.taste(request.history, request.preferences)
    if taste is None:
        return listed
    keys, sims = state.catalog.index.search(taste, pool, exclude=request.exclude.astype(np.int64))
    found, found_scores = keep_allowed(
        keys[0][keys[0] >= 0].astype(np.int32), sims[0][keys[0] >= 0], allowed
    )
    if items.size == 0:
        return found, found_scores.astype(np.float32), ["content"] * len(found)
    new = bundle.model_index(found) < 0 if bundle is not None else np.ones(found.size, bool)
    if not new.any():
        return listed
    affinity = np.asarray(state.catalog.vectors()[items], dtype=np.float32) @ taste
    share = served.config.fresh_share
    merged, inserted = insert_fresh(
        items, affinity, found[new], found_scores[new], share, max(1, int(share * pool))
    )
    merged_scores = np.full(merged.shape[0], np.nan, dtype=np.float32)
    merged_scores[~inserted] = scores
    rest = iter(sources)
    merged_sources = ["content" if flag else next(rest) for flag in inserted.tolist()]
    return merged, merged_scores, merged_sources


def with_tastes(
    served: Served,
    listed: Listed,
    request: Request,
    allowed: Bools,
    pool: int,
    tastes: StatedTastes | None,
) -> Listed:
    """Items that match what the user stated lead a list with little history: a share of it
    from :func:`~.tastes.cold_share`, the rest the list as it was (:mod:`~.tastes`)."""
    share = cold_share(int(request.history.size))
    if request.preferences is None or share <= 0:
        return listed
    catalog = served.state.catalog
    candidates = allowed & catalog.has_vector()[: allowed.shape[0]]
    liked = tastes.liked if tastes is not None else None
    stated, stated_scores = liked_items(
        catalog.vectors(), candidates, request.preferences, liked, pool
    )
    if stated.size == 0:
        return listed
    items, scores, sources = listed
    merged, from_stated = interleave(items, stated, share)
    score_of = dict(zip(items.tolist(), scores.tolist(), strict=True))
    stated_of = dict(zip(stated.tolist(), stated_scores.tolist(), strict=True))
    source_of = dict(zip(items.tolist(), sources, strict=True))
    merged_scores = np.array(
        [
            stated_of[i] if flag else score_of[i]
            for i, flag in zip(merged.tolist(), from_stated.tolist(), strict=True)
        ],
        dtype=np.float32,
    )
    merged_sources = [
        "preferences" if flag else source_of[i]
        for i, flag in zip(merged.tolist(), from_stated.tolist(), strict=True)
    ]
    return merged, merged_scores, merged_sources


def text_first(served: Served, listed: Listed, allowed: Bools, need: int) -> Listed:
    """The list topped up to ``need`` with every placeholder (an item without text) after
    every item with text: the proposed items with text, the popular items with text, then the
    proposed placeholders and the popular ones. Each part depends only on the read depth, so
    pages still concatenate."""
    has_text = served.state.catalog.has_vector()
    items, scores, sources = listed
    texted = has_text[items] if items.size else np.zeros(0, dtype=bool)
    if texted.all():
        placeholders: Listed = (EMPTY, np.zeros(0, np.float32), [])
    else:
        kept = [s for s, keep in zip(sources, texted.tolist(), strict=True) if keep]
        rest = [s for s, keep in zip(sources, texted.tolist(), strict=True) if not keep]
        placeholders = (items[~texted], scores[~texted], rest)
        listed = (items[texted], scores[texted], kept)
    listed = filled(served, listed, allowed & has_text[: allowed.shape[0]], need)
    if listed[0].shape[0] >= need:
        return listed
    joined: Listed = (
        np.concatenate([listed[0], placeholders[0]]).astype(np.int32),
        np.concatenate([listed[1], placeholders[1]]).astype(np.float32),
        listed[2] + placeholders[2],
    )
    return filled(served, joined, allowed, need)


def filled(served: Served, listed: Listed, allowed: Bools, need: int) -> Listed:
    """Top up a short list from the popularity ranking (never a placeholder without
    evidence, never an item already listed)."""
    items, scores, sources = listed
    if items.shape[0] >= need:
        return listed
    key = served.state.popularity().key.copy()
    key[~allowed] = -np.inf
    key[items[items < key.shape[0]]] = -np.inf
    extra, _extra_scores = top_k(key, need - items.shape[0])
    base = float(np.nanmin(scores)) if scores.size and np.isfinite(np.nanmin(scores)) else 0.0
    # the fill continues the list's own scale just below its last score (docs/api.md, Scores)
    filler = base - (1 + np.arange(extra.shape[0], dtype=np.float32)) * FILL_STEP
    return (
        np.concatenate([items, extra]).astype(np.int32),
        np.concatenate([scores, filler]).astype(np.float32),
        sources + ["trending"] * len(extra),
    )


def answer(
    served: Served,
    items: Int32s,
    scores: Float32s,
    sources: list[str],
    request: Request,
    tastes: StatedTastes | None = None,
) -> RankedList:
    """Map indices back to ids, with explanations when the request asks. An item deleted
    while the list was computed (reads do not take the write lock) is left out."""
    state, bundle = served.state, served.bundle
    ids, live = state.items.live_ids(items)
    if not live.all():
        items, scores = items[live], scores[live]
        sources = [s for s, keep in zip(sources, live.tolist(), strict=True) if keep]
    version = bundle.version if bundle is not None else "none"
    if not request.explain:
        return RankedList(
            [
                Ranked(i, float(s), (src,))
                for i, s, src in zip(ids, scores.tolist(), sources, strict=True)
            ],
            version,
        )
    if tastes is None and request.preferences is not None:
        tastes = served.stated(request)
    fits = fitting(items, tastes, state.catalog.vectors(), request.preferences)
    evidence = Evidence(request.history, state.trending_now(), request.query, fits)
    stored = state.user_states.evidence(request.user, request.history)  # None: anonymous
    if stored is not None:
        citable = served.config.feedback.citable(stored.kinds, stored.values)
        evidence = replace(evidence, kinds=stored.kinds, values=stored.values, citable=citable)
    tiers = state.popularity().tier[items] if "trending" in sources else None
    explained = served.explainer.explain(items, evidence, sources, tiers)
    rewrite = served.rewrite
    titled = served.stored_items(ids) if rewrite is not None else {}
    out = []
    for item_id, score, source, (sentence, reasons) in zip(
        ids, scores.tolist(), sources, explained, strict=True
    ):
        for reason in reasons:
            if reason["kind"] == "history":
                reason["item_ids"] = state.items.live_ids(reason["item_ids"])[0]
        if rewrite is not None:
            sentence = rewrite(sentence, titles([item_id], titled)[0], reasons)
        out.append(Ranked(item_id, float(score), (source,), sentence, reasons))
    return RankedList(out, version)


def titles(ids: Sequence[str], stored: dict[str, Item]) -> list[str]:
    """Each id's stored title, or the id where the item is gone or has no title."""
    return [item.title if (item := stored.get(i)) is not None and item.title else i for i in ids]


def stamp(
    state: OnlineState, model_version: str, user: int | None, config: EngineConfig
) -> tuple[int, str, int, int]:
    """What a cached answer for ``user`` depends on (see :mod:`~.answer_cache`)."""
    return (
        state.user_states.version(user) if user is not None else -1,
        model_version,
        state.catalog.version,
        state.event_log.appended // config.trending_every,
    )
