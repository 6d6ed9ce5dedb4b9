"""Users' positive engagements in time order: the input of the order-aware models."""

from __future__ import annotations

import numpy as np

from pulserec.core.interactions import Interactions


def user_sequences(data: Interactions) -> list[list[int]]:
    """Per user, positive interactions as 1-based item ids, ordered by time then arrival."""
    positive = data.select(data.positive_mask())
    order = np.lexsort((np.arange(len(positive)), positive.timestamp, positive.user_idx))
    users, items = positive.user_idx[order], positive.item_idx[order] + 1
    sequences: list[list[int]] = [[] for _ in range(data.n_users)]
    bounds = np.flatnonzero(np.diff(users)) + 1
    for chunk_users, chunk_items in zip(
        np.split(users, bounds), np.split(items, bounds), strict=True
    ):
        if chunk_users.size:
            sequences[int(chunk_users[0])] = chunk_items.tolist()
    return sequences
