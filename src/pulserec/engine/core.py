"""The Engine: the facade every driver, route and the chat use, over one :class:`OnlineState`.

Reads: ``recommend``, ``session``, ``search``, ``similar``, ``popular``, and the few the chat
needs (``near``, ``nearest_ids``, ``encode_query``, ``item_vector``, ``catalog_view``). Writes:
``catch_up`` (the change log, through the attached updater) and ``swap`` (a model bundle). Each
read catches up with the log, builds the request's context once (the user's recent items, their
seen set, their stated tastes) and hands a :class:`~pulserec.engine.pipeline.Served` view to the
request path (:mod:`~pulserec.engine.pipeline`, :mod:`~pulserec.engine.lookups`). Models score a
*history*, not a stored user row, so an event changes the very next answer without touching any
model.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.encoders.base import Encoder
from pulserec.engine import lookups, pipeline
from pulserec.engine.answer_cache import AnswerCache
from pulserec.engine.bundle import ModelBundle
from pulserec.engine.catalog import Catalog
from pulserec.engine.config import EngineConfig
from pulserec.engine.explain import Explainer
from pulserec.engine.online_state import (
    TASTE_ITEMS,
    TRENDING_EVIDENCE,
    OnlineState,
    UnknownItem,
)
from pulserec.engine.popularity import DEFAULT_WINDOW_S, Popularity
from pulserec.engine.request import Request
from pulserec.engine.results import RankedList
from pulserec.ids import IdMap
from pulserec.storage import Store, StoreUnavailable
from pulserec.storage.changelog import ChangeLog
from pulserec.types import Item

__all__ = ["TASTE_ITEMS", "TRENDING_EVIDENCE", "Engine", "UnknownItem"]
logger = logging.getLogger(__name__)
Int32s = npt.NDArray[np.int32]
Float32s = npt.NDArray[np.float32]
Bools = npt.NDArray[np.bool_]
DEFAULT_WINDOW = lookups.DEFAULT_WINDOW


class Engine:
    """The facade over the online state, the served bundle and the request path."""

    def __init__(
        self,
        store: Store,
        config: EngineConfig,
        item_encoder: Encoder,
        query_encoder: Encoder | None = None,
        feed: ChangeLog | None = None,
    ) -> None:
        self.store = store
        # the change log it follows: the store's (a bus's, on replicas)
        self.feed: ChangeLog = feed if feed is not None else store
        self.config = config
        self.item_encoder = item_encoder
        self.query_encoder = query_encoder or item_encoder
        self.state = OnlineState(config, item_encoder.dim)
        if config.dp_epsilon is not None:
            self.state.make_private(store.secret("dp-noise"))
        self.write_lock = threading.RLock()
        self.bundle: ModelBundle | None = None
        self._attach_explainer()
        self._updater: Any = None  # the OnlineUpdater that follows the log (attach_updater)
        self._unreachable_logged = float("-inf")
        self.answers = AnswerCache(config.answer_cache)
        self._has_fresh = pipeline.FreshCheck()
        # optional friendly rewrite of a grounded sentence (grounded, title, reasons) -> text;
        # must never block (see pulserec.llm.rewriter)
        self.rewrite: pipeline.Rewrite | None = None

    # -- the online state (``state``), for the updater, the trainer and the watcher ----------
    def adopt_maps(self, users: IdMap, items: IdMap) -> None:
        """Use a trained bundle's id maps (before any state is loaded), so model rows line up."""
        self.state.adopt_maps(users, items)
        self._attach_explainer()

    def _attach_explainer(self) -> None:
        catalog = self.state.catalog
        self.explainer = Explainer(
            catalog.vectors,
            catalog.has_vector,
            catalog.categories_of,
            self._titles_of,
            self.config.category_label,
        )

    # -- writes: the change log and model versions -----------------------------------------
    def attach_updater(self, updater: Any) -> None:
        """The object whose ``catch_up()`` and ``apply()`` bring the log onto the state."""
        self._updater = updater

    @property
    def updater(self) -> Any:
        return self._updater

    def catch_up(self) -> None:
        """Bring the state up to the log's high-water mark before answering: one shared
        memory read when it is current (one ``GET`` on a bus). A store that cannot be reached
        leaves the state as it is: answers keep coming from memory."""
        if self._updater is None:
            return
        try:
            if self.feed.high_water() > self.state.applied_seq:
                self._updater.catch_up(ask=False)  # up to what that read learned
        except StoreUnavailable as exc:
            now = time.monotonic()
            if now - self._unreachable_logged > 30:
                self._unreachable_logged = now
                logger.warning("store unreachable, answering from memory: %s", exc)

    def forget_in_models(self, user_id: str) -> None:
        """A deleted user's rows leave the served models (and what was derived from them)."""
        bundle = self.bundle
        if bundle is not None:
            bundle.forget_user(user_id, self.state.users)

    @property
    def model_version(self) -> str:
        bundle = self.bundle
        return bundle.version if bundle is not None else "none"

    def swap(self, bundle: ModelBundle) -> None:
        """Serve ``bundle`` from the next request on (one reference assignment)."""
        self.bundle = bundle
        logger.info("serving model version %s", bundle.version)

    def stats(self) -> dict[str, Any]:
        """Where this state stands: log position, served version and its models."""
        bundle = self.bundle
        return {
            "log_seq": self.state.applied_seq,
            "model_version": self.model_version,
            "models": list(bundle.models) if bundle is not None else [],
            "served": served_configuration(bundle),
        }

    # -- shared reads ------------------------------------------------------------------------
    def privacy_stats(self) -> dict[str, Any]:
        """The differential-privacy budget of published counts (``/v1/admin/stats``)."""
        private = self.state.private
        if private is None:
            return {"epsilon_per_day": None, "spent_today": 0.0, "mechanism": None}
        with self.write_lock:
            return private.stats()

    def popularity(self, window_s: float = DEFAULT_WINDOW_S) -> Popularity:
        """The tiered popularity of every item (see :mod:`~.popularity`)."""
        return self.state.popularity(window_s)

    def _titles_of(self, indices: Sequence[int]) -> list[str]:
        """Each item's stored title, or its id where it has none (one read of the store)."""
        ids = self.state.items.ids_of(indices)
        return pipeline.titles(ids, self.store.get_items(ids))

    def catalog_view(self) -> Catalog:
        """The live catalog, to read (names, masks, version): callers never write to it."""
        return self.state.catalog

    def item(self, item_id: str) -> Item | None:
        """The stored item, or None."""
        return self.store.get_item(item_id)

    def item_vector(self, item_id: str) -> Float32s | None:
        """The item's text vector, or None (unknown, or no text)."""
        index = self.state.items.get(item_id)
        return self.state.catalog.vector(index) if index is not None else None

    def encode_query(self, texts: Sequence[str]) -> Float32s:
        """Texts through the query encoder, one unit row each."""
        return np.asarray(self.query_encoder.encode(list(texts)), dtype=np.float32)

    def _served(self) -> pipeline.Served:
        """This request's view: the state, the bundle served now, the settings."""
        return pipeline.Served(
            self.state,
            self.bundle,
            self.config,
            self.explainer,
            self.store.get_items,
            self.rewrite,
            self._has_fresh,
        )

    # -- requests --------------------------------------------------------------------------
    def recommend(
        self,
        user_id: str | None,
        k: int = 10,
        offset: int = 0,
        exclude_seen: bool = True,
        category: str | None = None,
        explain: bool = False,
        diversity: float = 0.0,
        mask: Bools | None = None,
        models: tuple[str, ...] | None = None,
    ) -> RankedList:
        """Top ``k`` (after ``offset``) for a user; unknown users get trending or their tastes.
        ``mask`` restricts the answer further (True: may be served); such answers are not
        cached. ``models``: the bundle's models to ask instead of the configured ones (an
        experiment's variant; the configured ones while the bundle lacks them)."""
        self.catch_up()
        options = (k, offset, exclude_seen, category, explain, diversity, models)
        if mask is not None:  # a one-off filter: computed, not cached
            return self._recommend(user_id, *options, mask=mask)
        user = self.state.users.get(user_id) if user_id is not None else None
        key = (user, user_id, *options)
        stamp = self._stamp(user)
        cached = self.answers.get(key, stamp)
        if cached is not None:
            return cached
        answer = self._recommend(user_id, *options)
        self.answers.put(key, stamp, answer)
        return answer

    def _stamp(self, user: int | None) -> tuple[int, str, int, int]:
        """What a cached answer for ``user`` depends on (see :mod:`~.answer_cache`)."""
        return (
            self.state.user_states.version(user) if user is not None else -1,
            self.model_version,
            self.state.catalog.version,
            len(self.state.event_log) // self.config.trending_every,
        )

    def _recommend(
        self,
        user_id: str | None,
        k: int,
        offset: int,
        exclude_seen: bool,
        category: str | None,
        explain: bool,
        diversity: float,
        models: tuple[str, ...] | None,
        mask: Bools | None = None,
    ) -> RankedList:
        context = self.state.context(user_id, exclude_seen)
        request = Request(
            context.history,
            context.seen,
            context.preferences,
            k,
            offset,
            category,
            explain,
            diversity,
            mask=mask,
            user=context.user,
            models=models,
        )
        return pipeline.rank(self._served(), request)

    def session(
        self,
        item_ids: Sequence[str],
        k: int = 10,
        models: tuple[str, ...] | None = None,
        diversity: float = 0.0,
    ) -> RankedList:
        """An anonymous visitor's list from the items they just engaged with (most recent
        last); ``models`` and ``diversity`` as an experiment's variant sets them."""
        self.catch_up()
        history = self.state.items.lookup(list(item_ids))
        history = history[history >= 0]
        request = Request(history, history, None, k, diversity=diversity, models=models)
        return pipeline.rank(self._served(), request)

    def search(
        self,
        text: str,
        user_id: str | None = None,
        k: int = 10,
        category: str | None = None,
        explain: bool = False,
        mask: Bools | None = None,
    ) -> RankedList:
        """Semantic search over item text, blended with a known user's taste."""
        self.catch_up()
        vector = self.query_encoder.encode([text])[0]
        return lookups.search(self._served(), text, vector, user_id, k, category, explain, mask)

    def similar(self, item_id: str, k: int = 10) -> RankedList:
        """Items nearest by text (or by the models, for an item without text)."""
        self.catch_up()
        return lookups.similar(self._served(), item_id, k)

    def popular(self, k: int = 10, window: str | None = None) -> RankedList:
        """The popularity ranking over ``window`` (``30m``, ``24h``, ``7d``; default 24h)."""
        self.catch_up()
        return lookups.popular(self._served(), k, window)

    def near(
        self,
        vector: Float32s,
        k: int,
        user_id: str | None = None,
        mask: Bools | None = None,
        exclude_ids: Sequence[str] = (),
    ) -> RankedList:
        """Items nearest to ``vector`` within ``mask``, explained for ``user_id``."""
        self.catch_up()
        return lookups.near(self._served(), vector, k, user_id, mask, exclude_ids)

    def nearest_ids(self, vector: Float32s, n: int) -> list[str]:
        """Ids of the ``n`` servable items nearest to ``vector`` (no explanation, no fill)."""
        if len(self.state.catalog.index) == 0:
            return []
        items, _ = lookups.nearest(self._served(), vector, n, self.state.catalog.servable().copy())
        return [i for i in self.state.items.ids_of(items) if i is not None]


def served_configuration(bundle: ModelBundle | None) -> dict[str, Any]:
    """Per served model that reports one (the hybrid), the configuration its held-out
    validation chose: what answers, over which sources, each candidate's figure."""
    if bundle is None:
        return {}
    out: dict[str, Any] = {}
    for name, model in bundle.models.items():
        served = getattr(model, "served", None)
        if callable(served):
            out[name] = served()
    return out
