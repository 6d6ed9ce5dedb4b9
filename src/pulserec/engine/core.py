"""The Engine: one request path and one update path, shared by serve, train and the replay.

A request builds its context once (the user's recent items, their seen set, their stated
tastes), asks the configured models for candidates through the same ``Query``, fuses them,
inserts items newer than the models by text similarity, fills from trending, diversifies on
request, and maps indices back to ids. Models score a *history*, not a stored user row, so an
event changes the very next answer without touching any model.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.encoders.base import Encoder
from pulserec.engine.answer_cache import AnswerCache
from pulserec.engine.blend import (
    depth_for,
    diversify,
    insert_fresh,
    keep_allowed,
    monotone,
    rrf,
)
from pulserec.engine.bundle import ModelBundle
from pulserec.engine.catalog import Catalog
from pulserec.engine.config import EngineConfig
from pulserec.engine.event_log import EventLog
from pulserec.engine.explain import Evidence, Explainer
from pulserec.engine.popularity import DEFAULT_WINDOW_S, WINDOW, Popularity, rank_popularity
from pulserec.engine.request import Request
from pulserec.engine.results import Ranked, RankedList
from pulserec.engine.trending import TrendingCounter
from pulserec.engine.users import UserStates
from pulserec.ids import IdMap
from pulserec.index import VectorIndex, make_index
from pulserec.ranking.topk import top_k
from pulserec.retrievers.base import Query
from pulserec.storage import Store

logger = logging.getLogger(__name__)
Int32s = npt.NDArray[np.int32]
Float32s = npt.NDArray[np.float32]
_EMPTY = np.zeros(0, dtype=np.int32)
TASTE_ITEMS = 20
TRENDING_EVIDENCE = 50


class UnknownItem(KeyError):
    """An item id the engine does not know (404 at the API)."""


class Engine:
    """Serving state and the request path; :mod:`pulserec.engine.updates` feeds it events."""

    def __init__(
        self,
        store: Store,
        config: EngineConfig,
        item_encoder: Encoder,
        query_encoder: Encoder | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.item_encoder = item_encoder
        self.query_encoder = query_encoder or item_encoder
        self.users = IdMap()
        self.items = IdMap()
        self.write_lock = threading.RLock()
        self.bundle: ModelBundle | None = None
        self._attach_catalog(self.items)
        self.user_states = UserStates()
        self.trending = TrendingCounter(config.trending_half_life_s)
        self.event_log = EventLog()
        self.applied_seq = 0  # the last change-log entry applied to this state
        self.applied_event_seq = 0  # the last event sequence number applied
        self._updater: Any = None  # the OnlineUpdater that follows the log (attach_updater)
        self.answers = AnswerCache(config.answer_cache)
        # optional friendly rewrite of a grounded sentence (grounded, title, reasons) -> text;
        # must never block (see pulserec.llm.rewriter)
        self.rewrite: Callable[[str, str, list[dict[str, Any]]], str] | None = None

    def attach_updater(self, updater: Any) -> None:
        """The object whose ``catch_up()`` applies the change log to this engine."""
        self._updater = updater

    def catch_up(self) -> None:
        """Bring the state up to the log's high-water mark before answering: one shared
        memory read when it is current."""
        if self._updater is not None and self.store.high_water() > self.applied_seq:
            self._updater.catch_up()

    def _new_index(self) -> VectorIndex:
        return make_index(
            self.item_encoder.dim,
            backend=self.config.index_backend,
            threshold=self.config.index_threshold,
        )

    def adopt_maps(self, users: IdMap, items: IdMap) -> None:
        """Use a trained bundle's id maps (before any state is loaded), so model rows line up."""
        self.users, self.items = users, items
        self._attach_catalog(items)

    def _attach_catalog(self, items: IdMap) -> None:
        """A fresh catalog (and the explainer reading it) over ``items``."""
        self.catalog = Catalog(
            items, self.item_encoder.dim, self._new_index(), self.config.vector_dtype
        )
        self.explainer = Explainer(
            self.catalog.vectors,
            self.catalog.has_vector,
            self.catalog.categories_of,
            self._title_of,
            self.config.category_label,
        )

    # -- the state a request reads -------------------------------------------------------
    @property
    def model_version(self) -> str:
        bundle = self.bundle
        return bundle.version if bundle is not None else "none"

    def swap(self, bundle: ModelBundle) -> None:
        """Serve ``bundle`` from the next request on (one reference assignment)."""
        self.bundle = bundle
        logger.info("serving model version %s", bundle.version)

    def popularity(self, window_s: float = DEFAULT_WINDOW_S) -> Popularity:
        """The tiered popularity of every item (see :mod:`~.popularity`): what ``popular``,
        every trending fill and trending evidence rank by."""
        return rank_popularity(
            self.trending,
            self.event_log,
            self.catalog.servable(),
            self.catalog.has_vector(),
            window_s,
        )

    def trending_now(self, n: int = TRENDING_EVIDENCE) -> frozenset[int]:
        """Items of the current ``popular`` top ``n`` that had events in its window: the only
        items an explanation may call trending."""
        ranked = self.popularity()
        top, _ = top_k(ranked.key, n)
        return frozenset(top[ranked.tier[top] == WINDOW].tolist())

    def _title_of(self, index: int) -> str:
        item_id = self.items.id_of(index)
        item = self.store.get_item(item_id)
        return item.title if item is not None and item.title else item_id

    def taste(self, history: Int32s, preferences: Float32s | None) -> Float32s | None:
        """A unit vector of the user's recent items (recency-weighted) plus stated tastes."""
        recent = history[-TASTE_ITEMS:]
        has = self.catalog.has_vector()
        recent = recent[recent < has.shape[0]]
        recent = recent[has[recent]]
        taste = np.zeros(self.catalog.dim, dtype=np.float32)
        if recent.size:
            weights = np.power(0.9, np.arange(recent.size)[::-1]).astype(np.float32)
            taste += weights @ np.asarray(self.catalog.vectors()[recent], dtype=np.float32)
            taste /= weights.sum()
        if preferences is not None:
            taste += preferences
        norm = float(np.linalg.norm(taste))
        return taste / norm if norm > 0 else None

    # -- requests --------------------------------------------------------------------------
    def recommend(
        self,
        user_id: str,
        k: int = 10,
        offset: int = 0,
        exclude_seen: bool = True,
        category: str | None = None,
        explain: bool = False,
        diversity: float = 0.0,
    ) -> RankedList:
        """Top ``k`` (after ``offset``) for a user; unknown users get trending or their tastes."""
        self.catch_up()
        user = self.users.get(user_id)
        key = (user, user_id, k, offset, exclude_seen, category, explain, diversity)
        stamp = self._stamp(user)
        cached = self.answers.get(key, stamp)
        if cached is not None:
            return cached
        answer = self._recommend(user, k, offset, exclude_seen, category, explain, diversity)
        self.answers.put(key, stamp, answer)
        return answer

    def _stamp(self, user: int | None) -> tuple[int, str, int, int]:
        """What a cached answer for ``user`` depends on (see :mod:`~.answer_cache`)."""
        return (
            self.user_states.version(user) if user is not None else -1,
            self.model_version,
            self.catalog.version,
            len(self.event_log) // self.config.trending_every,
        )

    def _recommend(
        self,
        user: int | None,
        k: int,
        offset: int,
        exclude_seen: bool,
        category: str | None,
        explain: bool,
        diversity: float,
    ) -> RankedList:
        history = self.user_states.history(user) if user is not None else _EMPTY
        seen = self.user_states.seen(user) if user is not None and exclude_seen else _EMPTY
        preferences = self.user_states.preferences(user) if user is not None else None
        request = Request(
            history, seen, preferences, k, offset, category, explain, diversity, user=user
        )
        return self.rank(request)

    def session(self, item_ids: Sequence[str], k: int = 10) -> RankedList:
        """An anonymous visitor's list from the items they just engaged with (most recent last)."""
        self.catch_up()
        history = self.items.lookup(list(item_ids))
        history = history[history >= 0]
        return self.rank(Request(history, history, None, k))

    def rank(self, request: Request) -> RankedList:
        """The request path over the current bundle."""
        bundle = self.bundle
        allowed = self.allowed(request)
        need = request.offset + request.k
        pool = depth_for(need, self.config.pool)
        taste = self.taste(request.history, request.preferences)
        items, scores, sources = self._primary(bundle, request, allowed, pool)
        items, scores, sources = self._with_fresh(
            bundle, items, scores, sources, taste, request, allowed, pool, need
        )
        items, scores, sources = self._filled(items, scores, sources, allowed, need)
        if request.diversity > 0:
            order = diversify(scores, self.catalog.vectors()[items], need, request.diversity)
            items, scores, sources = items[order], scores[order], [sources[i] for i in order]
        scores = monotone(scores)
        window = slice(request.offset, need)
        return self.answer(items[window], scores[window], sources[window], request, bundle)

    def allowed(self, request: Request) -> npt.NDArray[np.bool_]:
        allowed = self.catalog.servable().copy()
        if request.category:
            allowed &= self.catalog.category_mask(request.category)
        if request.mask is not None:
            n = min(allowed.shape[0], request.mask.shape[0])
            allowed[:n] &= request.mask[:n]
            allowed[n:] = False
        exclude = request.exclude[request.exclude < allowed.shape[0]]
        allowed[exclude] = False
        return allowed

    def _primary(
        self,
        bundle: ModelBundle | None,
        request: Request,
        allowed: npt.NDArray[np.bool_],
        pool: int,
    ) -> tuple[Int32s, Float32s, list[str]]:
        """Candidates from the bundle's models (fused by rank when there are several)."""
        if bundle is None or not bundle.models:
            return _EMPTY, np.zeros(0, np.float32), []
        if request.history.size == 0 and request.preferences is None:
            return _EMPTY, np.zeros(0, np.float32), []  # nothing to personalise: trending fills
        history = bundle.model_index(request.history)
        query = Query(
            user=-1,
            history=history[history >= 0],
            exclude=np.flatnonzero(~bundle.known_mask(allowed)).astype(np.int32),
            text=request.preferences,
        )
        lists, names = [], []
        for name, model in bundle.models.items():
            found = model.retrieve(query, pool)
            live = bundle.live_index(found.items)
            lists.append(keep_allowed(live[live >= 0], found.scores[live >= 0], allowed))
            names.append(name)
        items, scores = rrf(lists)
        label = names[0] if len(names) == 1 else "+".join(names)
        return items, scores.astype(np.float32), [label] * len(items)

    def _with_fresh(
        self,
        bundle: ModelBundle | None,
        items: Int32s,
        scores: Float32s,
        sources: list[str],
        taste: Float32s | None,
        request: Request,
        allowed: npt.NDArray[np.bool_],
        pool: int,
        need: int,
    ) -> tuple[Int32s, Float32s, list[str]]:
        """Text-similar items: all of them when no model answered, else only items newer than
        the models, inserted where their similarity to the taste ranks among the model's."""
        if taste is None or len(self.catalog.index) == 0:
            return items, scores, sources
        keys, sims = self.catalog.index.search(
            taste, pool, exclude=request.exclude.astype(np.int64)
        )
        found, found_scores = keep_allowed(
            keys[0][keys[0] >= 0].astype(np.int32), sims[0][keys[0] >= 0], allowed
        )
        if items.size == 0:
            return found, found_scores.astype(np.float32), ["content"] * len(found)
        new = bundle.model_index(found) < 0 if bundle is not None else np.ones(found.size, bool)
        if not new.any():
            return items, scores, sources
        vectors = self.catalog.vectors()
        affinity = np.asarray(vectors[items], dtype=np.float32) @ taste
        share = self.config.fresh_share
        merged, inserted = insert_fresh(
            items, affinity, found[new], found_scores[new], share, max(1, int(share * pool))
        )
        merged_scores = np.full(merged.shape[0], np.nan, dtype=np.float32)
        merged_scores[~inserted] = scores
        merged_sources = []
        rest = iter(sources)
        for flag in inserted.tolist():
            merged_sources.append("content" if flag else next(rest))
        return merged, merged_scores, merged_sources

    def _filled(
        self,
        items: Int32s,
        scores: Float32s,
        sources: list[str],
        allowed: npt.NDArray[np.bool_],
        need: int,
    ) -> tuple[Int32s, Float32s, list[str]]:
        """Top up a short list from the popularity ranking (never a placeholder without
        evidence, never an item already listed)."""
        if items.shape[0] >= need:
            return items, scores, sources
        key = self.popularity().key.copy()
        key[~allowed] = -np.inf
        key[items[items < key.shape[0]]] = -np.inf
        extra, _extra_scores = top_k(key, need - items.shape[0])
        base = float(np.nanmin(scores)) if scores.size and np.isfinite(np.nanmin(scores)) else 0.0
        filler = base - 1.0 - np.arange(extra.shape[0], dtype=np.float32) * 1e-3
        return (
            np.concatenate([items, extra]).astype(np.int32),
            np.concatenate([scores, filler]).astype(np.float32),
            sources + ["trending"] * len(extra),
        )

    def answer(
        self,
        items: Int32s,
        scores: Float32s,
        sources: list[str],
        request: Request,
        bundle: ModelBundle | None = None,
    ) -> RankedList:
        """Map indices back to ids, with explanations when the request asks."""
        bundle = bundle if bundle is not None else self.bundle
        ids = self.items.ids_of(items)
        version = bundle.version if bundle is not None else "none"
        if not request.explain:
            return RankedList(
                [
                    Ranked(i, float(s), (src,))
                    for i, s, src in zip(ids, scores.tolist(), sources, strict=True)
                ],
                version,
            )
        evidence = Evidence(
            request.history,
            self.trending_now(),
            request.query,
            request.preferences is not None,
        )
        stored = self.user_states.evidence(request.user, request.history)  # None: anonymous
        if stored is not None:
            citable = self.config.feedback.citable(stored.kinds, stored.values)
            evidence = replace(evidence, kinds=stored.kinds, values=stored.values, citable=citable)
        tiers = self.popularity().tier[items] if "trending" in sources else None
        explained = self.explainer.explain(items, evidence, sources, tiers)
        out = []
        for item_id, score, source, (sentence, reasons) in zip(
            ids, scores.tolist(), sources, explained, strict=True
        ):
            for reason in reasons:
                if reason["kind"] == "history":
                    reason["item_ids"] = self.items.ids_of(reason["item_ids"])
            if self.rewrite is not None:
                item = self.store.get_item(item_id)
                sentence = self.rewrite(
                    sentence, item.title if item and item.title else item_id, reasons
                )
            out.append(Ranked(item_id, float(score), (source,), sentence, reasons))
        return RankedList(out, version)
