"""The one top-k used everywhere: argpartition, then a sort of the k survivors."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def top_k(
    scores: npt.NDArray[np.float32],
    k: int,
    exclude: npt.NDArray[np.int32] | None = None,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
    """Indices and scores of the ``k`` highest finite scores, best first; ``exclude`` never wins.

    Ties keep the lower index first, so results are deterministic. ``-inf`` marks items that
    cannot be recommended and is never returned.
    """
    if exclude is not None and exclude.size:
        scores = scores.copy()
        scores[exclude] = -np.inf
    n = scores.shape[0]
    k = min(k, n)
    if k <= 0:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
    part = np.argpartition(-scores, k - 1)[:k] if k < n else np.arange(n)
    order = np.lexsort((part, -scores[part]))
    best = part[order]
    best = best[np.isfinite(scores[best])]
    return best.astype(np.int32), scores[best].astype(np.float32)


def top_k_rows(scores: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.int32]:
    """Row-wise top ``k`` column indices of a 2-D score matrix, best first (for evaluation)."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1).astype(np.int32)
