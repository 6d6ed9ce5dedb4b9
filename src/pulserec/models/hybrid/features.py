"""Features of (user, candidate) pairs for the learned ranker, built batch-first from dense rows.

Per source: its score, its rank among the user's candidates from that source (or a large rank
when the source did not propose the item). Per item: log popularity, days since its last
interaction, days since it first appeared. Per pair: cosine of the item's text vector to the
mean of the user's last few items.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from pulserec.core.interactions import Interactions

Float32s = npt.NDArray[np.float32]
Int32s = npt.NDArray[np.int32]
DAY = 86_400.0
MISSING_RANK = 10_000.0


@dataclass(frozen=True)
class ItemStats:
    """Per-item context computed once from the training interactions."""

    log_popularity: Float32s
    days_since_last: Float32s
    age_days: Float32s

    @classmethod
    def from_interactions(cls, data: Interactions) -> ItemStats:
        n = data.n_items
        counts = np.bincount(data.item_idx, minlength=n).astype(np.float32)
        newest = float(data.timestamp.max()) if len(data) else 0.0
        last = np.full(n, -np.inf)
        first = np.full(n, np.inf)
        np.maximum.at(last, data.item_idx, data.timestamp)
        np.minimum.at(first, data.item_idx, data.timestamp)
        since = np.where(np.isfinite(last), (newest - last) / DAY, MISSING_RANK)
        age = np.where(np.isfinite(first), (newest - first) / DAY, 0.0)
        return cls(np.log1p(counts), since.astype(np.float32), age.astype(np.float32))

    @cached_property
    def cold(self) -> npt.NDArray[np.bool_]:
        """Items with no interaction at all (computed once)."""
        cold: npt.NDArray[np.bool_] = self.log_popularity == 0
        cold.flags.writeable = False
        return cold

    @cached_property
    def any_cold(self) -> bool:
        return bool(self.cold.any())


def source_ranks(scores: Float32s, candidates: Int32s, per_source: int) -> Float32s:
    """Rank of each candidate within its row's top ``per_source`` (MISSING_RANK outside)."""
    top = np.argsort(-scores, axis=1, kind="stable")[:, :per_source]
    ranks = np.full(scores.shape, MISSING_RANK, dtype=np.float32)
    np.put_along_axis(ranks, top, np.arange(top.shape[1], dtype=np.float32)[None, :], axis=1)
    return np.take_along_axis(ranks, candidates, axis=1)


def build_features(
    dense: dict[str, Float32s],
    candidates: Int32s,
    stats: ItemStats,
    recent_taste: Float32s | None,
    item_text: Float32s | None,
    per_source: int,
) -> Float32s:
    """(users, m, F) features for ``candidates`` (users, m) from dense score rows per source."""
    columns = []
    for scores in dense.values():
        picked = np.take_along_axis(scores, candidates, axis=1)
        columns += [
            np.where(np.isfinite(picked), picked, np.nan),
            source_ranks(scores, candidates, per_source),
        ]
    columns += [
        stats.log_popularity[candidates],
        stats.days_since_last[candidates],
        stats.age_days[candidates],
    ]
    if recent_taste is not None and item_text is not None:
        cos = np.einsum("umc,uc->um", item_text[candidates], recent_taste)
    else:
        cos = np.full(candidates.shape, np.nan, dtype=np.float32)
    columns.append(cos)
    return np.stack(columns, axis=-1).astype(np.float32)
