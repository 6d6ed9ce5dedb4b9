"""What the hybrid's scoring core reads: each source's proposals as dense rows, and each
request's latest items.

A source's row for a request holds its scores, ``-inf`` where it gives none (and outside its
top ``depth`` when the hybrid reads only that many), the same whether it comes from a batch of
users (``score``, offline) or from one request (``retrieve``, served), so that the core sees
the same thing in both.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pulserec.core.interactions import Interactions
from pulserec.models.base import Candidates

Float32s = npt.NDArray[np.float32]
Int32s = npt.NDArray[np.int32]


def keep_top(scores: Float32s, k: int) -> Float32s:
    """``scores`` with ``-inf`` outside each row's ``k`` best finite entries.

    Of entries tied at the cut, the lowest indices stay, as :func:`pulserec.core.topk.top_k`
    keeps them, so a row equals the one built from that source's ``retrieve``.
    """
    scores = np.where(np.isnan(scores), -np.inf, scores).astype(np.float32)
    n = scores.shape[1]
    if k >= n:
        return scores
    threshold = -np.partition(-scores, k - 1, axis=1)[:, k - 1 : k]  # (B, 1)
    above = scores > threshold
    tied = scores == threshold
    room = k - above.sum(axis=1, keepdims=True)
    keep = (above | (tied & (np.cumsum(tied, axis=1) <= room))) & np.isfinite(scores)
    return np.where(keep, scores, -np.inf).astype(np.float32)


def candidate_row(found: Candidates, n_items: int) -> Float32s:
    """A (1, n_items) row holding ``found``'s scores at its items, ``-inf`` elsewhere."""
    row = np.full((1, n_items), -np.inf, dtype=np.float32)
    inside = found.items < n_items
    row[0, found.items[inside]] = found.scores[inside]
    return row


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


def latest_of_history(history: Int32s, count: int, n_items: int) -> Int32s:
    """(1, count): the last ``count`` known items of a request's history (most recent last),
    -1 padded on the left like :func:`latest_items`."""
    history = np.asarray(history, dtype=np.int32)
    recent = history[(history >= 0) & (history < n_items)][-count:] if count else history[:0]
    out = np.full((1, count), -1, dtype=np.int32)
    if recent.size:
        out[0, count - recent.size :] = recent
    return out


def mean_taste(text: Float32s, latest: Int32s) -> Float32s:
    """(B, C) mean text vector of each row's latest items (zeros for rows with none)."""
    present = latest >= 0
    vectors = text[np.maximum(latest, 0)] * present[:, :, None]  # (B, R, C)
    counts = np.maximum(present.sum(axis=1, keepdims=True), 1)
    return np.asarray(vectors.sum(axis=1) / counts, dtype=np.float32)
