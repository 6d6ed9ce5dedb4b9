"""The Engine: the facade every driver, route and the chat use, over one online state.

Reads (``recommend``, ``session``, ``search``, ``similar``, ``popular``, ``near`` and what the
chat needs) catch up with the change log, build the request once and hand a
:class:`~pulserec.engine.serving.pipeline.Served` view to the request path
(:mod:`~pulserec.engine.serving.pipeline`, :mod:`~pulserec.engine.serving.lookups`). Writes:
``catch_up`` (through the updater that follows the log) and ``swap`` (a model bundle). Every
part is built by the composition root (:func:`pulserec.app.runtime.build_engine`) and passed in.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from pulserec.core.types import Item
from pulserec.encoders.base import Encoder
from pulserec.engine.config import EngineConfig
from pulserec.engine.lifecycle.bundle import ModelBundle, ServedBundle
from pulserec.engine.serving import filters, lookups, pipeline, rules
from pulserec.engine.serving.answer_cache import AnswerCache
from pulserec.engine.serving.explain import Explainer
from pulserec.engine.serving.request import Request
from pulserec.engine.serving.results import RankedList
from pulserec.engine.serving.similar_users import UserTastes, similar_users
from pulserec.engine.serving.tastes import TastesReader
from pulserec.engine.state.catalog import Catalog
from pulserec.engine.state.online_state import OnlineState, UnknownItem
from pulserec.engine.state.popularity import DEFAULT_WINDOW_S, Popularity
from pulserec.storage import Store, StoreUnavailable
from pulserec.storage.changelog import ChangeLog

__all__ = ["DEFAULT_WINDOW", "MAX_FILTERS", "Engine", "FilterError", "UnknownItem"]
logger = logging.getLogger(__name__)
Float32s = npt.NDArray[np.float32]
Bools = npt.NDArray[np.bool_]
DEFAULT_WINDOW = lookups.DEFAULT_WINDOW
FilterError = filters.FilterError  # a filter= that cannot be read or names what no item has
MAX_FILTERS = filters.MAX_FILTERS
GONE = "an item since removed"  # a cited item deleted while its answer was computed


class Follower(Protocol):
    """What brings the log onto the state (an
    :class:`~pulserec.engine.state.updates.OnlineUpdater`)."""

    def catch_up(self, ask: bool = True) -> int: ...
    def stats(self) -> dict[str, Any]: ...


class Engine:
    """The facade over the online state, the served bundle and the request path."""

    def __init__(
        self,
        store: Store,
        state: OnlineState,
        config: EngineConfig,
        query_encoder: Encoder,
        feed: ChangeLog,
        follower: Follower | None,
        write_lock: threading.RLock,
        answers: AnswerCache,
        served: ServedBundle,
        rewrite: pipeline.Rewrite | None = None,
        tastes: TastesReader | None = None,
    ) -> None:
        self.store, self.state, self.config = store, state, config
        self.query_encoder = query_encoder
        self.feed = feed  # the change log it follows: the store's (a bus's, on replicas)
        self.follower = follower
        self.write_lock = write_lock
        self.answers = answers
        self.served = served
        # an optional friendly rewrite of a grounded sentence; never blocks (pulserec.llm)
        self.rewrite = rewrite
        # reads a user's stated preferences into liked and ruled-out items (pulserec.llm)
        self.tastes = tastes
        catalog = state.catalog
        self.explainer = Explainer(
            catalog.vectors,
            catalog.has_vector,
            catalog.categories_of,
            self._titles_of,
            config.category_label,
        )
        self._has_fresh = pipeline.FreshCheck()
        self._user_tastes = UserTastes(catalog.dim)
        self._unreachable_logged = float("-inf")

    def _titles_of(self, indices: Sequence[int]) -> list[str]:
        """Each item's stored title (its id without one); an item deleted meanwhile is named
        as such, never a KeyError."""
        ids = [self.state.items.id_of_or_none(int(i)) for i in indices]
        stored = self.store.get_items([i for i in ids if i is not None])
        return [GONE if i is None else pipeline.titles([i], stored)[0] for i in ids]

    # -- writes: the change log and model versions -----------------------------------------
    def catch_up(self) -> None:
        """Bring the state up to the log's high-water mark before answering: one shared
        memory read when it is current (one ``GET`` on a bus). A store that cannot be reached
        leaves the state as it is: answers keep coming from memory."""
        self.state.catalog.tick()  # an item's availability window opened or closed
        if self.follower is None:
            return
        try:
            if self.feed.high_water() > self.state.applied_seq:
                self.follower.catch_up(ask=False)  # up to what that read learned
        except Exception as exc:  # unreachable, or anything else: answers come from memory
            now = time.monotonic()
            if now - self._unreachable_logged > 30:
                self._unreachable_logged = now
                if isinstance(exc, StoreUnavailable):
                    logger.warning("store unreachable, answering from memory: %s", exc)
                else:
                    logger.exception("catching up with the log failed, answering from memory")

    def log_stats(self) -> dict[str, Any]:
        """The change log here: applied up to, failures skipped (``/v1/admin/stats``)."""
        if self.follower is None:
            return {"applied_seq": self.state.applied_seq, "failures": 0, "last_failure": None}
        return self.follower.stats()

    @property
    def bundle(self) -> ModelBundle | None:
        return self.served.current

    @property
    def model_version(self) -> str:
        return self.served.version

    def swap(self, bundle: ModelBundle) -> None:
        """Serve ``bundle`` from the next request on (one reference assignment). A bundle on
        the live user map (trained here) no longer needs the deletions before its cut."""
        self.served.swap(bundle)
        cut = bundle.meta.get("cut_log_seq")
        if bundle.users is None and cut is not None:
            self.state.deleted_users.prune(int(cut))
        logger.info("serving model version %s", bundle.version)

    def stats(self) -> dict[str, Any]:
        """Where this state stands: log position, served version and its models."""
        bundle = self.served.current
        return {
            "log_seq": self.state.applied_seq,
            "model_version": self.model_version,
            "models": list(bundle.models) if bundle is not None else [],
            "served": self.served.configuration(),
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

    def catalog_view(self) -> Catalog:
        """The live catalog, to read (names, masks, version): callers never write to it."""
        return self.state.catalog

    def filter_mask(self, raws: Sequence[str]) -> Bools | None:
        """The items ``filter=`` strings keep (:mod:`~.serving.filters`), None without any;
        :class:`~.serving.filters.FilterError` for one that cannot be read or names what no
        item has."""
        return filters.mask_of(self.state.catalog, filters.parse_all(list(raws)))

    def rule_weights(
        self, boosts: Sequence[str], buries: Sequence[str]
    ) -> npt.NDArray[np.float64] | None:
        """Each item's factor under ``boost=``/``bury=`` rules (:mod:`~.serving.rules`), None
        without any; :class:`FilterError` for one that cannot be read or names what no item
        has."""
        return rules.weights_of(self.state.catalog, rules.parse_rules(list(boosts), list(buries)))

    def knows(self, user_id: str) -> bool:
        """Whether ``user_id`` is a user this engine holds (a profile or events)."""
        return user_id in self.state.users

    def item(self, item_id: str) -> Item | None:
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
            self.served.current,
            self.config,
            self.explainer,
            self.store.get_items,
            self.rewrite,
            self._has_fresh,
            self.tastes,
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
        weights: npt.NDArray[np.float64] | None = None,
    ) -> RankedList:
        """Top ``k`` (after ``offset``) for a user; unknown users get trending or their tastes.
        ``mask`` restricts the answer further (True: may be served), ``weights`` re-rank it
        (boost and bury rules); such answers are not cached. ``models``: the bundle's models
        to ask instead of the configured ones (an experiment's variant; the configured ones
        while the bundle lacks them)."""
        self.catch_up()
        options = (k, offset, exclude_seen, category, explain, diversity, models)

        def compute() -> RankedList:
            context = self.state.context(user_id, exclude_seen)
            request = Request.for_user(context, *options, mask=mask, weights=weights)
            return pipeline.rank(self._served(), request)

        if mask is not None or weights is not None:  # one-off filters or rules: not cached
            return compute()
        user = self.state.users.get(user_id) if user_id is not None else None
        stamp = pipeline.stamp(self.state, self.model_version, user, self.config)
        # users the engine does not know all get the same list: one entry, not one per id
        key = (user, user_id if user is not None else None, *options)
        return self.answers.get_or_put(key, stamp, compute)

    def session(
        self,
        item_ids: Sequence[str],
        k: int = 10,
        models: tuple[str, ...] | None = None,
        diversity: float = 0.0,
        mask: Bools | None = None,
        weights: npt.NDArray[np.float64] | None = None,
    ) -> RankedList:
        """An anonymous visitor's list from the items they just engaged with (most recent
        last); ``models`` and ``diversity`` as an experiment's variant sets them; ``mask`` and
        ``weights`` as for :meth:`recommend`."""
        self.catch_up()
        history = self.state.items.lookup(list(item_ids))
        history = history[history >= 0]
        request = Request(
            history,
            history,
            None,
            k,
            diversity=diversity,
            models=models,
            mask=mask,
            weights=weights,
        )
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

    def similar(self, item_id: str, k: int = 10, mask: Bools | None = None) -> RankedList:
        """Items like ``item_id``: text and co-engagement blended, text alone for an item the
        models do not know, the models alone for an item without text."""
        self.catch_up()
        return lookups.similar(self._served(), item_id, k, mask)

    def popular(
        self,
        k: int = 10,
        window: str | None = None,
        mask: Bools | None = None,
        weights: npt.NDArray[np.float64] | None = None,
    ) -> RankedList:
        """The popularity ranking over ``window`` (``30m``, ``24h``, ``7d``; default 24h)."""
        self.catch_up()
        return lookups.popular(self._served(), k, window, mask, weights)

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

    def similar_users(self, user_id: str, k: int = 10) -> list[tuple[str, float]] | None:
        """The ``k`` users whose tastes are closest to ``user_id``'s, with the cosine; None for
        a user this engine does not hold, [] for one without a taste yet."""
        self.catch_up()
        user = self.state.users.get(user_id)
        if user is None:
            return None
        ids, scores = similar_users(self.state, self._user_tastes, user, k)
        return list(zip(ids, scores, strict=True))

    def nearest_ids(self, vector: Float32s, n: int) -> list[str]:
        """Ids of the ``n`` servable items nearest to ``vector`` (no explanation, no fill)."""
        if len(self.state.catalog.index) == 0:
            return []
        items, _ = lookups.nearest(self._served(), vector, n, self.state.catalog.servable().copy())
        return self.state.items.live_ids(items)[0]
