"""Held-out labels for learning to rank, and the NDCG of rankers on them (the package's one
NDCG, :mod:`pulserec.core.metrics`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from pulserec.core.interactions import Interactions
from pulserec.core.metrics import ndcg_of_hits

Float32s = Any
Bools = npt.NDArray[np.bool_]


HOLDOUTS = ("last", "recent", "random", "cut")
RECENT_SHARE = 0.2
CUT_SHARE = 0.1  # the latest share of all events that the global time cut holds out


def recent_mask(data: Interactions, share: float = RECENT_SHARE, min_events: int = 5) -> Bools:
    """Each user's most recent ``share`` of events (at least one), for users with at least
    ``min_events``: what a server faces next after the history it keeps. Ties in time keep
    the data's order, so a held-out event is never earlier than a kept one."""
    n = len(data)
    order = np.lexsort((np.arange(n), data.timestamp, data.user_idx))
    users = data.user_idx[order].astype(np.int64)
    counts = np.bincount(users, minlength=data.n_users)
    size = counts[users]
    position = np.arange(n) - (np.cumsum(counts) - counts)[users]
    held_n = np.maximum(1, np.floor(share * size).astype(np.int64))
    held = np.zeros(n, dtype=bool)
    held[order[(size >= min_events) & (position >= size - held_n)]] = True
    return held


def cut_mask(data: Interactions, share: float = CUT_SHARE, min_events: int = 3) -> Bools:
    """The latest ``share`` of all events (a global time cut, ties in data order), for users
    who keep at least ``min_events`` before it: what follows a history after a gap of weeks
    or months (the ``temporal`` protocol's test), not only the next click."""
    n = len(data)
    order = np.lexsort((np.arange(n), data.timestamp))
    late = np.zeros(n, dtype=bool)
    late[order[n - int(np.floor(share * n)) :]] = True
    before = np.bincount(data.user_idx[~late], minlength=data.n_users)
    return late & (before[data.user_idx] >= min_events)


def holdout_split(data: Interactions, how: str, seed: int) -> tuple[Interactions, Interactions]:
    """Split off what the ranker learns to order: each user's latest event (``last``: the
    next thing after the history, what serving faces), their most recent 20% (``recent``, at
    least one, in time order), a random 10% per user (``random``) or the latest 10% of all
    events (``cut``, a global time cut, for users with a history before it).

    Users with fewer than 3 events keep them all in the first part.
    """
    if how not in HOLDOUTS:
        raise ValueError(f"holdout must be one of {', '.join(HOLDOUTS)}")
    if how in ("recent", "cut"):
        held = recent_mask(data, RECENT_SHARE, 3) if how == "recent" else cut_mask(data)
        return data.select(~held), data.select(held)
    order = np.lexsort((np.arange(len(data)), data.timestamp, data.user_idx))
    users = data.user_idx[order]
    starts = np.r_[0, np.flatnonzero(np.diff(users)) + 1]
    sizes = np.diff(np.r_[starts, len(users)])
    held = np.zeros(len(data), dtype=bool)
    rng = np.random.default_rng(seed)
    for start, size in zip(starts.tolist(), sizes.tolist(), strict=True):
        if size < 3:
            continue
        rows = order[start : start + size]
        if how == "last":
            held[rows[-1]] = True
        else:
            held[rng.choice(rows, size=max(1, size // 10), replace=False)] = True
    return data.select(~held), data.select(held)


def ndcg_at(scores: Float32s, labels: Any, k: int) -> float:
    """Mean NDCG@k of score rows against binary label rows (rows without labels skipped), by
    :func:`pulserec.core.metrics.ndcg_of_hits`."""
    labels = np.asarray(labels) > 0
    k = min(k, labels.shape[1])  # a catalog smaller than k
    top = np.argsort(-np.nan_to_num(np.asarray(scores), nan=-np.inf), axis=1, kind="stable")
    return ndcg_of_hits(np.take_along_axis(labels, top[:, :k], axis=1), labels.sum(axis=1))
