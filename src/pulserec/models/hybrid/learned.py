"""The hybrid: every source proposes, a learned ranker orders the pool.

Validate as you serve: ``fit(data)`` holds out what a server faces next, each user's latest
event after the history it keeps (``holdout="last"``, the default; ``"recent"``: their latest
20%; ``"random"``: a random 10%, only where a deployment's order of events does not matter).
It fits the cheap sources on the rest, and the costly ones (the sequence network) only when
the order of events pays on that holdout (the cheap ``transitions`` source lifts the cheap
blend by at least :data:`MIN_ORDER_LIFT`; otherwise they are left out, and the served report
says so). Each candidate ranker (a learned linear blend of standardised source scores, and
LightGBM LambdaRank over all features, with ``ranker="auto"``) is learnt on half the held-out
users and judged on the other half beside every source alone: the best serves, a source
(``fallback_``) when no ranker beats it, so the served choice never loses to its best source
on the holdout. Then the sources are refit on all of ``data`` (those in ``update_only``,
costly to train, fold the held-out events in). :meth:`HybridRanker.served` reports the
choice; every list names what answered (:attr:`HybridRanker.served_by`).

Training, offline ``score`` and served ``retrieve`` share one core (:mod:`~.core`) over the
same inputs (:mod:`~.inputs`): each source's scores (seen items left out; all of them, or only
its top ``depth`` when ``depth`` is set, cheaper on a large catalog) and the request's latest
items. A known user's request reads the sources' rows for that user, exactly as ``score``
does; any other request (an unknown user, a history, a stated text) reads each source's
``retrieve``. A source missing at request time leaves NaN features: the blend counts them as
far below every scored candidate, LightGBM routes them by learned defaults. The fitting steps
are in :mod:`~.fitting`, the saved arrays in :mod:`~.saved`.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.models.arrays import interactions_from_state
from pulserec.models.base import Candidates, Float32s, Int32s, Query, candidates_from_scores
from pulserec.models.cf._cf import derived
from pulserec.models.hybrid.choice import choose_ranker, held_out_labels
from pulserec.models.hybrid.core import Rows, ScoringCore
from pulserec.models.hybrid.features import ItemStats
from pulserec.models.hybrid.fitting import (
    COSTLY_SOURCES,
    MIN_ORDER_LIFT,
    MIN_VALIDATION_USERS,
    Parallel,
    fit_sources,
    order_lift,
    prune,
    refit_sources,
    too_few_users,
    unpaid_reason,
)
from pulserec.models.hybrid.fitting import PRUNE_TOLERANCE as PRUNE_TOLERANCE  # re-exported
from pulserec.models.hybrid.fused import fused_retrieve
from pulserec.models.hybrid.holdout import holdout_split
from pulserec.models.hybrid.inputs import (
    TEXT_SOURCE,
    is_warm,
    latest_of_users,
    popular_now,
    query_rows,
    user_rows,
)
from pulserec.models.hybrid.rows import latest_items, latest_of_history
from pulserec.models.hybrid.saved import Chosen, chosen_from_state, hybrid_state
from pulserec.models.hybrid.served import served_report
from pulserec.models.persistable import Inputs, Model, State, persistable, required

logger = logging.getLogger(__name__)
RANKERS = ("auto", "blend", "lightgbm")


@persistable("hybrid")
class HybridRanker:
    """A learned ranker over a reciprocal-rank-fused candidate pool of its sources."""

    def __init__(
        self,
        sources: dict[str, Model],
        item_text: ItemVectors | None = None,
        holdout: str = "last",
        per_source: int = 100,
        pool: int = 200,
        trees: int = 200,
        learning_rate: float = 0.05,
        leaves: int = 15,
        recent: int = 5,
        seed: int = 0,
        learned: bool = True,
        ranker: str = "auto",
        update_only: tuple[str, ...] = ("sequence",),
        depth: int | None = None,
        popular_half_life_days: float | None = 7.0,
        name: str = "hybrid",
    ) -> None:
        if ranker not in RANKERS:
            raise ValueError(f"ranker must be one of {', '.join(RANKERS)}")
        if not sources:
            raise ValueError("the hybrid needs at least one source")
        self.sources = sources
        self.item_text = item_text
        self.holdout, self.per_source, self.pool = holdout, per_source, pool
        self.lgbm_params: dict[str, Any] = {
            "n_estimators": trees,
            "learning_rate": learning_rate,
            "num_leaves": leaves,
            "random_state": seed,
            "verbose": -1,
            "n_jobs": 1,
            "min_child_samples": 50,
        }
        self.recent, self.seed, self.name = recent, seed, name
        self.learned = learned
        self.ranker_kind = ranker
        self.update_only = update_only
        self.depth = depth
        self.popular_half_life_days = popular_half_life_days

    # -- training -------------------------------------------------------------------------
    # runs independent fits (name -> job) and returns their results: e.g. as Ray tasks
    # (pulserec.engine.lifecycle.distributed); None: one after another in this process. Not saved.
    parallel: Parallel | None = None

    def fit(self, data: Interactions) -> Self:
        self.ranker_: Any = None
        self.fallback_: str | None = None
        self.validation_: dict[str, Any] = {}
        self.serving_: list[str] | None = None  # the sources the served blend reads (None: all)
        if not self.learned:
            fit_sources(self.sources, data, list(self.sources), self.parallel)
            self._context(data)
            return self
        rest, held = holdout_split(data, self.holdout, self.seed)
        self.validation_["holdout"] = self.holdout
        users = np.unique(held.user_idx[held.positive_mask()]).astype(np.int32)
        if len(users) < MIN_VALIDATION_USERS:  # too few to tell rankers apart: fused by rank
            self.validation_["note"] = too_few_users(len(users))
            fit_sources(self.sources, data, list(self.sources), self.parallel)
            self._context(data)
            return self
        truth = held.matrix()[users]
        half = np.random.default_rng(self.seed).random(len(users)) < 0.5
        cheap = [n for n in self.sources if n not in COSTLY_SOURCES]
        fit_sources(self.sources, rest, cheap, self.parallel)
        self._context(rest)
        latest = self._latest(users)
        if len(cheap) < len(self.sources):
            self._fit_costly(rest, users, latest, truth, half, cheap)
        rows = self._user_rows(users)[0]
        features, candidates, _ = self._core().features(rows, latest)
        labels = held_out_labels(truth, candidates)
        kinds = ("blend", "lightgbm") if self.ranker_kind == "auto" else (self.ranker_kind,)
        choice = choose_ranker(features, labels, half, list(self.sources), kinds, self.lgbm_params)
        self.validation_.update(choice.validation)  # the served ranker, or a source instead
        self.ranker_, self.fallback_ = choice.ranker, choice.fallback
        self._prune(rows, latest, truth)
        refit_sources(self.sources, data, held, self.update_only, self.parallel)
        self._context(Interactions.concat([rest, held]))
        return self

    def _fit_costly(
        self,
        rest: Interactions,
        users: Int32s,
        latest: Int32s,
        truth: Any,
        half: npt.NDArray[np.bool_],
        cheap: list[str],
    ) -> None:
        """Fit the costly sources (the sequence network) only where the order of events pays:
        when the cheap order-aware source lifts the cheap blend's held-out NDCG@10 by at least
        :data:`MIN_ORDER_LIFT` (:func:`~pulserec.models.hybrid.fitting.order_lift`); otherwise
        leave them out."""
        costly = [n for n in self.sources if n not in cheap]

        def rows_of(names: list[str]) -> Rows:
            return self._user_rows(users, served={n: self.sources[n] for n in names})[0]

        lift = order_lift(rows_of, self._core(), latest, truth, half, cheap, self.lgbm_params)
        if lift is not None:
            self.validation_["order_lift"] = round(lift, 4)
        if lift is None or lift >= MIN_ORDER_LIFT:
            fit_sources(self.sources, rest, costly, self.parallel)
            return
        for name in costly:
            reason = unpaid_reason(lift)
            logger.info("hybrid: %s %s", name, reason)
            self.validation_[f"skipped.{name}"] = reason
            del self.sources[name]

    def forget(self, users: Int32s) -> None:
        """Deleted users leave every source that can forget, and the ranker's own context:
        the interactions it keeps, the seen matrix and the item statistics (popularity,
        recency) computed from them."""
        for source in self.sources.values():
            forget = getattr(source, "forget", None)
            if forget is not None:
                forget(users)
        data = getattr(self, "data_", None)
        if data is not None:
            theirs = np.isin(data.user_idx, users)
            if theirs.any():
                self._context(data.select(~theirs))

    def _context(self, data: Interactions) -> None:
        self.seen_ = data.matrix()
        self.stats_ = ItemStats.from_interactions(data)
        self.data_ = data
        if self.item_text is not None:
            self.text_, _ = self.item_text.aligned(data.items)
        self.recent_items_ = latest_items(data, self.recent)

    def _prune(self, rows: Rows, latest: Int32s, truth: Any) -> None:
        """Serve only the sources the learned blend weighs, when that ranks the held-out users
        as well as every source: :func:`~pulserec.models.hybrid.fitting.prune`."""
        pruned = prune(self._core(), list(self.sources), rows, latest, truth, self.validation_)
        if pruned is not None:
            self.serving_, self.ranker_ = pruned

    def _served(self) -> dict[str, Model]:
        """The sources whose rows the core reads."""
        serving = getattr(self, "serving_", None)
        return self.sources if serving is None else {n: self.sources[n] for n in serving}

    # -- the core's inputs -----------------------------------------------------------------
    def _core(self) -> ScoringCore:
        text = self.text_ if self.item_text is not None else None
        return ScoringCore(
            self.per_source, self.pool, self.stats_, text, self.ranker_, self.fallback_
        )

    def _user_rows(
        self,
        users: Int32s,
        exclude: Int32s | None = None,
        served: dict[str, Model] | None = None,
    ) -> tuple[Rows, Float32s | None]:
        """The served sources' (or ``served``'s) rows for ``users``, and the text source's
        whole rows: :func:`~pulserec.models.hybrid.inputs.user_rows`."""
        served = self._served() if served is None else served
        return user_rows(self.sources, served, self.seen_, self.stats_, users, self.depth, exclude)

    def _latest(self, users: Int32s) -> Int32s:
        return latest_of_users(self.recent_items_, users, self.recent)

    def _query_rows(self, query: Query) -> tuple[Rows, Float32s | None]:
        """The served sources' ``retrieve`` rows of the request and the text source's scores
        of the cold items: :func:`~pulserec.models.hybrid.inputs.query_rows`."""
        n_items = self.seen_.shape[1]
        return query_rows(self.sources, self._served(), self.stats_, n_items, query, self.depth)

    def _warm(self, user: int) -> bool:
        return is_warm(self.seen_, user)

    # -- serving ---------------------------------------------------------------------------
    def score(self, users: Int32s) -> Float32s:
        """(B, I) scores for known users, from the core that ``retrieve`` serves."""
        users = np.asarray(users, dtype=np.int32)
        rows, cold_text = self._user_rows(users)
        scores = self._core().scores(rows, self._latest(users), cold_text)
        cold = np.array([not self._warm(u) for u in users.tolist()], dtype=bool)
        if cold.any():  # nothing to personalise: the most popular, as every CF source does
            scores[cold] = self._popular()
        return scores

    def _popular(self) -> Float32s:
        """The list for a request with no history, no stated taste and no known user: what
        is popular now (:func:`~pulserec.models.hybrid.inputs.popular_now`), kept until the
        events change."""
        data = self.data_
        return derived(
            self, "_popular_row", data, lambda: popular_now(data, self.popular_half_life_days)
        )

    def retrieve(self, query: Query, k: int) -> Candidates:
        """One request through the core: a known user's rows as in ``score`` (so the list
        is the top ``k`` of their ``score`` row); any other request (what the engine serves)
        through :func:`~pulserec.models.hybrid.fused.fused_retrieve`, equal to
        :meth:`reference_retrieve` and cheaper."""
        if self._warm(query.user) and query.text is None:
            users = np.array([query.user], dtype=np.int32)
            (rows, cold_text), latest = self._user_rows(users, query.exclude), self._latest(users)
            scores = self._core().scores(rows, latest, cold_text)[0]
            return candidates_from_scores(scores, query, k, self.served_by)
        if query.history.size == 0 and query.text is None:
            return candidates_from_scores(self._popular(), query, k, "pop")
        if self.depth is not None:
            return self.reference_retrieve(query, k)
        core, served, n_items = self._core(), self._served(), self.seen_.shape[1]
        return fused_retrieve(
            core, served, query, k, n_items, TEXT_SOURCE, self.recent, self.served_by
        )

    def reference_retrieve(self, query: Query, k: int) -> Candidates:
        """A request the plain way: every source's ``retrieve`` (no per-user cache), every
        item scored by the core."""
        rows, cold_text = self._query_rows(replace(query, owner=-1))
        latest = latest_of_history(query.history, self.recent, self.seen_.shape[1])
        scores = self._core().scores(rows, latest, cold_text)[0]
        return candidates_from_scores(scores, query, k, self.served_by)

    def served(self) -> dict[str, Any]:
        """The served configuration as the held-out events chose it, for operators:
        :func:`~pulserec.models.hybrid.served.served_report`."""
        validation = getattr(self, "validation_", {})
        holdout, sources = self.holdout if self.learned else None, list(self._served())
        return served_report(
            self.ranker_, self.fallback_, self.served_by, sources, holdout, validation
        )

    @property
    def served_by(self) -> str:
        """What a list of this hybrid comes from: its name, or the source it falls back to
        when its ranker lost to that source on the held-out events."""
        return getattr(self, "fallback_", None) or self.name

    def update(self, data: Interactions) -> None:
        for source in self.sources.values():
            source.update(data)
        self._context(Interactions.concat([self.data_, data]))

    # -- persistence -----------------------------------------------------------------------
    def init_params(self) -> dict[str, Any]:
        """The constructor's keyword arguments but ``sources`` and ``item_text`` (JSON-ready)."""
        return {
            "holdout": self.holdout,
            "per_source": self.per_source,
            "pool": self.pool,
            "trees": self.lgbm_params["n_estimators"],
            "learning_rate": self.lgbm_params["learning_rate"],
            "leaves": self.lgbm_params["num_leaves"],
            "recent": self.recent,
            "seed": self.seed,
            "learned": self.learned,
            "ranker": self.ranker_kind,
            "update_only": list(self.update_only),
            "depth": self.depth,
            "popular_half_life_days": self.popular_half_life_days,
            "name": self.name,
        }

    def state(self) -> State:
        """Own arrays (the sources are children): the training events the serving context is
        rebuilt from, the blend or the LightGBM text model, the fallback, the validation."""
        serving = getattr(self, "serving_", None)
        return hybrid_state(
            self.data_, Chosen(self.ranker_, self.fallback_, serving, self.validation_)
        )

    def children(self) -> dict[str, Model]:
        return dict(self.sources)

    def inputs(self) -> Inputs:
        return Inputs(self.item_text, self.data_.users, self.data_.items)

    @classmethod
    def from_state(
        cls,
        params: dict[str, Any],
        state: State,
        children: dict[str, Model],
        *,
        vectors: ItemVectors | None = None,
        users: IdMap | None = None,
        items: IdMap | None = None,
    ) -> Self:
        """A hybrid around ``children`` (its sources, restored, in their original order);
        the serving context is recomputed from the saved events over ``users`` and ``items``."""
        init = {**params, "update_only": tuple(params.get("update_only", ("sequence",)))}
        model = cls(dict(children), item_text=vectors, **init)
        chosen = chosen_from_state(state)
        model.ranker_, model.fallback_, model.serving_, model.validation_ = chosen
        users, items = required("users", users, cls), required("items", items, cls)
        model._context(interactions_from_state("_data.", state, users, items))
        return model
