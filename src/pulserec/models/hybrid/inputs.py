"""The scoring core's inputs, read from a fitted hybrid's sources and serving context.

A known user's request reads the sources' ``score`` rows for that user (:func:`user_rows`);
any other request reads each source's ``retrieve`` (:func:`query_rows`). Both leave out what
the core must not rank and give the text source's scores of the cold items, which order them.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from pulserec.core.interactions import Interactions
from pulserec.models.base import Float32s, Int32s, Query
from pulserec.models.hybrid.core import Rows
from pulserec.models.hybrid.features import ItemStats
from pulserec.models.hybrid.rows import candidate_row, keep_top
from pulserec.models.persistable import Model

TEXT_SOURCE = "content"  # the source that orders the cold items by their text


def user_rows(
    sources: dict[str, Model],
    served: dict[str, Model],
    seen: sp.csr_matrix,
    stats: ItemStats,
    users: Int32s,
    depth: int | None,
    exclude: Int32s | None = None,
) -> tuple[Rows, Float32s | None]:
    """Each served source's ``score`` rows for ``users`` (its top ``depth`` when set), leaving
    out the items they have seen (and ``exclude``); and the text source's whole rows, which
    order the cold items."""
    known = np.flatnonzero(users < seen.shape[0])
    rows, cols = seen[users[known]].nonzero()
    out, cold_text = {}, None
    wanted = dict(served)
    if TEXT_SOURCE in sources and stats.any_cold:
        wanted.setdefault(TEXT_SOURCE, sources[TEXT_SOURCE])
    for name, source in wanted.items():
        scores = np.array(source.score(users), dtype=np.float32)
        scores[known[rows], cols] = -np.inf
        if exclude is not None and exclude.size:
            scores[:, exclude[(exclude >= 0) & (exclude < scores.shape[1])]] = -np.inf
        if name in served:
            out[name] = scores if depth is None else keep_top(scores, depth)
        if name == TEXT_SOURCE:
            cold_text = scores
    return out, cold_text


def query_rows(
    sources: dict[str, Model],
    served: dict[str, Model],
    stats: ItemStats,
    n_items: int,
    query: Query,
    depth: int | None,
) -> tuple[Rows, Float32s | None]:
    """Each served source's ``retrieve`` of the request (every item it scores, or its top
    ``depth``), one row per source; and the text source's scores of every cold item."""
    rows = {}
    for name, source in served.items():
        rows[name] = candidate_row(
            source.retrieve(query, n_items if depth is None else depth), n_items
        )
    if TEXT_SOURCE not in sources or not stats.any_cold:
        return rows, None
    if depth is None:  # the text source's whole row
        if TEXT_SOURCE in rows:
            return rows, rows[TEXT_SOURCE]
        return rows, candidate_row(sources[TEXT_SOURCE].retrieve(query, n_items), n_items)
    cold = stats.cold
    warm = np.flatnonzero(~cold).astype(np.int32)
    only_cold = replace(query, exclude=np.concatenate([query.exclude, warm]))
    found = sources[TEXT_SOURCE].retrieve(only_cold, int(cold.sum()))
    return rows, candidate_row(found, n_items)


def latest_of_users(recent_items: Int32s, users: Int32s, recent: int) -> Int32s:
    """(B, recent): each user's latest items (-1 padded; none for an unknown user)."""
    known = users < recent_items.shape[0]
    latest = np.full((len(users), recent), -1, dtype=np.int32)
    latest[known] = recent_items[users[known]]
    return latest


def is_warm(seen: sp.csr_matrix, user: int) -> bool:
    """Whether ``user`` is known and has interacted with something."""
    return bool(0 <= user < seen.shape[0] and seen.indptr[user + 1] > seen.indptr[user])


def popular_now(data: Interactions, half_life_days: float | None) -> Float32s:
    """What is popular now, as the engine's trending fill serves it: positive events, each
    halving in weight every ``half_life_days`` before the newest one (None: all weigh the
    same); -inf for items nobody engaged with."""
    positive = data.select(data.positive_mask())
    age_days = (positive.timestamp.max(initial=0.0) - positive.timestamp) / 86_400.0
    weights = (
        np.ones(len(positive)) if half_life_days is None else 0.5 ** (age_days / half_life_days)
    )
    mass = np.bincount(positive.item_idx, weights, minlength=data.n_items)
    return np.where(mass > 0, mass, -np.inf).astype(np.float32)
