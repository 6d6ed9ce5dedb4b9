"""The hybrid's one scoring core: sources' rows for a batch of requests in, scores out.

Offline ``score`` and served ``retrieve`` both call :meth:`ScoringCore.scores`, so evaluation
measures what is served. Steps: pool the sources' proposals by reciprocal rank; build the
features; order the pool by the ranker (or serve the fallback source, or plain RRF when there
is no ranker); give items proposed outside the pool the blend of their source scores, below
every pooled item; order cold items (no interaction yet) by the text source's scores for them
(``cold_text``, all of them, not only its top ``per_source``), below every warm item, since
collaborative sources cannot tell them apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.models.hybrid.blend import LinearBlend, standardise
from pulserec.models.hybrid.candidates import candidate_pool, reciprocal_rank_fusion
from pulserec.models.hybrid.features import ItemStats, build_features
from pulserec.models.hybrid.rankers import predict
from pulserec.models.hybrid.rows import mean_taste

Float32s = npt.NDArray[np.float32]
Int32s = npt.NDArray[np.int32]
Rows = dict[str, Float32s]  # per source, (B, I): scores of its proposals, -inf elsewhere
BEYOND_POOL = 1e4  # offset that keeps every item outside the pool below every pooled one


@dataclass(frozen=True)
class ScoringCore:
    """What a fitted hybrid scores with; built from its fitted state on each call (cheap)."""

    per_source: int
    pool: int
    stats: ItemStats
    text: Float32s | None  # (I, C) item text vectors in index order, when the hybrid has text
    ranker: Any  # a LinearBlend, a LightGBM ranker or Booster, or None (plain RRF)
    fallback: str | None  # the source served instead of a ranker that lost to it

    def features(self, rows: Rows, latest: Int32s) -> tuple[Float32s, Int32s, npt.NDArray[Any]]:
        """Features (B, pool, F), candidates (B, pool) and which of them a source proposed."""
        candidates, proposed = candidate_pool(rows, self.per_source, self.pool)
        taste = mean_taste(self.text, latest) if self.text is not None else None
        features = build_features(rows, candidates, self.stats, taste, self.text, self.per_source)
        return features, candidates, proposed

    def cold(self) -> npt.NDArray[np.bool_]:
        """Items nobody had interacted with when the hybrid was fitted or last updated."""
        return self.stats.cold

    def any_cold(self) -> bool:
        return self.stats.any_cold

    def scores(self, rows: Rows, latest: Int32s, cold_text: Float32s | None = None) -> Float32s:
        """(B, I) scores of every item for each request; ``-inf`` where nothing proposed it.
        ``cold_text``: (B, I) text-source scores of the cold items (``-inf`` elsewhere)."""
        if self.fallback is not None:
            out = self._fallback_scores(rows)
        elif self.ranker is None:
            fused = reciprocal_rank_fusion(rows, self.per_source)
            out = np.where(fused > 0, fused, -np.inf).astype(np.float32)
        else:
            features, candidates, proposed = self.features(rows, latest)
            predicted = np.where(proposed, predict(self.ranker, features), -np.inf)
            out = self._beyond_pool(rows)
            np.put_along_axis(out, candidates, predicted.astype(np.float32), axis=1)
        return out if cold_text is None else self._cold_by_text(cold_text, out)

    def _fallback_scores(self, rows: Rows) -> Float32s:
        """The fallback source's order; below it, items only the other sources proposed, by
        reciprocal rank (so a source that proposes few items never leaves a list short)."""
        primary = np.asarray(rows[self.fallback], dtype=np.float32)  # type: ignore[index]
        fused = reciprocal_rank_fusion(rows, self.per_source) if len(rows) > 1 else None
        filler = (
            np.full(primary.shape, -np.inf, dtype=np.float32)
            if fused is None
            else np.where(fused > 0, fused - BEYOND_POOL, -np.inf)
        )
        return np.where(np.isfinite(primary), standardise(primary), filler).astype(np.float32)

    def _beyond_pool(self, rows: Rows) -> Float32s:
        """The blend of the source scores for proposed items, minus :data:`BEYOND_POOL`
        (a LightGBM ranker only knows pooled candidates: -inf)."""
        first = next(iter(rows.values()))
        if not isinstance(self.ranker, LinearBlend):
            return np.full(first.shape, -np.inf, dtype=np.float32)
        blended = np.zeros(first.shape, dtype=np.float32)
        for weight, scores in zip(self.ranker.weights_, rows.values(), strict=True):
            if weight:
                blended += weight * standardise(scores)
        finite = np.isfinite(np.stack(list(rows.values()))).any(axis=0)
        return np.where(finite, blended - BEYOND_POOL, -np.inf).astype(np.float32)

    def _cold_by_text(self, cold_text: Float32s, out: Float32s) -> Float32s:
        """Cold items with a text score, ordered by it below every warm item."""
        cold = self.cold()
        n = min(out.shape[1], cold.shape[0], cold_text.shape[1])
        text = np.where(cold[None, :n], cold_text[:, :n], -np.inf)
        usable = np.isfinite(text)
        out[:, :n] = np.where(usable, standardise(text) - 2 * BEYOND_POOL, out[:, :n])
        return out
