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

Training, offline ``score`` and served ``retrieve`` share one core
(:mod:`pulserec.models.hybrid.core`)
over the same inputs: each source's scores (seen items left out; all of them, or only its top
``depth`` when ``depth`` is set, cheaper on a large catalog) and the request's latest items.
A known user's request reads the sources' rows for that user, exactly as ``score`` does; any
other request (an unknown user, a history, a stated text) reads each source's ``retrieve``.
A source missing at request time leaves NaN features: the blend counts them as far below every
scored candidate, LightGBM routes them by learned defaults.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from pulserec.core.ids import IdMap
from pulserec.core.interactions import Interactions
from pulserec.core.item_vectors import ItemVectors
from pulserec.models.arrays import interactions_from_state, interactions_state, under
from pulserec.models.base import Candidates, Float32s, Int32s, Query, candidates_from_scores
from pulserec.models.cf._cf import derived
from pulserec.models.hybrid.blend import LinearBlend
from pulserec.models.hybrid.choice import (
    catalog_ndcg,
    choose_ranker,
    held_out_labels,
    sub_blend,
)
from pulserec.models.hybrid.core import Rows, ScoringCore
from pulserec.models.hybrid.features import ItemStats
from pulserec.models.hybrid.fused import fused_retrieve
from pulserec.models.hybrid.holdout import holdout_split
from pulserec.models.hybrid.rankers import (
    lightgbm_from_text,
    lightgbm_text,
    new_ranker,
    train_ranker,
)
from pulserec.models.hybrid.rows import candidate_row, keep_top, latest_items, latest_of_history
from pulserec.models.persistable import (
    Inputs,
    Model,
    State,
    array_text,
    persistable,
    required,
    text_array,
)

logger = logging.getLogger(__name__)
TEXT_SOURCE = "content"
RANKER_TEXT = "ranker.txt"
PRUNE_TOLERANCE = 0.005  # relative held-out NDCG@10 a smaller served set of sources may lose
RANKERS = ("auto", "blend", "lightgbm")
COSTLY_SOURCES = ("sequence",)  # fitted only when the order of events pays (see _fit_costly)
ORDER_SOURCE = "transitions"  # the cheap order-aware source that measures whether it does
MIN_ORDER_LIFT = 0.02  # relative held-out NDCG@10 it must add to the cheap blend
MIN_VALIDATION_USERS = 20  # users with a held-out positive needed to learn and choose a ranker


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
    parallel: Callable[[dict[str, Callable[[], Any]]], dict[str, Any]] | None = None

    def _fit_sources(self, data: Interactions, names: list[str]) -> None:
        """Fit the named sources on ``data``, in parallel when :attr:`parallel` is set."""
        if self.parallel is None or len(names) < 2:
            for name in names:
                self.sources[name].fit(data)
            return
        jobs: dict[str, Callable[[], Any]] = {
            name: functools.partial(self.sources[name].fit, data) for name in names
        }
        self.sources.update(self.parallel(jobs))

    def fit(self, data: Interactions) -> Self:
        self.ranker_: Any = None
        self.fallback_: str | None = None
        self.validation_: dict[str, Any] = {}
        self.serving_: list[str] | None = None  # the sources the served blend reads (None: all)
        if not self.learned:
            self._fit_sources(data, list(self.sources))
            self._context(data)
            return self
        rest, held = holdout_split(data, self.holdout, self.seed)
        self.validation_["holdout"] = self.holdout
        users = np.unique(held.user_idx[held.positive_mask()]).astype(np.int32)
        if len(users) < MIN_VALIDATION_USERS:  # too few to tell rankers apart: fused by rank
            self.validation_["note"] = (
                f"{len(users)} users with a held-out positive event (at least "
                f"{MIN_VALIDATION_USERS} are needed to validate): reciprocal rank fusion serves"
            )
            self._fit_sources(data, list(self.sources))
            self._context(data)
            return self
        truth = held.matrix()[users]
        half = np.random.default_rng(self.seed).random(len(users)) < 0.5
        cheap = [n for n in self.sources if n not in COSTLY_SOURCES]
        self._fit_sources(rest, cheap)
        self._context(rest)
        latest = self._latest(users)
        if len(cheap) < len(self.sources):
            self._fit_costly(rest, users, latest, truth, half, cheap)
        rows = self._user_rows(users)[0]
        features, candidates, _ = self._core().features(rows, latest)
        labels = held_out_labels(truth, candidates)
        self.ranker_, self.fallback_ = self._learn(features, labels, half)
        self._prune(rows, latest, truth)
        refit = [n for n in self.sources if n not in self.update_only]
        if self.parallel is not None:
            self._fit_sources(data, refit)
        for name, source in self.sources.items():
            if name in self.update_only:
                source.update(held)  # costly to train: the held-out events are folded in
            elif self.parallel is None:
                source.fit(data)  # the blend weights carry over to sources fit on all data
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
        when the cheap order-aware source (:data:`ORDER_SOURCE`) lifts the cheap blend's
        held-out NDCG@10 by at least :data:`MIN_ORDER_LIFT`; otherwise leave them out."""
        costly = [n for n in self.sources if n not in cheap]
        lift = self._order_lift(users, latest, truth, half, cheap)
        if lift is not None:
            self.validation_["order_lift"] = round(lift, 4)
        if lift is None or lift >= MIN_ORDER_LIFT:
            self._fit_sources(rest, costly)
            return
        for name in costly:
            reason = (
                f"not fitted: the order of events lifts the held-out NDCG@10 by {lift:.1%} "
                f"(< {MIN_ORDER_LIFT:.0%})"
            )
            logger.info("hybrid: %s %s", name, reason)
            self.validation_[f"skipped.{name}"] = reason
            del self.sources[name]

    def _order_lift(
        self,
        users: Int32s,
        latest: Int32s,
        truth: Any,
        half: npt.NDArray[np.bool_],
        cheap: list[str],
    ) -> float | None:
        """Relative gain in catalog NDCG@10 (on the held-out half not learnt from) of a blend
        of the ``cheap`` sources over the same blend without the order-aware one."""
        if ORDER_SOURCE not in cheap or len(cheap) < 2 or not (~half).any():
            return None
        figures = []
        for names in (cheap, [n for n in cheap if n != ORDER_SOURCE]):
            self.serving_ = names
            rows = self._user_rows(users)[0]
            features, candidates, _ = self._core().features(rows, latest)
            blend = new_ranker("blend", len(names), self.lgbm_params)
            train_ranker(blend, features[half], held_out_labels(truth, candidates)[half])
            core = replace(self._core(), ranker=blend)
            scores = core.scores({n: rows[n][~half] for n in names}, latest[~half])
            figures.append(catalog_ndcg(scores, truth[np.flatnonzero(~half)]))
        self.serving_ = None
        return figures[0] / figures[1] - 1.0 if figures[1] > 0 else None

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

    def _learn(
        self, features: Float32s, labels: Any, half: npt.NDArray[np.bool_]
    ) -> tuple[Any, str | None]:
        """The served ranker (or the source that serves instead): :func:`choose_ranker`."""
        kinds = ("blend", "lightgbm") if self.ranker_kind == "auto" else (self.ranker_kind,)
        choice = choose_ranker(features, labels, half, list(self.sources), kinds, self.lgbm_params)
        self.validation_.update(choice.validation)
        return choice.ranker, choice.fallback

    def _prune(self, rows: Rows, latest: Int32s, truth: Any) -> None:
        """Serve only the sources the learned blend weighs (and the text source, which orders
        cold items), when the pool they make alone ranks the held-out users as well as the
        pool of every source (within :data:`PRUNE_TOLERANCE`): a source with no weight only
        shapes the pool, and is otherwise computed on every request for that alone. NDCG@10
        here is over the whole catalog (ideal from every held-out item), so pools of
        different recall compare fairly."""
        ranker = self.ranker_
        if not isinstance(ranker, LinearBlend) or self.fallback_ is not None:
            return
        names = list(self.sources)
        kept = [n for n, w in zip(names, ranker.weights_, strict=True) if w or n == TEXT_SOURCE]
        if len(kept) == len(names) or not any(ranker.weights_):
            return
        everything = self._core().scores(rows, latest)
        self.serving_, self.ranker_ = kept, sub_blend(ranker, names, kept)
        fewer = self._core().scores({n: rows[n] for n in kept}, latest)
        full_ndcg, kept_ndcg = catalog_ndcg(everything, truth), catalog_ndcg(fewer, truth)
        logger.info(
            "hybrid serving %s: ndcg@10 %.4f vs all sources %.4f", kept, kept_ndcg, full_ndcg
        )
        self.validation_.update(
            {"catalog_ndcg@10.all_sources": full_ndcg, "catalog_ndcg@10.served_sources": kept_ndcg}
        )
        if kept_ndcg < full_ndcg * (1 - PRUNE_TOLERANCE):
            self.serving_, self.ranker_ = None, ranker
        else:
            self.validation_["served_sources"] = ",".join(kept)

    def _served(self) -> dict[str, Model]:
        """The sources whose rows the core reads."""
        serving = getattr(self, "serving_", None)
        if serving is None:
            return self.sources
        return {name: self.sources[name] for name in serving}

    # -- the core's inputs -----------------------------------------------------------------
    def _core(self) -> ScoringCore:
        text = self.text_ if self.item_text is not None else None
        return ScoringCore(
            self.per_source, self.pool, self.stats_, text, self.ranker_, self.fallback_
        )

    def _user_rows(
        self, users: Int32s, exclude: Int32s | None = None
    ) -> tuple[Rows, Float32s | None]:
        """Each source's ``score`` rows for ``users`` (its top ``depth`` when set), leaving out
        the items they have seen (and ``exclude``); and the text source's whole rows, which
        order the cold items."""
        known = np.flatnonzero(users < self.seen_.shape[0])
        rows, cols = self.seen_[users[known]].nonzero()
        out, cold_text = {}, None
        served = self._served()
        wanted = dict(served)
        if TEXT_SOURCE in self.sources and self.stats_.any_cold:
            wanted.setdefault(TEXT_SOURCE, self.sources[TEXT_SOURCE])
        for name, source in wanted.items():
            scores = np.array(source.score(users), dtype=np.float32)
            scores[known[rows], cols] = -np.inf
            if exclude is not None and exclude.size:
                scores[:, exclude[(exclude >= 0) & (exclude < scores.shape[1])]] = -np.inf
            if name in served:
                out[name] = scores if self.depth is None else keep_top(scores, self.depth)
            if name == TEXT_SOURCE:
                cold_text = scores
        return out, cold_text

    def _latest(self, users: Int32s) -> Int32s:
        known = users < self.recent_items_.shape[0]
        latest = np.full((len(users), self.recent), -1, dtype=np.int32)
        latest[known] = self.recent_items_[users[known]]
        return latest

    def _query_rows(self, query: Query) -> tuple[Rows, Float32s | None]:
        """Each source's ``retrieve`` of the request (every item it scores, or its top
        ``depth``), one row per source; and the text source's scores of every cold item."""
        n_items = self.seen_.shape[1]
        rows = {}
        for name, source in self._served().items():
            depth = n_items if self.depth is None else self.depth
            rows[name] = candidate_row(source.retrieve(query, depth), n_items)
        cold = self._core().cold()
        if TEXT_SOURCE not in self.sources or not self.stats_.any_cold:
            return rows, None
        if self.depth is None:  # the text source's whole row
            if TEXT_SOURCE in rows:
                return rows, rows[TEXT_SOURCE]
            return rows, candidate_row(self.sources[TEXT_SOURCE].retrieve(query, n_items), n_items)
        warm = np.flatnonzero(~cold).astype(np.int32)
        only_cold = replace(query, exclude=np.concatenate([query.exclude, warm]))
        found = self.sources[TEXT_SOURCE].retrieve(only_cold, int(cold.sum()))
        return rows, candidate_row(found, n_items)

    def _warm(self, user: int) -> bool:
        seen = self.seen_
        return bool(0 <= user < seen.shape[0] and seen.indptr[user + 1] > seen.indptr[user])

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
        is popular now, as the engine's trending fill serves it (positive events, each
        halving in weight every ``popular_half_life_days`` before the newest one; -inf for
        items nobody engaged with)."""
        data = self.data_

        def build() -> Float32s:
            positive = data.select(data.positive_mask())
            age_days = (positive.timestamp.max(initial=0.0) - positive.timestamp) / 86_400.0
            half_life = self.popular_half_life_days
            weights = np.ones(len(positive)) if half_life is None else 0.5 ** (age_days / half_life)
            mass = np.bincount(positive.item_idx, weights, minlength=data.n_items)
            return np.where(mass > 0, mass, -np.inf).astype(np.float32)

        return derived(self, "_popular_row", data, build)

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
        """The served configuration as the held-out events chose it, for operators: what
        answers (``blend``, ``lightgbm`` or a source's name), over which sources, each
        candidate's held-out NDCG@10 and the sources left unfitted and why."""
        validation = getattr(self, "validation_", {})
        ranker = self.ranker_
        kind = "blend" if isinstance(ranker, LinearBlend) else "lightgbm"
        kind = "rrf" if ranker is None else kind  # unlearned: fused by reciprocal rank
        report: dict[str, Any] = {
            "served_by": self.served_by,
            "ranker": None if self.fallback_ is not None else kind,
            "sources": list(self._served()),
            "holdout": validation.get("holdout", self.holdout if self.learned else None),
            "validation_ndcg@10": {
                key.partition(".")[2]: value
                for key, value in validation.items()
                if key.startswith(("source.", "ranker."))
            },
            "skipped": {
                key.partition(".")[2]: value
                for key, value in validation.items()
                if key.startswith("skipped.")
            },
        }
        if "served_ndcg@10" in validation:
            report["served_ndcg@10"] = validation["served_ndcg@10"]
        for key in ("order_lift", "note"):
            if key in validation:
                report[key] = validation[key]
        if isinstance(ranker, LinearBlend) and self.fallback_ is None:
            report["weights"] = {
                name: float(w) for name, w in zip(self._served(), ranker.weights_, strict=True)
            }
        return report

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
        out: State = interactions_state("_data.", self.data_)
        if isinstance(self.ranker_, LinearBlend):
            out.update({f"_ranker.{k}": v for k, v in self.ranker_.state().items()})
        elif (text := lightgbm_text(self.ranker_)) is not None:
            out[RANKER_TEXT] = text_array(text)
        if self.fallback_ is not None:
            out["_fallback"] = np.array(self.fallback_)
        if getattr(self, "serving_", None) is not None:
            out["_serving"] = np.array(self.serving_)
        for key, value in self.validation_.items():
            out[f"_validation.{key}"] = np.array(value)
        return out

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
        model.ranker_ = None
        if "_ranker.weights" in state:
            model.ranker_ = LinearBlend.from_state(under("_ranker.", state))
        elif RANKER_TEXT in state:
            model.ranker_ = lightgbm_from_text(array_text(state[RANKER_TEXT]))
        model.fallback_ = str(state["_fallback"]) if "_fallback" in state else None
        model.serving_ = [str(n) for n in state["_serving"]] if "_serving" in state else None
        validation = under("_validation.", state)
        model.validation_ = {key: value.item() for key, value in validation.items()}
        users, items = required("users", users, cls), required("items", items, cls)
        model._context(interactions_from_state("_data.", state, users, items))
        return model
