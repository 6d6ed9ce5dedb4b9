"""Candidate pools: the union of every source's best items, fused by reciprocal rank."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Float32s = npt.NDArray[np.float32]
Int32s = npt.NDArray[np.int32]
RRF_K = 60.0


def rrf_weights(n: int) -> npt.NDArray[np.float64]:
    """The one reciprocal-rank weight, ``1 / (RRF_K + rank)`` for ranks 0..n-1 of a
    best-first list: the hybrid's candidate pool and the engine's fusion of several models
    both use it."""
    return 1.0 / (RRF_K + np.arange(n, dtype=np.float64))


def reciprocal_rank_fusion(dense: dict[str, Float32s], per_source: int) -> Float32s:
    """Sum over sources of :func:`rrf_weights` for each source's top ``per_source`` items."""
    first = next(iter(dense.values()))
    fused = np.zeros(first.shape, dtype=np.float32)
    for scores in dense.values():
        k = min(per_source, scores.shape[1])
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        finite = np.isfinite(np.take_along_axis(scores, top, axis=1))
        contribution = np.where(finite, rrf_weights(k)[None, :], 0.0)
        np.add.at(fused, (np.arange(scores.shape[0])[:, None], top), contribution)
    return fused


def candidate_pool(
    dense: dict[str, Float32s], per_source: int, size: int
) -> tuple[Int32s, npt.NDArray[np.bool_]]:
    """(users, size) candidates, best first by reciprocal-rank fusion, and which are proposed.

    When fewer than ``size`` items are proposed by any source, the remaining slots hold items
    no source proposed, marked False in the second array.
    """
    fused = reciprocal_rank_fusion(dense, per_source)
    size = min(size, fused.shape[1])
    top = np.argpartition(-fused, size - 1, axis=1)[:, :size]
    order = np.argsort(-np.take_along_axis(fused, top, axis=1), axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)
    return top.astype(np.int32), np.take_along_axis(fused, top, axis=1) > 0
