"""Array steps of a request: fuse model lists, insert fresh items, fill, diversify.

Every list here is a pair of aligned arrays (item indices, scores); what proposed each item
travels beside them as a list of labels (one string per candidate).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pulserec.models.hybrid.candidates import rrf_weights
from pulserec.models.hybrid.diversity import mmr

Int32s = npt.NDArray[np.int32]
Float32s = npt.NDArray[np.float32]


def rrf(lists: list[tuple[Int32s, Float32s]]) -> tuple[Int32s, Float32s]:
    """Reciprocal-rank fusion of several best-first lists (the package's one weight,
    :func:`~pulserec.models.hybrid.candidates.rrf_weights`)."""
    if len(lists) == 1:
        return lists[0]
    items = np.concatenate([items for items, _ in lists])
    weights = np.concatenate([rrf_weights(len(i)) for i, _ in lists])
    unique, inverse = np.unique(items, return_inverse=True)
    fused = np.bincount(inverse, weights=weights).astype(np.float32)
    order = np.argsort(-fused, kind="stable")
    return unique[order].astype(np.int32), fused[order]


def keep_allowed(
    items: Int32s, scores: Float32s, allowed: npt.NDArray[np.bool_]
) -> tuple[Int32s, Float32s]:
    """Drop items outside ``allowed`` (and indices beyond it)."""
    inside = items < allowed.shape[0]
    ok = np.zeros(items.shape[0], dtype=bool)
    ok[inside] = allowed[items[inside]]
    return items[ok], scores[ok]


def depth_for(need: int, pool: int) -> int:
    """How deep every source is read for a list of ``need`` items: ``pool``, doubled until it
    holds twice ``need``. Lists within one depth are computed identically whatever the page,
    so pages of a list concatenate to the longer list."""
    depth = max(pool, 1)
    while depth < 2 * need:
        depth *= 2
    return depth


def insert_fresh(
    primary: Int32s,
    primary_affinity: Float32s,
    fresh: Int32s,
    fresh_affinity: Float32s,
    share: float,
    max_fresh: int,
) -> tuple[Int32s, npt.NDArray[np.bool_]]:
    """Insert up to ``max_fresh`` fresh items (best affinity first) where their affinity ranks
    among the primary list's, so that no prefix of the merged list holds more than
    ``max(1, share * length)`` fresh items. Returns the merged list and a mask of inserted
    items; nothing depends on how many items the caller shows."""
    order = np.argsort(-fresh_affinity, kind="stable")[:max_fresh]
    fresh, affinity = fresh[order], fresh_affinity[order]
    positions = (primary_affinity[None, :] > affinity[:, None]).sum(axis=1)
    rank = np.arange(fresh.shape[0])
    earliest = np.ceil((rank + 1) / max(share, 1e-9)).astype(np.int64) - rank - 1
    earliest[0] = 0
    positions = np.maximum.accumulate(np.maximum(positions, earliest))
    keep = positions < primary.shape[0]
    fresh, positions = fresh[keep], positions[keep]
    merged = np.insert(primary, positions, fresh).astype(np.int32)
    inserted = np.insert(np.zeros(primary.shape[0], dtype=bool), positions, True)
    return merged, inserted


def diversify(
    scores: Float32s, vectors: npt.NDArray[np.floating], k: int, diversity: float
) -> Int32s:
    """Positions (into the candidate list) of an MMR re-ranking with the candidates' text
    ``vectors`` (rows without text count as unrelated)."""
    positions = np.arange(scores.shape[0], dtype=np.int32)
    if diversity <= 0 or scores.shape[0] <= 1:
        return positions[:k]
    return mmr(positions, scores, np.asarray(vectors, dtype=np.float32), k, diversity)


def monotone(scores: Float32s) -> Float32s:
    """Scores made non-increasing along the list (lists merge sources of different scales)."""
    out = np.asarray(scores, dtype=np.float32).copy()
    if out.size:
        out[~np.isfinite(out)] = np.nan
        finite = np.where(np.isnan(out), np.inf, out)
        out = np.minimum.accumulate(finite)
        out[~np.isfinite(out)] = 0.0
    return out
