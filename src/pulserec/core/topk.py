"""The one top-k used everywhere: argpartition, then a sort of the k survivors."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def top_k(
    scores: npt.NDArray[np.floating],
    k: int,
    exclude: npt.NDArray[np.integer] | None = None,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
    """Indices and scores of the ``k`` highest finite scores, best first; ``exclude`` never wins.

    Ties keep the lower index first, so the first ``k`` of a longer list are the list for
    ``k``: pages never overlap. ``-inf`` (and NaN) marks items that cannot be recommended and
    is never returned; ``exclude`` indices outside the row are ignored.
    """
    n = scores.shape[0]
    k = min(k, n)
    if k <= 0:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
    if exclude is not None and exclude.size:
        scores = scores.copy()
        scores[exclude[(exclude >= 0) & (exclude < n)]] = -np.inf
    if np.isnan(scores).any():
        scores = np.where(np.isnan(scores), -np.inf, scores)
    part = _best_k(scores, k) if k < n else np.arange(n)
    order = np.lexsort((part, -scores[part]))
    best = part[order]
    best = best[np.isfinite(scores[best])]
    return best.astype(np.int32), scores[best].astype(np.float32)


def _best_k(scores: npt.NDArray[np.floating], k: int) -> npt.NDArray[np.intp]:
    """The ``k`` best indices, unordered; of items tied at the cut, the lowest indices."""
    threshold = -np.partition(-scores, k - 1)[k - 1]
    above = np.flatnonzero(scores > threshold)
    tied = np.flatnonzero(scores == threshold)[: k - above.size]
    return np.concatenate([above, tied])


def top_k_rows(scores: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.int32]:
    """Row-wise top ``k`` column indices of a 2-D score matrix, best first (for evaluation)."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1).astype(np.int32)
