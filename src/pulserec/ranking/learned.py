"""The hybrid: every source proposes, a learned ranker orders the pool.

The ranker is a learned linear blend of standardised source scores (``ranker="blend"``, the
default) or LightGBM LambdaRank over all features (``ranker="lightgbm"``).

``fit(data)`` holds out part of ``data`` (each user's latest item, or a random 10% per user),
fits the sources on the rest, learns the ranker on the held-out labels, then refits the sources
on all of ``data`` (those in ``update_only``, costly to train, fold the held-out events in).
The ranker must beat its best source on a held-out half of the ranking users; when it does not,
the hybrid serves that source instead (``fallback_``).
A source missing at request time leaves NaN features: the blend counts them as far below every
scored candidate, LightGBM routes them by learned defaults.
"""

from __future__ import annotations

import logging
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from pulserec.artifacts.arrays import (
    State,
    interactions_from_state,
    interactions_state,
    state_of,
    under,
    with_prefix,
)
from pulserec.ids import IdMap
from pulserec.interactions import Interactions
from pulserec.ranking.blend import LinearBlend, standardise
from pulserec.ranking.candidates import candidate_pool, reciprocal_rank_fusion
from pulserec.ranking.features import ItemStats, build_features
from pulserec.ranking.holdout import holdout_split, ndcg_at
from pulserec.retrievers.base import (
    Candidates,
    Float32s,
    Int32s,
    Query,
    Retriever,
    candidates_from_scores,
)

logger = logging.getLogger(__name__)
BEYOND_POOL = 1e4  # offset that keeps every item outside the pool below every pooled one
TEXT_SOURCE = "content"


class HybridRanker:
    """LambdaRank over a reciprocal-rank-fused candidate pool."""

    def __init__(
        self,
        sources: dict[str, Retriever],
        item_text: Any = None,
        holdout: str = "random",
        per_source: int = 100,
        pool: int = 200,
        trees: int = 300,
        learning_rate: float = 0.05,
        leaves: int = 31,
        recent: int = 5,
        seed: int = 0,
        learned: bool = True,
        ranker: str = "blend",
        update_only: tuple[str, ...] = ("sequence",),
        name: str = "hybrid",
    ) -> None:
        if ranker not in ("blend", "lightgbm"):
            raise ValueError("ranker must be 'blend' or 'lightgbm'")
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
            "min_child_samples": 20,
        }
        self.recent, self.seed, self.name = recent, seed, name
        self.learned = learned
        self.ranker_kind = ranker
        self.update_only = update_only

    # -- training -------------------------------------------------------------------------
    def fit(self, data: Interactions) -> Self:
        if not self.learned:
            for source in self.sources.values():
                source.fit(data)
            self._context(data)
            self.ranker_, self.fallback_ = None, None
            return self
        rest, held = holdout_split(data, self.holdout, self.seed)
        for source in self.sources.values():
            source.fit(rest)
        self._context(rest)
        users = np.unique(held.user_idx).astype(np.int32)
        features, labels, _ = self._training_rows(users, held)
        self.ranker_, self.fallback_ = self._learn(users, features, labels, held)
        for name, source in self.sources.items():
            if name in self.update_only:
                source.update(held)  # costly to train: the held-out events are folded in
            else:
                source.fit(data)  # the blend weights carry over to sources fit on all data
        self._context(Interactions.concat([rest, held]))
        return self

    def _context(self, data: Interactions) -> None:
        self.seen_ = data.matrix()
        self.stats_ = ItemStats.from_interactions(data)
        self.data_ = data
        if self.item_text is not None:
            self.text_, _ = self.item_text.aligned(data.items)
        self.recent_items_ = latest_items(data, self.recent)

    def _training_rows(self, users: Int32s, held: Interactions) -> tuple[Float32s, Any, Int32s]:
        features, candidates, _ = self._features(users)
        truth = held.matrix()[users]
        labels = np.asarray(truth[np.arange(len(users))[:, None], candidates].todense())
        return features, labels.astype(np.int32), candidates

    def _new_ranker(self) -> Any:
        if self.ranker_kind == "blend":
            return LinearBlend([2 * i for i in range(len(self.sources))])
        import lightgbm

        return lightgbm.LGBMRanker(objective="lambdarank", **self.lgbm_params)

    def _learn(
        self, users: Int32s, features: Float32s, labels: Any, held: Interactions
    ) -> tuple[Any, str | None]:
        """Probe on half the users, compare with the best source on the other half, refit."""
        half = np.random.default_rng(self.seed).random(len(users)) < 0.5
        probe = self._new_ranker()
        self._train(probe, features[half], labels[half])
        ranker_ndcg = ndcg_at(self._predict(probe, features[~half]), labels[~half], 10)
        best_name, best_ndcg = self._best_source(features[~half], labels[~half])
        logger.info("hybrid ndcg@10 %.4f vs best source %s %.4f", ranker_ndcg, best_name, best_ndcg)
        self.validation_ = {
            "ranker_ndcg@10": ranker_ndcg,
            "best_source": best_name,
            "best_source_ndcg@10": best_ndcg,
        }
        ranker = self._new_ranker()
        self._train(ranker, features, labels)
        return ranker, (best_name if ranker_ndcg < best_ndcg else None)

    def _train(self, ranker: Any, features: Float32s, labels: Any) -> None:
        keep = labels.sum(axis=1) > 0
        if isinstance(ranker, LinearBlend):
            ranker.fit(features[keep], labels[keep])
            return
        n, m, f = features[keep].shape
        ranker.fit(features[keep].reshape(n * m, f), labels[keep].reshape(-1), group=[m] * n)

    def _predict(self, ranker: Any, features: Float32s) -> Float32s:
        if isinstance(ranker, LinearBlend):
            return ranker.predict(features)
        n, m, f = features.shape
        return np.asarray(ranker.predict(features.reshape(n * m, f)), np.float32).reshape(n, m)

    def _best_source(self, features: Float32s, labels: Any) -> tuple[str, float]:
        results = {
            name: ndcg_at(features[:, :, 2 * i], labels, 10) for i, name in enumerate(self.sources)
        }
        best = max(results, key=lambda k: results[k])
        return best, results[best]

    # -- serving ---------------------------------------------------------------------------
    def _dense(self, users: Int32s) -> dict[str, Float32s]:
        """Each source's scores for ``users``, with the items they already have masked."""
        known = np.flatnonzero(users < self.seen_.shape[0])
        rows, cols = self.seen_[users[known]].nonzero()
        dense = {}
        for name, source in self.sources.items():
            scores = np.array(source.score(users), dtype=np.float32)
            scores[known[rows], cols] = -np.inf
            dense[name] = scores
        return dense

    def _features(self, users: Int32s) -> tuple[Float32s, Int32s, npt.NDArray[np.bool_]]:
        """Features (users, pool, F), candidates (users, pool) and which were proposed."""
        dense = self._dense(users)
        candidates, proposed = candidate_pool(dense, self.per_source, self.pool)
        taste = self._recent_taste(users) if self.item_text is not None else None
        text = self.text_ if self.item_text is not None else None
        features = build_features(dense, candidates, self.stats_, taste, text, self.per_source)
        return features, candidates, proposed

    def _recent_taste(self, users: Int32s) -> Float32s:
        """Mean text vector of each user's latest items (zeros for users with none)."""
        known = users < self.recent_items_.shape[0]
        latest = np.full((len(users), self.recent), -1, dtype=np.int32)
        latest[known] = self.recent_items_[users[known]]
        present = latest >= 0
        vectors = self.text_[np.maximum(latest, 0)] * present[:, :, None]  # (B, R, C)
        counts = np.maximum(present.sum(axis=1, keepdims=True), 1)
        return np.asarray(vectors.sum(axis=1) / counts, dtype=np.float32)

    def score(self, users: Int32s) -> Float32s:
        if self.fallback_ is not None:
            out = self._dense(users)[self.fallback_]
        elif self.ranker_ is None:
            out = self._fused(users)
        else:
            features, candidates, proposed = self._features(users)
            predicted = np.where(proposed, self._predict(self.ranker_, features), -np.inf)
            out = self._beyond_pool(users)
            np.put_along_axis(out, candidates, predicted, axis=1)
        return self._cold_by_text(users, out)

    def _cold_by_text(self, users: Int32s, out: Float32s) -> Float32s:
        """Items nobody has interacted with yet are ordered by the text source alone, below
        every warm item: collaborative sources cannot tell them apart, their text can."""
        cold = self.stats_.log_popularity == 0
        if TEXT_SOURCE not in self.sources or not cold.any():
            return out
        text = self.sources[TEXT_SOURCE].score(users)[:, : out.shape[1]]
        ranked = standardise(np.where(cold[None, : text.shape[1]], text, -np.inf))
        usable = (
            cold[None, : text.shape[1]] & np.isfinite(text) & np.isfinite(out[:, : text.shape[1]])
        )
        out[:, : text.shape[1]] = np.where(
            usable, ranked - 2 * BEYOND_POOL, out[:, : text.shape[1]]
        )
        return out

    def _beyond_pool(self, users: Int32s) -> Float32s:
        """Scores for items outside the pool, all below every pooled item: the blend over each
        source's whole row (so a list restricted to, say, cold items is still ordered), or
        -inf for a LightGBM ranker, which only knows pooled candidates."""
        shape = (len(users), self.seen_.shape[1])
        if not isinstance(self.ranker_, LinearBlend):
            return np.full(shape, -np.inf, dtype=np.float32)
        dense = self._dense(users)
        blended = np.zeros(shape, dtype=np.float32)
        for weight, scores in zip(self.ranker_.weights_, dense.values(), strict=True):
            if weight:
                blended += weight * standardise(scores)
        finite = np.isfinite(np.stack(list(dense.values()))).any(axis=0)
        return np.where(finite, blended - BEYOND_POOL, -np.inf).astype(np.float32)

    def _fused(self, users: Int32s) -> Float32s:
        return self._fuse(self._dense(users))

    def _fuse(self, dense: dict[str, Float32s]) -> Float32s:
        """Reciprocal-rank fusion of the sources: the hybrid without its learned ranker."""
        fused = reciprocal_rank_fusion(dense, self.per_source)
        return np.where(fused > 0, fused, -np.inf).astype(np.float32)

    def update(self, data: Interactions) -> None:
        for source in self.sources.values():
            source.update(data)
        self._context(Interactions.concat([self.data_, data]))

    def retrieve(self, query: Query, k: int) -> Candidates:
        """One request: each source retrieves, the ranker orders their pooled candidates."""
        n_items = self.seen_.shape[1]
        dense = {}
        for name, source in self.sources.items():
            found = source.retrieve(query, self.per_source)
            row = np.full((1, n_items), -np.inf, dtype=np.float32)
            row[0, found.items[found.items < n_items]] = found.scores[found.items < n_items]
            dense[name] = row
        if self.fallback_ is not None or self.ranker_ is None:
            fallback = self.fallback_
            scores = dense[fallback][0] if fallback else self._fuse(dense)[0]
            return candidates_from_scores(scores, query, k, self.name)
        candidates, proposed = candidate_pool(dense, self.per_source, self.pool)
        taste, text = None, None
        if self.item_text is not None:
            text = self.text_
            recent = query.history[-self.recent :]
            recent = recent[recent < text.shape[0]]
            taste = text[recent].mean(axis=0, keepdims=True) if recent.size else None
        features = build_features(dense, candidates, self.stats_, taste, text, self.per_source)
        predicted = np.where(proposed, self._predict(self.ranker_, features), -np.inf)[0]
        row = np.full(n_items, -np.inf, dtype=np.float32)
        row[candidates[0]] = predicted
        return candidates_from_scores(row, query, k, self.name)

    def state(self) -> dict[str, Any]:
        """The sources' learned arrays, prefixed by source name (the ranker is a LightGBM
        text model, saved by the engine's artifact writer)."""
        return {
            f"{name}.{key}": value
            for name, source in self.sources.items()
            for key, value in getattr(source, "state", dict)().items()
        }

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
            "name": self.name,
        }

    def full_state(self) -> State:
        """The sources' full states prefixed ``name.``; under ``_``: the training events the
        serving context is rebuilt from, the blend, the fallback and the validation figures.
        A LightGBM ranker is text, not arrays: see :meth:`ranker_text`."""
        out: State = {}
        for name, source in self.sources.items():
            out.update(with_prefix(f"{name}.", state_of(source)))
        out.update(interactions_state("_data.", self.data_))
        if isinstance(self.ranker_, LinearBlend):
            out.update(with_prefix("_ranker.", self.ranker_.state()))
        if self.fallback_ is not None:
            out["_fallback"] = np.array(self.fallback_)
        for key, value in getattr(self, "validation_", {}).items():
            out[f"_validation.{key}"] = np.array(value)
        return out

    def ranker_text(self) -> str | None:
        """The LightGBM ranker in LightGBM's text model format (None for a blend or none)."""
        if self.ranker_ is None or isinstance(self.ranker_, LinearBlend):
            return None
        booster = getattr(self.ranker_, "booster_", self.ranker_)
        return str(booster.model_to_string())

    @classmethod
    def from_state(
        cls,
        params: dict[str, Any],
        state: State,
        sources: dict[str, Retriever],
        users: IdMap,
        items: IdMap,
        item_text: Any = None,
        ranker_text: str | None = None,
    ) -> Self:
        """A hybrid rebuilt from :meth:`init_params` and :meth:`full_state` around ``sources``
        (already restored, in their original order); the serving context is recomputed from
        the saved events over ``users`` and ``items``. A LightGBM ranker comes back as a
        ``lightgbm.Booster`` from ``ranker_text``."""
        init = {**params, "update_only": tuple(params.get("update_only", ("sequence",)))}
        model = cls(sources, item_text=item_text, **init)
        model.ranker_ = None
        if "_ranker.weights" in state:
            model.ranker_ = LinearBlend.from_state(under("_ranker.", state))
        elif ranker_text is not None:
            import lightgbm

            model.ranker_ = lightgbm.Booster(model_str=ranker_text)
        model.fallback_ = str(state["_fallback"]) if "_fallback" in state else None
        validation = under("_validation.", state)
        if validation:
            model.validation_ = {key: value.item() for key, value in validation.items()}
        model._context(interactions_from_state("_data.", state, users, items))
        return model


def latest_items(data: Interactions, count: int) -> Int32s:
    """(users, count) indices of each user's latest items by time then arrival, -1 padded."""
    out = np.full((data.n_users, count), -1, dtype=np.int32)
    if not len(data):
        return out
    order = np.lexsort((np.arange(len(data)), data.timestamp, data.user_idx))
    users = data.user_idx[order]
    ends = np.r_[np.flatnonzero(np.diff(users)) + 1, len(users)]
    starts = np.r_[0, ends[:-1]]
    for back in range(count):
        position = ends - 1 - back
        valid = position >= starts
        out[users[position[valid]], count - 1 - back] = data.item_idx[order[position[valid]]]
    return out
